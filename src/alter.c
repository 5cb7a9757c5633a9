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

static const struct {
	const char *verb;
	enum partition_op op;
} partition_verbs[] = {
	{ "ADD", PART_ADD },		 { "DROP", PART_DROP },	      { "TRUNCATE", PART_TRUNCATE },
	{ "COALESCE", PART_COALESCE },	 { "REORGANIZE", PART_REORGANIZE }, { "EXCHANGE", PART_EXCHANGE },
	{ "REBUILD", PART_REBUILD },	 { "ANALYZE", PART_ANALYZE },	      { "CHECK", PART_CHECK },
	{ "OPTIMIZE", PART_OPTIMIZE },	 { "REPAIR", PART_REPAIR },	      { "CONVERT", PART_CONVERT },
};

const char *alter_partition_name(enum partition_op op)
{
	static const char *names[] = { "", "ADD PARTITION", "DROP PARTITION", "TRUNCATE PARTITION",
				       "COALESCE PARTITION", "REORGANIZE PARTITION", "EXCHANGE PARTITION",
				       "REBUILD PARTITION", "ANALYZE PARTITION", "CHECK PARTITION",
				       "OPTIMIZE PARTITION", "REPAIR PARTITION", "CONVERT PARTITION" };
	return names[op];
}

bool alter_partition_native(const struct alter_info *ai, bool range_or_list)
{
	switch (ai->partition) {
	case PART_NONE:
		return false;
	case PART_ADD:
		/* HASH and KEY partitions are redistributed: rows move, so the copy
		 * does it online; a RANGE or LIST partition starts empty */
		return range_or_list;
	case PART_COALESCE:
	case PART_REORGANIZE:
	case PART_REBUILD:
		/* the server rewrites the rows under a write lock; the copy gives
		 * the same rows in the same new layout while the table stays writable */
		return false;
	default:
		/* DROP, TRUNCATE, EXCHANGE, CONVERT remove or move rows: a copy would
		 * keep them. ANALYZE, CHECK, OPTIMIZE, REPAIR are the server's own
		 * maintenance of the table in place. */
		return true;
	}
}

bool alter_algorithm_native(const struct alter_info *ai)
{
	return ai->algorithm == ALG_INSTANT || ai->algorithm == ALG_NOCOPY || ai->algorithm == ALG_INPLACE;
}

/* ALGORITHM [=] name / LOCK [=] name as a clause of its own. */
static bool option_clause(const struct clause *c, const char *kw, const struct tok **value)
{
	if (c->n < 2 || !is_kw(&c->t[0], kw))
		return false;
	int i = 1;
	if (c->t[i].kind == T_PUNCT && c->t[i].text[0] == '=')
		i++;
	if (i != c->n - 1 || c->t[i].kind != T_WORD)
		return false;
	*value = &c->t[i];
	return true;
}

static void analyze_clause(struct clause *c, struct alter_info *ai, int index)
{
	struct tok *t = c->t;
	int n = c->n;
	if (n == 0)
		return;
	int i = 0;
	const struct tok *v;
	if (option_clause(c, "ALGORITHM", &v)) {
		static const struct {
			const char *name;
			enum alter_algorithm a;
		} algs[] = { { "DEFAULT", ALG_DEFAULT }, { "COPY", ALG_COPY },	      { "INPLACE", ALG_INPLACE },
			     { "NOCOPY", ALG_NOCOPY },	 { "INSTANT", ALG_INSTANT } };
		for (size_t k = 0; k < sizeof algs / sizeof algs[0]; k++)
			if (!strcasecmp(v->text, algs[k].name)) {
				ai->algorithm = algs[k].a;
				ai->algorithm_name = algs[k].name;
				ai->clause[index].dropped = true;
			}
		/* an unknown one is left for the server to refuse */
		return;
	}
	if (option_clause(c, "LOCK", &v)) {
		ai->has_lock = true;
		ai->clause[index].dropped = true;
		return;
	}
	/* partition maintenance is a statement of its own: the server accepts
	 * nothing else beside it, so only the first clause can be one */
	if (index == 0 && n > 1 && (is_kw(&t[1], "PARTITION") || (is_kw(&t[0], "CONVERT") && is_kw(&t[1], "TABLE"))))
		for (size_t k = 0; k < sizeof partition_verbs / sizeof partition_verbs[0]; k++)
			if (is_kw(&t[0], partition_verbs[k].verb))
				ai->partition = partition_verbs[k].op;
	for (i = 0; i + 1 < n; i++) {
		/* AUTO_INCREMENT [=] N is the table option; in a column
		 * definition the word stands alone */
		if (is_kw(&t[i], "AUTO_INCREMENT")) {
			int at = i + 1;
			if (t[at].kind == T_PUNCT && t[at].text[0] == '=' && at + 1 < n)
				at++;
			if (t[at].kind == T_WORD && isdigit((unsigned char)t[at].text[0])) {
				ai->sets_auto_increment = true;
				ai->auto_increment = strtoull(t[at].text, NULL, 10);
			}
		}
		if (is_kw(&t[i], "SYSTEM") && is_kw(&t[i + 1], "VERSIONING"))
			ai->versioning = true;
		if (is_kw(&t[i], "PERIOD") && is_kw(&t[i + 1], "FOR"))
			ai->versioning = true;
		if ((is_kw(&t[i], "DISCARD") || is_kw(&t[i], "IMPORT")) &&
		    (is_kw(&t[i + 1], "TABLESPACE") || is_kw(&t[i + 1], "PARTITION")))
			ai->refused = "DISCARD/IMPORT TABLESPACE works on the table's files, not its definition; "
				      "run it natively";
	}
	i = 0;
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

/* Records a finished top-level clause, analyses it and empties c. */
static void end_clause(struct clause *c, struct alter_info *ai)
{
	if (c->n) {
		int k = ai->nclauses++;
		ai->clause = xrealloc(ai->clause, sizeof *ai->clause * (size_t)ai->nclauses);
		ai->clause[k].off = c->t[0].off;
		ai->clause[k].len = c->t[c->n - 1].off + c->t[c->n - 1].len - c->t[0].off;
		ai->clause[k].dropped = false;
		analyze_clause(c, ai, k);
	}
	clause_free(c);
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
			end_clause(&c, ai);
			continue;
		}
		c.t = xrealloc(c.t, sizeof *c.t * (size_t)(c.n + 1));
		c.t[c.n++] = t;
	}
	end_clause(&c, ai);
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
	free(ai->clause);
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

char *alter_shadow_text(const char *text, const struct alter_info *ai, const char *(*rename)(const char *, void *),
			void *arg)
{
	struct sbuf sb = SBUF_INIT;
	int f = 0, kept = 0;
	/* clauses and foreign key names are both recorded in the order of the text */
	for (int c = 0; c < ai->nclauses; c++) {
		size_t at = ai->clause[c].off, end = at + ai->clause[c].len;
		bool keep = !ai->clause[c].dropped;
		if (keep && kept++)
			sb_add(&sb, ", ");
		for (; f < ai->nfkdrops && ai->fkdrop[f].off < end; f++) {
			const char *to = rename ? rename(ai->fkdrop[f].name, arg) : NULL;
			if (!to || !keep)
				continue;
			sb_addn(&sb, text + at, ai->fkdrop[f].off - at);
			sb_ident(&sb, to);
			at = ai->fkdrop[f].off + ai->fkdrop[f].len;
		}
		if (keep)
			sb_addn(&sb, text + at, end - at);
	}
	if (!kept)
		sb_add(&sb, "FORCE");
	return sb_take(&sb);
}
