/*
 * Replays a fuzz target's inputs without libFuzzer, so any compiler's build
 * runs the committed corpora as regression tests: every file named on the
 * command line, and every file under each directory named, in name order.
 * Arguments that start with '-' (libFuzzer flags) are ignored.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t nrun;

/* The whole file in a buffer of exactly its size, so ASan sees overreads. */
static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if ((nb = malloc(len > 0 ? len : 1)) == NULL) {
		free(buf);
		return -1;
	}
	memcpy(nb, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(nb, len);
	free(nb);
	nrun++;
	return 0;
}

static int
run_path(const char *path)
{
	struct dirent **ent;
	struct stat st;
	char sub[PATH_MAX];
	int i, n, rc = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((n = scandir(path, &ent, NULL, alphasort)) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ent[i]->d_name[0] != '.') {
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			    ent[i]->d_name) >= sizeof(sub)) {
				fprintf(stderr, "%s/%s: path too long\n", path,
				    ent[i]->d_name);
				rc = -1;
			} else if (run_path(sub) == -1)
				rc = -1;
		}
		free(ent[i]);
	}
	free(ent);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0, paths = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		paths++;
		if (run_path(argv[i]) == -1)
			rc = 1;
	}
	if (paths == 0) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	printf("%s: %zu inputs replayed\n", argv[0], nrun);
	if (nrun == 0) {
		fprintf(stderr, "%s: no inputs found\n", argv[0]);
		rc = 1;
	}
	return rc;
}
