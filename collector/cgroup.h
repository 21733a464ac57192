/* cgroup.c: cgroup v2 ids (INET_DIAG_CGROUP_ID) to their paths. */
#ifndef COLLECTOR_CGROUP_H
#define COLLECTOR_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#define CG_PATH_MAX	4096

struct cgent {
	uint64_t	 id;		/* 0 = empty */
	size_t		 off;		/* its path in names */
};

struct cgmap {
	char		*root;		/* the cgroup2 mount */
	struct cgent	*tab;		/* open addressing, at most half full */
	uint32_t	 mask;
	size_t		 n;
	char		*names;
	size_t		 nlen, ncap;
	int		 walked;	/* this sample */
	unsigned	 walks;		/* in all, for the tests */
};

/* Pure: the cgroup2 mount point in the text of /proc/self/mountinfo; -1 if none. */
int		 cgmap_find_mount(const char *mountinfo, char *out, size_t len);
/* Walks root once. -1: out of memory. */
int		 cgmap_open(struct cgmap *m, const char *root);
void		 cgmap_close(struct cgmap *m);
/* A new sample: an unknown id may walk the tree once more. */
void		 cgmap_round(struct cgmap *m);
/* "/system.slice/nginx.service", "/" for the root; NULL if not found (id 0 included). */
const char	*cgmap_path(struct cgmap *m, uint64_t id);

#endif
