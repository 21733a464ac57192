/* Private to the config loader: what config.c and config_thr.c share. */
#ifndef COMMON_CONFIG_INT_H
#define COMMON_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "tcptally/config.h"
#include "cfgyaml.h"

#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789_.-"

/* One parse: the YAML, the config it fills, where each group starts. */
struct ctx {
	struct cfgyaml	 y;
	struct config	*c;
	size_t		*gline;
};

/* config.c: scalars as the keys want them; 0, or -1 after the error is noted. */
int		 cfg_get_duration(struct cfgyaml *y, const yaml_node_t *n, const char *key,
		     int64_t *out);
int		 cfg_get_count(struct cfgyaml *y, const yaml_node_t *n, const char *key,
		     int64_t *out);
const char	*cfg_get_name(struct cfgyaml *y, const yaml_node_t *n, const char *what);

/* config_thr.c: the i-th item of `thresholds`. */
void		 cfg_threshold(struct ctx *x, const yaml_node_t *n, size_t i);

#endif
