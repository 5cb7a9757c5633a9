/* What the threads share: the error text of each connection is its own (the
 * index-build thread formats errors while the main thread verifies), the
 * flags the signal thread writes are atomics, and the lock name of a long
 * schema and table is not cut short by a fixed buffer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "names.h"
#include "tap.h"

_Static_assert(_Generic(&oscar_abort, atomic_int *: 1, default: 0), "oscar_abort is an atomic");
_Static_assert(_Generic(&oscar_paused, atomic_int *: 1, default: 0), "oscar_paused is an atomic");

struct worker {
	struct db db;
	char msg[64];
	int bad;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20000; i++) {
		const char *t = db_error_text(&w->db);
		if (!strstr(t, w->msg))
			w->bad++;
	}
	return NULL;
}

int main(void)
{
	struct db a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	db_set_error(&a, 1205, "HY000", "error of a", "SELECT 1");
	db_set_error(&b, 1213, "40001", "error of b", NULL);
	const char *ta = db_error_text(&a);
	const char *tb = db_error_text(&b);
	ok(strstr(ta, "error of a") != NULL, "the text of one connection survives formatting another's (%s)", ta);
	ok(ta != tb, "each connection has its own buffer");
	is_str(tb, "errno 1213 (40001): error of b", "the text of the other");

	struct worker w[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof w[i]);
		snprintf(w[i].msg, sizeof w[i].msg, "message of thread %d", i);
		db_set_error(&w[i].db, 1000 + (unsigned)i, "HY000", w[i].msg, NULL);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ok(w[0].bad == 0 && w[1].bad == 0, "two threads formatting errors at once each read their own (%d, %d wrong)",
	   w[0].bad, w[1].bad);

	/* 64 four-byte characters each: more than any fixed 300-byte buffer */
	char schema[257] = "", t1[257] = "", t2[257] = "";
	for (int i = 0; i < 64; i++) {
		strcat(schema, "\xF0\x9F\x98\x80");
		strcat(t1, "\xF0\x9F\x98\x81");
		strcat(t2, "\xF0\x9F\x98\x81");
	}
	memcpy(t2 + 252, "\xF0\x9F\x98\x82", 4); /* differs only in the last character */
	struct objnames n1, n2;
	objnames_init(&n1, schema, t1);
	objnames_init(&n2, schema, t2);
	ok(strcmp(n1.lock, n2.lock) != 0, "tables differing in their 64th character get different lock names");
	objnames_free(&n1);
	objnames_free(&n2);
	return tap_done();
}
