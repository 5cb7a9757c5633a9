/* The parsers of user text, with what the fuzzers found (test/fuzz): each
 * crash input is a case here. */
#include <stdlib.h>
#include <string.h>

#include "cutover.h"
#include "optfile.h"
#include "options.h"
#include "replica.h"
#include "tap.h"

struct kv {
	int n;
	char key[8][64];
	char val[8][64];
	int has[8];
};

static int collect(void *ctx, const char *file, int line, const char *key, const char *value)
{
	struct kv *kv = ctx;
	(void)file;
	(void)line;
	if (kv->n < 8) {
		snprintf(kv->key[kv->n], 64, "%s", key);
		snprintf(kv->val[kv->n], 64, "%s", value ? value : "");
		kv->has[kv->n] = value != NULL;
		kv->n++;
	}
	return 0;
}

static int parse(const char *text, struct kv *kv, char *err)
{
	memset(kv, 0, sizeof *kv);
	err[0] = '\0';
	return optfile_parse(text, strlen(text), "t.cnf", "oscar", collect, kv, err, 256);
}

int main(void)
{
	double d;
	/* fuzz_duration: 1e301 minutes is finite, an hour more overflowed to
	 * infinity and was accepted as a revert window */
	ok(options_parse_duration("1e301m1h0m", &d) == -1, "an infinite duration is refused");
	ok(options_parse_duration("1e308d", &d) == -1, "an overflowing duration is refused");
	ok(options_parse_duration("1h30m", &d) == 0 && d == 5400, "1h30m is 5400 s");
	ok(options_parse_duration("0s", &d) == -1, "zero is refused");
	ok(options_parse_duration("", &d) == -1, "empty is refused");

	int from, to;
	char err[256];
	ok(cutover_window_parse("22:00-02:00", &from, &to, err, sizeof err) == 0 && from == 1320 && to == 120,
	   "a window across midnight");
	ok(cutover_window_parse("24:00-01:00", &from, &to, err, sizeof err) == -1, "hour 24 is refused");

	struct kv kv;
	/* every oscar option in [oscar], chunk-time first (the group used to end there) */
	ok(parse("[client]\nuser=x\n[oscar]\nchunk-time=0.2\nsocket=/tmp/s\nchunk_size = 7 # c\nexecute\n", &kv, err) == 0,
	   "an [oscar] group parses");
	ok(kv.n == 4, "all four keys of [oscar], none of [client] (%d)", kv.n);
	is_str(kv.key[0], "chunk-time", "first key");
	is_str(kv.key[2], "chunk-size", "'_' read as '-'");
	is_str(kv.val[2], "7", "the value without its comment");
	ok(!kv.has[3], "a switch has no value");
	/* fuzz_optfile: an escaped \n in a value is a newline, as the client
	 * library reads it; the key stays on its line */
	ok(parse("[oscar]\npassword='a\\nb\\\\c\\'d'\n", &kv, err) == 0 && kv.n == 1, "escapes in a quoted value");
	is_str(kv.val[0], "a\nb\\c'd", "\\n, \\\\ and \\' decoded");
	ok(parse("user=x\n", &kv, err) == -1 && strstr(err, "'t.cnf' line 1"), "an option before any group: %s", err);
	ok(parse("[oscar\n", &kv, err) == -1 && strstr(err, "']'"), "an unclosed group: %s", err);
	ok(parse("[oscar]\n=5\n", &kv, err) == -1 && strstr(err, "without an option name"), "a value alone: %s", err);
	ok(parse("[oscar]\n!bogus x\n", &kv, err) == -1 && strstr(err, "unknown directive"), "unknown directive: %s", err);
	ok(parse("[oscar]\nk=\"\n", &kv, err) == 0 && kv.n == 1 && !strcmp(kv.val[0], "\""), "a lone quote is the value");

	char dsn[] = "h=r1,P=3307,u=u,p=secret";
	ok(replica_dsn_check(dsn, err, sizeof err) == 0, "a DSN");
	replica_dsn_scrub(dsn);
	ok(strstr(dsn, "secret") == NULL && strlen(dsn) == strlen("h=r1,P=3307,u=u,p=secret"), "its password scrubbed in place");
	ok(replica_parse_lag("500ms", &d) == 0 && d == 0.5, "500ms");
	ok(replica_parse_lag("1e999", &d) == -1, "an overflowing lag is refused");
	return tap_done();
}
