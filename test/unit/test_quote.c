/* Quoting, JSON escaping and object names: the helpers every statement uses. */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "sbuf.h"
#include "tap.h"

static char *ident(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	sb_ident(&sb, s);
	return sb_take(&sb);
}

static char *literal(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	sb_literal(&sb, s);
	return sb_take(&sb);
}

static char *json(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	sb_json(&sb, s);
	return sb_take(&sb);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if ((*s & 0xC0) != 0x80)
			n++;
	return n;
}

int main(void)
{
	char *s;
	is_str(s = ident("t"), "`t`", "plain identifier"); free(s);
	is_str(s = ident("a`b"), "`a``b`", "backtick doubled"); free(s);
	is_str(s = ident("``"), "``````", "only backticks"); free(s);
	is_str(s = ident("we'ird\"x"), "`we'ird\"x`", "quotes left alone inside backticks"); free(s);
	is_str(s = ident("caf\xc3\xa9"), "`caf\xc3\xa9`", "utf-8 passes through"); free(s);

	struct sbuf sb = SBUF_INIT;
	sb_qualified(&sb, "d`b", "t");
	is_str(sb_str(&sb), "`d``b`.`t`", "qualified name quotes both parts");
	sb_free(&sb);

	sb_rename(&sb, "d", (const char *const[]){ "t", "_t_old", "_t_new", "t", NULL });
	is_str(sb_str(&sb), "RENAME TABLE `d`.`t` TO `d`.`_t_old`, `d`.`_t_new` TO `d`.`t`", "two-pair rename");
	sb_reset(&sb);
	sb_rename(&sb, "d`b", (const char *const[]){ "a`x", "b", NULL });
	is_str(sb_str(&sb), "RENAME TABLE `d``b`.`a``x` TO `d``b`.`b`", "rename quotes every name");
	sb_free(&sb);

	is_str(s = literal("abc"), "'abc'", "plain literal"); free(s);
	is_str(s = literal("it's"), "'it''s'", "single quote doubled"); free(s);
	is_str(s = literal("a\\b"), "'a\\\\b'", "backslash doubled"); free(s);
	is_str(s = literal("x\\'; DROP TABLE t; --"), "'x\\\\''; DROP TABLE t; --'",
	       "backslash-quote cannot end the literal"); free(s);
	is_str(s = literal("l1\nl2\r\032"), "'l1\\nl2\\r\\Z'", "control characters escaped"); free(s);

	is_str(s = json("say \"hi\"\n\\"), "\"say \\\"hi\\\"\\n\\\\\"", "json escapes"); free(s);
	is_str(s = json("\x01"), "\"\\u0001\"", "json control character"); free(s);

	sb_addf(&sb, "%d-%s", 42, "x");
	sb_addn(&sb, "abcdef", 3);
	is_str(sb_str(&sb), "42-xabc", "addf and addn append");
	sb_reset(&sb);
	is_str(sb_str(&sb), "", "reset empties");
	for (int i = 0; i < 1000; i++)
		sb_add(&sb, "0123456789");
	ok(sb.len == 10000 && strlen(sb_str(&sb)) == 10000, "grows to 10000 bytes");
	sb_free(&sb);

	/* names */
	is_str(s = oscar_name("_", "orders", "_new"), "_orders_new", "short name unchanged"); free(s);
	char long_name[65];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	char *n1 = oscar_name("_", long_name, "_new");
	ok(strlen(n1) == 64, "64-char table: shadow name shortened to 64 (%zu)", strlen(n1));
	ok(strncmp(n1, "_aaaa", 5) == 0 && strcmp(n1 + 60, "_new") == 0, "keeps prefix and suffix: %s", n1);
	char *n2 = oscar_name("_", long_name, "_new");
	is_str(n2, n1, "shortening is deterministic");
	long_name[63] = 'b';
	char *n3 = oscar_name("_", long_name, "_new");
	ok(strcmp(n1, n3) != 0, "different long tables get different names");
	free(n1); free(n2); free(n3);
	/* 60 two-byte characters: the limit is in characters, cut on a boundary */
	struct sbuf u = SBUF_INIT;
	for (int i = 0; i < 62; i++)
		sb_add(&u, "\xc3\xa9");
	char *n4 = oscar_name("oscar_", sb_str(&u), "_ins");
	ok(utf8_chars(n4) <= 64, "multibyte name within 64 characters (%zu)", utf8_chars(n4));
	int valid = 1;
	for (const unsigned char *p = (const unsigned char *)n4; *p; p++)
		if (*p == 0xc3 && (p[1] & 0xC0) != 0x80)
			valid = 0;
	ok(valid, "multibyte name not cut inside a character");
	free(n4);
	sb_free(&u);

	struct objnames on;
	objnames_init(&on, "db", "t");
	is_str(on.shadow, "_t_new", "shadow name");
	is_str(on.old, "_t_old", "old name");
	is_str(on.trg_ins, "oscar_t_ins", "insert trigger name");
	is_str(on.trg_upd, "oscar_t_upd", "update trigger name");
	is_str(on.trg_del, "oscar_t_del", "delete trigger name");
	is_str(on.lock, "oscar:db.t", "lock name");
	objnames_free(&on);
	return tap_done();
}
