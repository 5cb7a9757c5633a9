/* keyval: key tuples and their length-prefixed encoding, one definition for
 * the copy (sets of keys compared bytewise) and the state (last_key). */
#include "keyval.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
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

bool keyval_to_number(const struct keyval *kv, long double *out)
{
	if (kv->n != 1 || !kv->v[0] || !kv->len[0])
		return false;
	for (unsigned long i = 0; i < kv->len[0]; i++)
		if (!strchr("0123456789-", kv->v[0][i]) || !kv->v[0][i])
			return false;
	*out = strtold(kv->v[0], NULL);
	return true;
}

void keyval_from_number(struct keyval *kv, long double v)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%.0Lf", v);
	kv->n = 1;
	kv->v = xcalloc(1, sizeof *kv->v);
	kv->len = xcalloc(1, sizeof *kv->len);
	kv->v[0] = xstrdup(buf);
	kv->len[0] = (unsigned long)n;
}

void keyval_copy(struct keyval *dst, const struct keyval *src)
{
	dst->n = src->n;
	dst->v = xcalloc((size_t)src->n, sizeof *dst->v);
	dst->len = xcalloc((size_t)src->n, sizeof *dst->len);
	for (int i = 0; i < src->n; i++) {
		dst->v[i] = xmalloc(src->len[i] + 1);
		memcpy(dst->v[i], src->v[i], src->len[i] + 1);
		dst->len[i] = src->len[i];
	}
}

int keyval_step(long double lo, long rows, long double density, long double max, struct keyval *upper)
{
	long double hi = floorl(lo + (long double)rows * density);
	if (hi < lo + 1)
		hi = lo + 1;
	if (hi >= max)
		return 0;
	keyval_from_number(upper, hi);
	return 1;
}

long double keyval_density(long double lo, const struct keyval *upper, long rows)
{
	long double hi;
	if (!upper || rows <= 0 || !keyval_to_number(upper, &hi))
		return 0;
	return (hi - lo) / (long double)rows;
}
