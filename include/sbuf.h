/* sbuf: growable strings, and the one place identifiers and literals are quoted. */
#ifndef OSCAR_SBUF_H
#define OSCAR_SBUF_H

#include <stddef.h>

struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};

#define SBUF_INIT { NULL, 0, 0 }

void sb_init(struct sbuf *sb);
void sb_free(struct sbuf *sb);
void sb_reset(struct sbuf *sb);
void sb_addn(struct sbuf *sb, const char *s, size_t n);
void sb_add(struct sbuf *sb, const char *s);
void sb_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Backtick-quoted identifier with embedded backticks doubled. */
void sb_ident(struct sbuf *sb, const char *name);
/* The reverse: the quoted identifier at p ("`na``me` ..."), unquoted into a
 * new *name; returns the position after it, or NULL when p holds none. */
const char *ident_unquote(const char *p, char **name);
/* `schema`.`name` */
void sb_qualified(struct sbuf *sb, const char *schema, const char *name);
/* "RENAME TABLE `s`.`a` TO `s`.`b`, ..." from a NULL-terminated list of
 * from, to names: one statement, so all pairs swap atomically. */
void sb_rename(struct sbuf *sb, const char *schema, const char *const *pairs);
/* Single-quoted string literal, safe whatever the session's sql_mode: quotes are
 * doubled and backslashes doubled, and we never run with NO_BACKSLASH_ESCAPES. */
void sb_literal(struct sbuf *sb, const char *s);
/* JSON string with quotes. */
void sb_json(struct sbuf *sb, const char *s);
/* Returns the buffer's string (never NULL) and keeps ownership. */
const char *sb_str(const struct sbuf *sb);
/* Hands the string over to the caller (never NULL) and resets the buffer. */
char *sb_take(struct sbuf *sb);

char *xstrdup(const char *s);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);

#endif
