/*
 * The generic half of the config loader: libyaml documents read into
 * nodes, typed accessors over them, and every problem collected with its
 * FILE:LINE:COL and reported in file order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "tcptally/tcptally.h"
#include "cfgyaml.h"

#define MAX_SIZE	(16 * 1024 * 1024)	/* stops -c /dev/zero */
#define HINT_MAX	32			/* longest word checked for typos */
#define LC(c)		tolower((unsigned char)(c))

struct cfg_perr {
	size_t		 line, col, seq;	/* line 0: no position */
	char		*msg;
};

void
cfg_perr_at(struct cfgyaml *y, size_t line, size_t col, const char *fmt, ...)
{
	struct cfg_perr *e;
	va_list ap;
	char *msg;
	int r;

	y->bad = 1;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r == -1)
		return;
	if ((e = reallocarray(y->err, y->nerr + 1, sizeof(*e))) == NULL) {
		free(msg);
		return;
	}
	y->err = e;
	e[y->nerr] = (struct cfg_perr){ line, col, y->nerr, msg };
	y->nerr++;
}

static int
perr_cmp(const void *a, const void *b)
{
	const struct cfg_perr *p = a, *q = b;

	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	if (p->col != q->col)
		return p->col < q->col ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

void
cfg_flush(struct cfgyaml *y, struct errlist *errs)
{
	size_t i;

	if (y->nerr > 0)
		qsort(y->err, y->nerr, sizeof(*y->err), perr_cmp);
	for (i = 0; i < y->nerr; i++) {
		if (y->err[i].line == 0)
			errlist_add(errs, "%s: %s", y->file, y->err[i].msg);
		else
			errlist_add(errs, "%s:%zu:%zu: %s", y->file,
			    y->err[i].line, y->err[i].col, y->err[i].msg);
		free(y->err[i].msg);
	}
	free(y->err);
}

/* Optimal string alignment distance, ignoring case: typos and swaps. */
static size_t
distance(const char *a, const char *b)
{
	size_t d[3][HINT_MAX + 1], la = strlen(a), lb = strlen(b), i, j, v;
	size_t *cur, *p, *pp;

	if (la > HINT_MAX || lb > HINT_MAX)
		return SIZE_MAX;
	memset(d, 0, sizeof(d));
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		cur = d[i % 3], p = d[(i + 2) % 3], pp = d[(i + 1) % 3];
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			v = p[j - 1] + (LC(a[i - 1]) != LC(b[j - 1]));
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && LC(a[i - 1]) == LC(b[j - 2]) &&
			    LC(a[i - 2]) == LC(b[j - 1]) && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

/* The candidate at most 2 edits away, for "did you mean". */
const char *
cfg_closest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; cands[i] != NULL; i++)
		if ((d = distance(word, cands[i])) < bestd) {
			bestd = d;
			best = cands[i];
		}
	return best;
}

static const char *
kind(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "a single value";
}

int
cfg_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = TEXT(n);
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The text of a scalar, "" for null; NULL (reported) for anything else. */
const char *
cfg_scalar(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		cfg_perr(y, n, "'%s' must be %s, not %s", key, what, kind(n));
		return NULL;
	}
	if (strlen(TEXT(n)) != n->data.scalar.length) {
		cfg_perr(y, n, "'%s' contains a NUL character", key);
		return NULL;
	}
	return cfg_is_null(n) ? "" : TEXT(n);
}

/* A list item must be a scalar too. */
const char *
cfg_item(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		cfg_perr(y, n, "each item of '%s' must be %s, not %s", key,
		    what, kind(n));
		return NULL;
	}
	return cfg_scalar(y, n, key, what);
}

yaml_node_t *
cfg_node(struct cfgyaml *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

static void
unknown_key(struct cfgyaml *y, const yaml_node_t *k, const char *const *keys)
{
	char list[256];
	const char *hint;
	size_t i, off = 0;

	if ((hint = cfg_closest(TEXT(k), keys)) != NULL) {
		cfg_perr(y, k, "unknown key '%s' (did you mean '%s'?)", TEXT(k),
		    hint);
		return;
	}
	list[0] = '\0';
	for (i = 0; keys[i] != NULL && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s",
		    i > 0 ? ", " : "", keys[i]);
	cfg_perr(y, k, "unknown key '%s' (valid keys here: %s)", TEXT(k),
	    list);
}

/* A mapping's pairs into f by key; unknown and repeated keys are errors. */
int
cfg_fields(struct cfgyaml *y, const yaml_node_t *n, const char *const *keys,
    struct cfg_fields *f, const char *what)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (cfg_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		cfg_perr(y, n, "%s must be a mapping of keys, not %s", what,
		    kind(n));
		return -1;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		k = cfg_node(y, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			cfg_perr(y, k, "a key must be a plain name, not %s",
			    kind(k));
			continue;
		}
		for (i = 0; keys[i] != NULL && strcmp(keys[i], TEXT(k)) != 0; i++)
			;
		if (keys[i] == NULL)
			unknown_key(y, k, keys);
		else if (f->key[i] != NULL)
			cfg_perr(y, k, "duplicate key '%s' (already set at "
			    "line %zu); keep only one", TEXT(k),
			    f->key[i]->start_mark.line + 1);
		else {
			f->key[i] = k;
			f->val[i] = cfg_node(y, p->value);
		}
	}
	return 0;
}

/* One zeroed element per list item; NULL for an empty list or not a list. */
void *
cfg_seq_alloc(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    const char *what, size_t size)
{
	void *p;

	if (n == NULL || cfg_is_null(n))
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_perr(y, n, "'%s' must be a list of %s, not %s", key, what,
		    kind(n));
		return NULL;
	}
	if (NITEMS(n) == 0)
		return NULL;
	if ((p = calloc(NITEMS(n), size)) == NULL)
		cfg_oom(y);
	return p;
}

void
cfg_set_str(struct cfgyaml *y, char **dst, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL) {
		cfg_oom(y);
		return;
	}
	free(*dst);
	*dst = d;
}

static void
syntax_error(struct cfgyaml *y, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t line = 1, col = 1, i;

	if (p->error == YAML_MEMORY_ERROR)
		cfg_oom(y);
	else if (p->error == YAML_READER_ERROR) {
		/* The reader only knows a byte offset. */
		for (i = 0; i < p->problem_offset && i < len; i++, col++)
			if (buf[i] == '\n') {
				line++;
				col = 0;
			}
		cfg_perr_at(y, line, col, "not valid YAML text: %s; the file "
		    "must be UTF-8", problem);
	} else if (m->index < len && buf[m->index] == '\t')
		cfg_perr_at(y, m->line + 1, m->column + 1, "YAML syntax error: "
		    "%s; indent with spaces, not tabs", problem);
	else if (p->context != NULL && p->context_mark.line != m->line)
		cfg_perr_at(y, m->line + 1, m->column + 1, "YAML syntax error: "
		    "%s (%s started at line %zu)", problem, p->context,
		    p->context_mark.line + 1);
	else
		cfg_perr_at(y, m->line + 1, m->column + 1,
		    "YAML syntax error: %s", problem);
}

void
cfg_parse(struct cfgyaml *y, const char *buf, size_t len,
    void (*top)(void *, const yaml_node_t *), void *arg)
{
	yaml_parser_t p;
	yaml_document_t extra;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&p)) {
		cfg_oom(y);
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &y->doc)) {
		syntax_error(y, &p, buf, len);
		yaml_parser_delete(&p);
		return;
	}
	/* An empty file, or only comments, is all defaults. */
	if ((root = yaml_document_get_root_node(&y->doc)) != NULL) {
		if (!cfg_is_null(root))
			top(arg, root);
		if (!yaml_parser_load(&p, &extra))
			syntax_error(y, &p, buf, len);
		else {
			if ((root = yaml_document_get_root_node(&extra)) != NULL)
				cfg_perr(y, root, "a second YAML document; put "
				    "the whole config in one document");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&y->doc);
	yaml_parser_delete(&p);
}

/* The whole file, so syntax errors can be located in it. */
char *
cfg_read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t cap = 0, n;
	int saved;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (*lenp = 0;; *lenp += n) {
		if (*lenp == cap) {
			if (cap >= MAX_SIZE) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((n = fread(buf + *lenp, 1, cap - *lenp, fp)) == 0)
			break;
	}
	if (!ferror(fp)) {
		fclose(fp);
		return buf;
	}
fail:
	saved = errno;
	free(buf);
	fclose(fp);
	errno = saved;
	return NULL;
}
