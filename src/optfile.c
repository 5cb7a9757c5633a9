/* optfile: a reader of the option-file format the MariaDB tools share:
 * "[group]" lines, "key", "key=value" (quotes and backslash escapes as the
 * client library reads them), '#' and ';' comments, !include FILE and
 * !includedir DIR (files ending in .cnf, in name order). */
#include "optfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

#define MAX_DEPTH 10

static int read_depth(const char *path, const char *group, optfile_cb cb, void *ctx, char *err, size_t errlen,
		      int depth);

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The value as the client library reads it: surrounding quotes dropped,
 * \n \t \r \b \s \" \' \\ decoded, other backslashes kept; unquoted, a '#'
 * after a space starts a comment. Done in place. */
static void unquote(char *v)
{
	char *t0 = trim(v);
	memmove(v, t0, strlen(t0) + 1);
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		memmove(v, v + 1, n - 1);
	} else {
		for (char *c = v; *c; c++)
			if (*c == '#' && c > v && isspace((unsigned char)c[-1])) {
				*c = '\0';
				break;
			}
		char *t = trim(v);
		memmove(v, t, strlen(t) + 1);
	}
	char *w = v;
	for (char *r = v; *r; r++) {
		if (*r != '\\' || !r[1]) {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case 'r': *w++ = '\r'; break;
		case 'b': *w++ = '\b'; break;
		case 's': *w++ = ' '; break;
		case '"': case '\'': case '\\': *w++ = *r; break;
		default: *w++ = '\\'; *w++ = *r; break;
		}
	}
	*w = '\0';
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int include_dir(const char *dir, const char *group, optfile_cb cb, void *ctx, char *err, size_t errlen,
		       int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* as the client library: a missing directory is no error */
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".cnf")) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			struct sbuf p = SBUF_INIT;
			sb_addf(&p, "%s/%s", dir, names[i]);
			rc = read_depth(sb_str(&p), group, cb, ctx, err, errlen, depth + 1);
			sb_free(&p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int parse_depth(const char *text, size_t len, const char *path, const char *group, optfile_cb cb, void *ctx,
		       char *err, size_t errlen, int depth)
{
	bool in_group = false, any_group = false;
	int lineno = 0, rc = 0;
	size_t pos = 0;
	while (pos < len && !rc) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		char *line = xmalloc(end - pos + 1);
		memcpy(line, text + pos, end - pos);
		line[end - pos] = '\0';
		/* a NUL inside the line ends it, as it would for fgets */
		pos = end + 1;
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';') {
			free(line);
			continue;
		}
		if (*s == '!') {
			char *arg = s + 1;
			while (*arg && !isspace((unsigned char)*arg))
				arg++;
			if (*arg)
				*arg++ = '\0';
			arg = trim(arg);
			if (!*arg) {
				snprintf(err, errlen, "'%s' line %d: %s without a name", path, lineno, s);
				rc = -1;
			} else if (depth >= MAX_DEPTH) {
				snprintf(err, errlen, "'%s' line %d: includes nested too deeply", path, lineno);
				rc = -1;
			} else if (!strcmp(s, "!include")) {
				rc = read_depth(arg, group, cb, ctx, err, errlen, depth + 1);
			} else if (!strcmp(s, "!includedir")) {
				rc = include_dir(arg, group, cb, ctx, err, errlen, depth);
			} else {
				snprintf(err, errlen, "'%s' line %d: unknown directive '%s'", path, lineno, s);
				rc = -1;
			}
			free(line);
			continue;
		}
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close) {
				snprintf(err, errlen, "'%s' line %d: a group name without ']'", path, lineno);
				rc = -1;
			} else {
				*close = '\0';
				in_group = !strcmp(trim(s + 1), group);
				any_group = true;
			}
			free(line);
			continue;
		}
		if (!any_group) {
			snprintf(err, errlen, "'%s' line %d: an option before any [group]", path, lineno);
			rc = -1;
			free(line);
			continue;
		}
		if (in_group) {
			char *eq = strchr(s, '=');
			char *value = NULL;
			if (eq) {
				*eq = '\0';
				value = eq + 1;
				unquote(value);
			}
			char *key = trim(s);
			for (char *c = key; *c; c++)
				if (*c == '_')
					*c = '-';
			if (!*key) {
				snprintf(err, errlen, "'%s' line %d: a value without an option name", path, lineno);
				rc = -1;
			} else {
				rc = cb(ctx, path, lineno, key, value);
			}
		}
		free(line);
	}
	return rc;
}

int optfile_parse(const char *text, size_t len, const char *path, const char *group, optfile_cb cb, void *ctx,
		  char *err, size_t errlen)
{
	return parse_depth(text, len, path, group, cb, ctx, err, errlen, 0);
}

static int read_depth(const char *path, const char *group, optfile_cb cb, void *ctx, char *err, size_t errlen,
		      int depth)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read option file '%s': %s", path, strerror(errno));
		return -1;
	}
	struct sbuf text = SBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_addn(&text, buf, n);
	int bad = ferror(f);
	fclose(f);
	int rc;
	if (bad) {
		snprintf(err, errlen, "cannot read option file '%s'", path);
		rc = -1;
	} else {
		rc = parse_depth(sb_str(&text), text.len, path, group, cb, ctx, err, errlen, depth);
	}
	sb_free(&text);
	return rc;
}

int optfile_read(const char *path, const char *group, optfile_cb cb, void *ctx, char *err, size_t errlen)
{
	return read_depth(path, group, cb, ctx, err, errlen, 0);
}

const char *const *optfile_default_paths(void)
{
	static char home[4096], mhome[4096];
	static const char *paths[6];
	int n = 0;
	paths[n++] = "/etc/my.cnf";
	paths[n++] = "/etc/mysql/my.cnf";
	const char *mh = getenv("MARIADB_HOME");
	if (!mh)
		mh = getenv("MYSQL_HOME");
	if (mh && snprintf(mhome, sizeof mhome, "%s/my.cnf", mh) < (int)sizeof mhome)
		paths[n++] = mhome;
	const char *h = getenv("HOME");
	if (h && snprintf(home, sizeof home, "%s/.my.cnf", h) < (int)sizeof home)
		paths[n++] = home;
	paths[n] = NULL;
	return paths;
}
