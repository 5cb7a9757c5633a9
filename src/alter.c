/* alter: a small tokenizer over the ALTER specification. The server applies the
 * ALTER to the shadow and the catalog tells the result; the text is read only
 * for what the result cannot show: which columns were renamed (their data must
 * follow them), which were dropped and re-added (their data must not), and
 * whether the table itself is renamed. */
#include "alter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbuf.h"

enum tokkind { T_WORD, T_QUOTED_ID, T_STRING, T_PUNCT, T_END };

struct tok {
	enum tokkind kind;
	char *text; /* identifiers unquoted */
	size_t off, len; /* where it stands in the text, quotes included */
};

struct lexer {
	const char *base;
	const char *p;
	const char *tok_start;
	int depth;
	char *error;
};

static void set_err(struct alter_info *ai, const char *msg)
{
	snprintf(ai->error, sizeof ai->error, "%s", msg);
}

static int scan_tok(struct lexer *lx, struct tok *t);

/* Next token; comments and whitespace skipped. Returns -1 on unterminated quote. */
static int next_tok(struct lexer *lx, struct tok *t)
{
	int rc = scan_tok(lx, t);
	if (!rc) {
		t->off = (size_t)(lx->tok_start - lx->base);
		t->len = (size_t)(lx->p - lx->tok_start);
	}
	return rc;
}

static int scan_tok(struct lexer *lx, struct tok *t)
{
	const char *p = lx->p;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (*p == '#' || (p[0] == '-' && p[1] == '-' && (isspace((unsigned char)p[2]) || !p[2]))) {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			if (!e)
				return -1;
			p = e + 2;
			continue;
		}
		break;
	}
	lx->tok_start = p;
	t->text = NULL;
	if (!*p) {
		t->kind = T_END;
		lx->p = p;
		return 0;
	}
	if (*p == '`' || *p == '\'' || *p == '"') {
		char q = *p++;
		struct sbuf sb = SBUF_INIT;
		for (;;) {
			if (!*p) {
				sb_free(&sb);
				return -1;
			}
			if (*p == q && p[1] == q) {
				sb_addn(&sb, p, 1);
				p += 2;
				continue;
			}
			if (*p == q) {
				p++;
				break;
			}
			if (*p == '\\' && q != '`' && p[1]) {
				sb_addn(&sb, p + 1, 1);
				p += 2;
				continue;
			}
			sb_addn(&sb, p++, 1);
		}
		t->kind = q == '`' ? T_QUOTED_ID : T_STRING;
		t->text = sb_take(&sb);
		lx->p = p;
		return 0;
	}
	if (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80) {
		const char *s = p;
		while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80))
			p++;
		t->kind = T_WORD;
		t->text = xmalloc((size_t)(p - s) + 1);
		memcpy(t->text, s, (size_t)(p - s));
		t->text[p - s] = '\0';
		lx->p = p;
		return 0;
	}
	t->kind = T_PUNCT;
	t->text = xmalloc(2);
	t->text[0] = *p;
	t->text[1] = '\0';
	lx->p = p + 1;
	return 0;
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->kind == T_WORD && !strcasecmp(t->text, kw);
}

static bool is_ident(const struct tok *t)
{
	return t->kind == T_WORD || t->kind == T_QUOTED_ID;
}

static void push(char ***v, int *n, const char *s)
{
	*v = xrealloc(*v, sizeof **v * (size_t)(*n + 1));
	(*v)[(*n)++] = xstrdup(s);
}

/* Tokens of one top-level clause (between commas at parenthesis depth 0). */
struct clause {
	int n;
	struct tok *t;
};

static void clause_free(struct clause *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->t[i].text);
	free(c->t);
	c->n = 0;
	c->t = NULL;
}

static void analyze_clause(struct clause *c, struct alter_info *ai)
{
	struct tok *t = c->t;
	int n = c->n;
	if (n == 0)
		return;
	int i = 0;
	if (is_kw(&t[0], "RENAME")) {
		if (n > 1 && (is_kw(&t[1], "COLUMN"))) {
			/* RENAME COLUMN old TO new */
			if (n >= 5 && is_ident(&t[2]) && is_kw(&t[3], "TO") && is_ident(&t[4]) &&
			    strcasecmp(t[2].text, t[4].text)) {
				push(&ai->rename_from, &ai->nrenames, t[2].text);
				ai->nrenames--;
				push(&ai->rename_to, &ai->nrenames, t[4].text);
			}
			return;
		}
		if (n > 1 && (is_kw(&t[1], "INDEX") || is_kw(&t[1], "KEY")))
			return;
		ai->renames_table = true;
		return;
	}
	if (is_kw(&t[0], "CHANGE")) {
		i = 1;
		if (i < n && is_kw(&t[i], "COLUMN"))
			i++;
		if (i + 1 < n && is_kw(&t[i], "IF") && is_kw(&t[i + 1], "EXISTS"))
			i += 2;
		if (i + 1 < n && is_ident(&t[i]) && is_ident(&t[i + 1]) && strcasecmp(t[i].text, t[i + 1].text)) {
			push(&ai->rename_from, &ai->nrenames, t[i].text);
			ai->nrenames--;
			push(&ai->rename_to, &ai->nrenames, t[i + 1].text);
		}
		return;
	}
	if (is_kw(&t[0], "ADD")) {
		/* ADD [CONSTRAINT [name]] FOREIGN KEY ...: the copy must then check
		 * the rows against it, as the server's own ALTER would */
		for (i = 1; i < n && i < 4; i++)
			if (is_kw(&t[i], "FOREIGN")) {
				ai->adds_fk = true;
				break;
			}
		return;
	}
	if (is_kw(&t[0], "DROP") && n > 2 && (is_kw(&t[1], "CONSTRAINT") || (is_kw(&t[1], "FOREIGN") && is_kw(&t[2], "KEY")))) {
		/* DROP FOREIGN KEY [IF EXISTS] name / DROP CONSTRAINT [IF EXISTS]
		 * name: where the name stands, for the shadow's copy of the text */
		i = is_kw(&t[1], "CONSTRAINT") ? 2 : 3;
		if (i + 1 < n && is_kw(&t[i], "IF") && is_kw(&t[i + 1], "EXISTS"))
			i += 2;
		if (i < n && is_ident(&t[i])) {
			ai->fkdrop = xrealloc(ai->fkdrop, sizeof *ai->fkdrop * (size_t)(ai->nfkdrops + 1));
			ai->fkdrop[ai->nfkdrops].name = xstrdup(t[i].text);
			ai->fkdrop[ai->nfkdrops].off = t[i].off;
			ai->fkdrop[ai->nfkdrops].len = t[i].len;
			ai->nfkdrops++;
		}
		return;
	}
	if (is_kw(&t[0], "DROP")) {
		i = 1;
		static const char *not_col[] = { "INDEX", "KEY", "PRIMARY", "FOREIGN", "CONSTRAINT", "CHECK",
						 "PARTITION", "SYSTEM", "UNIQUE", "FULLTEXT", "SPATIAL", NULL };
		if (i < n)
			for (const char **k = not_col; *k; k++)
				if (is_kw(&t[i], *k))
					return;
		if (i < n && is_kw(&t[i], "COLUMN"))
			i++;
		if (i + 1 < n && is_kw(&t[i], "IF") && is_kw(&t[i + 1], "EXISTS"))
			i += 2;
		if (i < n && is_ident(&t[i]))
			push(&ai->dropped, &ai->ndropped, t[i].text);
	}
}

int alter_analyze(const char *text, struct alter_info *ai)
{
	memset(ai, 0, sizeof *ai);
	struct lexer lx = { text, text, text, 0, NULL };
	struct clause c = { 0, NULL };
	int depth = 0;
	bool any = false;
	for (;;) {
		struct tok t;
		if (next_tok(&lx, &t)) {
			clause_free(&c);
			set_err(ai, "unterminated quote or comment in the ALTER specification");
			return -1;
		}
		if (t.kind == T_END)
			break;
		any = true;
		if (t.kind == T_PUNCT && t.text[0] == ';') {
			free(t.text);
			clause_free(&c);
			set_err(ai, "the ALTER specification must not contain ';'");
			return -1;
		}
		if (t.kind == T_PUNCT && t.text[0] == '(')
			depth++;
		if (t.kind == T_PUNCT && t.text[0] == ')')
			depth--;
		if (depth == 0 && t.kind == T_PUNCT && t.text[0] == ',') {
			free(t.text);
			analyze_clause(&c, ai);
			clause_free(&c);
			continue;
		}
		c.t = xrealloc(c.t, sizeof *c.t * (size_t)(c.n + 1));
		c.t[c.n++] = t;
	}
	analyze_clause(&c, ai);
	clause_free(&c);
	if (!any) {
		set_err(ai, "the ALTER specification is empty");
		return -1;
	}
	if (depth != 0) {
		set_err(ai, "unbalanced parentheses in the ALTER specification");
		return -1;
	}
	if (ai->renames_table) {
		set_err(ai, "the ALTER renames the table; use RENAME TABLE instead");
		return -1;
	}
	return 0;
}

void alter_info_free(struct alter_info *ai)
{
	for (int i = 0; i < ai->nrenames; i++) {
		free(ai->rename_from[i]);
		free(ai->rename_to[i]);
	}
	for (int i = 0; i < ai->ndropped; i++)
		free(ai->dropped[i]);
	free(ai->rename_from);
	free(ai->rename_to);
	free(ai->dropped);
	for (int i = 0; i < ai->nfkdrops; i++)
		free(ai->fkdrop[i].name);
	free(ai->fkdrop);
	memset(ai, 0, sizeof *ai);
}

const char *alter_new_name(const struct alter_info *ai, const char *old)
{
	/* Every clause names columns of the original table (the server reads
	 * "CHANGE a b ..., CHANGE b a ..." as a swap), so renames never chain. */
	for (int i = 0; i < ai->nrenames; i++)
		if (!strcasecmp(ai->rename_from[i], old))
			return ai->rename_to[i];
	return old;
}

bool alter_dropped(const struct alter_info *ai, const char *col)
{
	for (int i = 0; i < ai->ndropped; i++)
		if (!strcasecmp(ai->dropped[i], col))
			return true;
	return false;
}

char *alter_rename_fk_drops(const char *text, const struct alter_info *ai, const char *(*rename)(const char *, void *),
			    void *arg)
{
	struct sbuf sb = SBUF_INIT;
	size_t at = 0;
	/* clauses are recorded in the order of the text */
	for (int i = 0; i < ai->nfkdrops; i++) {
		const char *to = rename(ai->fkdrop[i].name, arg);
		if (!to)
			continue;
		sb_addn(&sb, text + at, ai->fkdrop[i].off - at);
		sb_ident(&sb, to);
		at = ai->fkdrop[i].off + ai->fkdrop[i].len;
	}
	sb_add(&sb, text + at);
	return sb_take(&sb);
}
