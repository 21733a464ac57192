#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

static char dir[64], db[128], lockfile[160];

static int
mkdir_tmp(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tt-locktest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/var/t.db", dir);
	snprintf(lockfile, sizeof(lockfile), "%s.lock", db);
	return 0;
}

static int
rmdir_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *
slurp(const char *path)
{
	static char buf[64];
	FILE *f;
	size_t n;

	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Made 0640 whatever the umask, with the holder's pid; the directory as db_open_rw makes it. */
static void
test_take(void **state)
{
	struct dblock a, b;
	struct stat st;
	char err[512] = "", want[128];
	mode_t old = umask(077);
	long pid = -1;

	(void)state;
	assert_int_equal(dblock_take(&a, db, &pid, err, sizeof(err)), 0);
	umask(old);
	assert_int_not_equal(a.fd, -1);
	assert_int_equal(stat(lockfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	snprintf(want, sizeof(want), "%s/var", dir);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(slurp(lockfile), want);
	/* a second open of the same file, even in this process, is refused */
	assert_int_equal(dblock_take(&b, db, &pid, err, sizeof(err)), 1);
	assert_int_equal(pid, (long)getpid());
	assert_int_equal(b.fd, -1);
	assert_true(dblock_covers(&a, db));
	snprintf(want, sizeof(want), "%s/var/../var/./t.db", dir);
	assert_true(dblock_covers(&a, want));
	snprintf(want, sizeof(want), "%s/var/u.db", dir);
	assert_false(dblock_covers(&a, want));
	assert_false(dblock_covers(&b, db));
	dblock_release(&a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(dblock_take(&b, db, &pid, err, sizeof(err)), 0);
	dblock_release(&b);
	dblock_release(&b);		/* twice is harmless */
}

/* Another process's lock names it, and goes when it is killed. */
static void
test_other_process(void **state)
{
	struct dblock a;
	char err[512] = "";
	int pfd[2], status;
	long pid = -1;
	pid_t child;
	char c;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	if ((child = fork()) == 0) {
		close(pfd[0]);
		if (dblock_take(&a, db, &pid, err, sizeof(err)) != 0)
			_exit(1);
		if (write(pfd[1], "x", 1) == 1)
			pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	assert_int_equal(dblock_take(&a, db, &pid, err, sizeof(err)), 1);
	assert_int_equal(pid, (long)child);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(dblock_take(&a, db, &pid, err, sizeof(err)), 0);
	dblock_release(&a);
}

static void
test_errors(void **state)
{
	struct dblock a;
	char err[512] = "", path[192];
	long pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/t.db", dir);
	assert_int_equal(dblock_take(&a, path, &pid, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "its parent does not exist; create it"));
	assert_int_equal(a.fd, -1);
	/* a lock file it may not write names the fix (root may write anything) */
	if (geteuid() != 0) {
		assert_int_equal(dblock_take(&a, db, &pid, err, sizeof(err)), 0);
		dblock_release(&a);
		assert_int_equal(chmod(lockfile, 0440), 0);
		assert_int_equal(dblock_take(&a, db, &pid, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "chown --reference="));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take, mkdir_tmp, rmdir_tmp),
		cmocka_unit_test_setup_teardown(test_other_process, mkdir_tmp, rmdir_tmp),
		cmocka_unit_test_setup_teardown(test_errors, mkdir_tmp, rmdir_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
