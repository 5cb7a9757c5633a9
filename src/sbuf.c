/* sbuf: growable strings and quoting. Every identifier oscar sends to the server
 * goes through sb_ident, every literal through sb_literal. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("oscar: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) {
		fputs("oscar: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("oscar: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s ? s : "");
	char *d = xmalloc(n + 1);
	memcpy(d, s ? s : "", n + 1);
	return d;
}

void sb_init(struct sbuf *sb)
{
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

void sb_free(struct sbuf *sb)
{
	free(sb->s);
	sb_init(sb);
}

void sb_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

static void sb_grow(struct sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	sb->s = xrealloc(sb->s, cap);
	sb->cap = cap;
}

void sb_addn(struct sbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void sb_add(struct sbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

void sb_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char probe[1];
	int n = vsnprintf(probe, sizeof probe, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sb_ident(struct sbuf *sb, const char *name)
{
	sb_addn(sb, "`", 1);
	for (const char *p = name; *p; p++) {
		if (*p == '`')
			sb_addn(sb, "``", 2);
		else
			sb_addn(sb, p, 1);
	}
	sb_addn(sb, "`", 1);
}

const char *ident_unquote(const char *p, char **name)
{
	if (*p != '`')
		return NULL;
	struct sbuf n = SBUF_INIT;
	for (p++; *p; p++) {
		if (*p == '`') {
			if (p[1] != '`') {
				*name = sb_take(&n);
				return p + 1;
			}
			p++;
		}
		sb_addn(&n, p, 1);
	}
	sb_free(&n);
	return NULL;
}

void sb_qualified(struct sbuf *sb, const char *schema, const char *name)
{
	sb_ident(sb, schema);
	sb_addn(sb, ".", 1);
	sb_ident(sb, name);
}

void sb_rename(struct sbuf *sb, const char *schema, const char *const *pairs)
{
	sb_add(sb, "RENAME TABLE ");
	for (int i = 0; pairs[i] && pairs[i + 1]; i += 2) {
		if (i)
			sb_add(sb, ", ");
		sb_qualified(sb, schema, pairs[i]);
		sb_add(sb, " TO ");
		sb_qualified(sb, schema, pairs[i + 1]);
	}
}

void sb_literal(struct sbuf *sb, const char *s)
{
	sb_addn(sb, "'", 1);
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\'': sb_addn(sb, "''", 2); break;
		case '\\': sb_addn(sb, "\\\\", 2); break;
		case '\n': sb_addn(sb, "\\n", 2); break;
		case '\r': sb_addn(sb, "\\r", 2); break;
		case '\032': sb_addn(sb, "\\Z", 2); break;
		default: sb_addn(sb, p, 1);
		}
	}
	sb_addn(sb, "'", 1);
}

void sb_json(struct sbuf *sb, const char *s)
{
	sb_addn(sb, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': sb_addn(sb, "\\\"", 2); break;
		case '\\': sb_addn(sb, "\\\\", 2); break;
		case '\n': sb_addn(sb, "\\n", 2); break;
		case '\r': sb_addn(sb, "\\r", 2); break;
		case '\t': sb_addn(sb, "\\t", 2); break;
		default:
			if (*p < 0x20)
				sb_addf(sb, "\\u%04x", *p);
			else
				sb_addn(sb, (const char *)p, 1);
		}
	}
	sb_addn(sb, "\"", 1);
}

const char *sb_str(const struct sbuf *sb)
{
	return sb->s ? sb->s : "";
}

char *sb_take(struct sbuf *sb)
{
	char *s = sb->s ? sb->s : xstrdup("");
	sb_init(sb);
	return s;
}
