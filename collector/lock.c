/*
 * One writer per database: an advisory lock (flock) on DATABASE.lock, taken
 * by the collector for its whole life and by --import for its own, with the
 * holder's pid in the file so that the next one can name it. Not a lock on
 * the database file: SQLite's POSIX locks on that file are dropped whenever
 * any descriptor of it is closed, and flock locks are apart from them. The
 * file stays when its holder ends (then holding the pid of the last one);
 * the lock goes with the process, however it ends.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "collector.h"

static int
lock_path(char *buf, size_t len, const char *database)
{
	return (size_t)snprintf(buf, len, "%s.lock", database) < len ? 0 : -1;
}

/* The pid the holder wrote, 0 if it has not yet. */
static long
holder_pid(int fd)
{
	char buf[32], *end;
	ssize_t n;
	long pid;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/*
 * Made 0640 whatever the umask. Made by root beside a database that another
 * user owns (an import into the service's database), it goes to that user,
 * who must be able to open it when the service starts.
 */
static int
open_lockfile(const char *path, const char *database, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd != -1) {
		if (fchmod(fd, 0640) == -1 || (geteuid() == 0 && stat(database, &st) == 0 &&
		    (st.st_uid != 0 || st.st_gid != 0) &&
		    fchown(fd, st.st_uid, st.st_gid) == -1)) {
			snprintf(err, errlen, "%s: cannot set its mode or owner: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	if (errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == EACCES)
		snprintf(err, errlen, "%s: cannot open: %s; the user the collector runs as "
		    "must be able to write it: give it the database's owner (chown "
		    "--reference=%s %s)", path, strerror(errno), database, path);
	else if (fd == -1)
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	return fd;
}

int
dblock_take(struct dblock *l, const char *database, long *holder, char *err,
    size_t errlen)
{
	char path[PATH_MAX], pid[32];
	int fd, n, saved;

	l->fd = -1;
	*holder = 0;
	if (lock_path(path, sizeof(path), database) == -1) {
		snprintf(err, errlen, "%s: path too long", database);
		return -1;
	}
	if (db_create_dir(database, err, errlen) == -1 ||
	    (fd = open_lockfile(path, database, err, errlen)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		if (saved == EWOULDBLOCK)
			*holder = holder_pid(fd);
		else
			snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(saved));
		close(fd);
		return saved == EWOULDBLOCK ? 1 : -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%s: cannot write the pid in it: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

int
dblock_covers(const struct dblock *l, const char *database)
{
	char path[PATH_MAX];
	struct stat a, b;

	return l->fd != -1 && lock_path(path, sizeof(path), database) == 0 &&
	    fstat(l->fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void
dblock_release(struct dblock *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}
