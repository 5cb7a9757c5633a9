/* names: deterministic object names within MariaDB's 64-character limit. */
#include "names.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

#define NAME_MAX_CHARS 64

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Length in bytes of the first n characters of a UTF-8 string. */
static size_t utf8_prefix(const char *s, size_t nchars)
{
	size_t i = 0, c = 0;
	while (s[i] && c < nchars) {
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
		c++;
	}
	return i;
}

static size_t utf8_len(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		if ((*s & 0xC0) != 0x80)
			c++;
	return c;
}

char *oscar_name(const char *prefix, const char *table, const char *suffix)
{
	size_t fixed = utf8_len(prefix) + utf8_len(suffix);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, prefix);
	if (fixed + utf8_len(table) <= NAME_MAX_CHARS) {
		sb_add(&sb, table);
	} else {
		size_t keep = NAME_MAX_CHARS - fixed - 9; /* "_" + 8 hex digits */
		sb_addn(&sb, table, utf8_prefix(table, keep));
		sb_addf(&sb, "_%08x", fnv1a(table));
	}
	sb_add(&sb, suffix);
	return sb_take(&sb);
}

void objnames_init(struct objnames *n, const char *schema, const char *table)
{
	n->shadow = oscar_name("_", table, "_new");
	n->old = oscar_name("_", table, "_old");
	n->trg_ins = oscar_name("oscar_", table, "_ins");
	n->trg_upd = oscar_name("oscar_", table, "_upd");
	n->trg_del = oscar_name("oscar_", table, "_del");
	n->rtrg_ins = oscar_name("oscar_", table, "_rins");
	n->rtrg_upd = oscar_name("oscar_", table, "_rupd");
	n->rtrg_del = oscar_name("oscar_", table, "_rdel");
	n->old_ph = oscar_name("_", table, "_oph");
	n->new_ph = oscar_name("_", table, "_nph");
	n->heartbeat = oscar_name("_", table, "_hb");
	n->bound = oscar_name("_", table, "_bnd");
	n->keylog = oscar_name("_", table, "_chg");
	/* GET_LOCK names are limited to 64 characters too; schema and table are
	 * up to 64 characters of up to 4 bytes each, so no fixed buffer */
	struct sbuf b = SBUF_INIT;
	sb_addf(&b, "%s.%s", schema, table);
	n->lock = oscar_name("oscar:", sb_str(&b), "");
	sb_free(&b);
}

void objnames_free(struct objnames *n)
{
	free(n->shadow);
	free(n->bound);
	free(n->keylog);
	free(n->old);
	free(n->trg_ins);
	free(n->trg_upd);
	free(n->trg_del);
	free(n->rtrg_ins);
	free(n->rtrg_upd);
	free(n->rtrg_del);
	free(n->old_ph);
	free(n->new_ph);
	free(n->heartbeat);
	free(n->lock);
	memset(n, 0, sizeof *n);
}
