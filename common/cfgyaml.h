/*
 * Private to the config loader: a generic layer over libyaml nodes that
 * collects errors with FILE:LINE:COL, so config.c holds only the keys.
 */
#ifndef TCPTALLY_CFGYAML_H
#define TCPTALLY_CFGYAML_H

#include <stddef.h>

#include <yaml.h>

#include "tcptally/config.h"

#define CFG_MAX_KEYS	16
#define ITEMS(n)	((n)->data.sequence.items)
#define NITEMS(n)	((size_t)(ITEMS(n).top - ITEMS(n).start))
#define TEXT(n)		((const char *)(n)->data.scalar.value)

struct cfg_perr;

/* One file being parsed, and every problem found in it so far. */
struct cfgyaml {
	const char	*file;
	yaml_document_t	 doc;
	struct cfg_perr	*err;
	size_t		 nerr;
	int		 bad;
};

/* The key and value nodes of one mapping, indexed like its key table. */
struct cfg_fields {
	yaml_node_t	*key[CFG_MAX_KEYS], *val[CFG_MAX_KEYS];
};

/* cfgyaml.c */
void		 cfg_perr_at(struct cfgyaml *y, size_t line, size_t col,
		     const char *fmt, ...)
		     __attribute__((format(printf, 4, 5)));
/* libyaml marks are 0-based; operators count from 1. */
#define cfg_perr(y, n, ...)	cfg_perr_at((y), (n)->start_mark.line + 1, \
				    (n)->start_mark.column + 1, __VA_ARGS__)
#define cfg_oom(y)		cfg_perr_at((y), 0, 0, "out of memory")
void		 cfg_flush(struct cfgyaml *y, struct errlist *errs);
const char	*cfg_closest(const char *word, const char *const *cands);
int		 cfg_is_null(const yaml_node_t *n);
const char	*cfg_scalar(struct cfgyaml *y, const yaml_node_t *n,
		     const char *key, const char *what);
const char	*cfg_item(struct cfgyaml *y, const yaml_node_t *n,
		     const char *key, const char *what);
yaml_node_t	*cfg_node(struct cfgyaml *y, int id);
int		 cfg_fields(struct cfgyaml *y, const yaml_node_t *n,
		     const char *const *keys, struct cfg_fields *f,
		     const char *what);
void		*cfg_seq_alloc(struct cfgyaml *y, const yaml_node_t *n,
		     const char *key, const char *what, size_t size);
void		 cfg_set_str(struct cfgyaml *y, char **dst, const char *s);
/* Loads buf into y->doc and calls top on a non-null root. */
void		 cfg_parse(struct cfgyaml *y, const char *buf, size_t len,
		     void (*top)(void *, const yaml_node_t *), void *arg);
char		*cfg_read_file(const char *path, size_t *lenp);

#endif
