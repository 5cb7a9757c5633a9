/* keyval: key tuples and their length-prefixed encoding, one definition for
 * the copy (sets of keys compared bytewise) and the state (last_key). */
#include "keyval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void keyval_free(struct keyval *kv)
{
	for (int i = 0; i < kv->n; i++)
		free(kv->v[i]);
	free(kv->v);
	free(kv->len);
	memset(kv, 0, sizeof *kv);
}

void keyval_encode(struct sbuf *out, int n, char *const *v, const unsigned long *len)
{
	for (int i = 0; i < n; i++) {
		uint32_t l = (uint32_t)len[i];
		sb_addn(out, (const char *)&l, sizeof l);
		sb_addn(out, v[i] ? v[i] : "", len[i]);
	}
}

int keyval_decode(const char *enc, size_t len, struct keyval *kv)
{
	const char *p = enc;
	size_t left = enc ? len : 0;
	int decoded = 0;
	while (left >= sizeof(uint32_t)) {
		uint32_t l;
		memcpy(&l, p, sizeof l);
		p += sizeof l;
		left -= sizeof l;
		if (l > left)
			break;
		kv->v = xrealloc(kv->v, sizeof *kv->v * (size_t)(kv->n + 1));
		kv->len = xrealloc(kv->len, sizeof *kv->len * (size_t)(kv->n + 1));
		kv->v[kv->n] = xmalloc((size_t)l + 1);
		memcpy(kv->v[kv->n], p, l);
		kv->v[kv->n][l] = '\0';
		kv->len[kv->n] = l;
		kv->n++;
		decoded++;
		p += l;
		left -= l;
	}
	return decoded;
}
