/*
 * The namespaces `namespaces:` names: the labels (pure), the inode in a
 * /proc/PID/ns/net link, and discovery over a fake tree: /proc with PID
 * directories whose ns/net links and cgroup files the test writes, and a
 * /run/netns of plain files, whose inodes the links then name. Those files
 * are not namespaces, so each new one is said once and skipped; what is
 * checked is which namespaces are found, each once, under which label, and
 * which end.
 */
#include <sys/stat.h>

#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns.h"

static char	 root[] = "/tmp/test_netns.XXXXXX";
static char	 proc[PATH_MAX], run[PATH_MAX];

static void
test_link_ino(void **state)
{
	(void)state;
	assert_true(ns_link_ino("net:[4026531840]") == 4026531840ULL);
	assert_true(ns_link_ino("net:[1]") == 1);
	assert_true(ns_link_ino("net:[]") == 0);
	assert_true(ns_link_ino("net:[12") == 0);
	assert_true(ns_link_ino("net:[12]x") == 0);
	assert_true(ns_link_ino("mnt:[12]") == 0);
	assert_true(ns_link_ino("net:[-1]") == 0);
	assert_true(ns_link_ino("net:[99999999999999999999999]") == 0);
}

static void
test_labels(void **state)
{
	struct nsent taken[2];
	struct nsset s;
	struct nsfound f;
	char buf[TT_HOST_MAX], longcg[300];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(taken, 0, sizeof(taken));
	memset(&f, 0, sizeof(f));
	f.ino = 4026532001ULL;
	f.self = 1;
	ns_label(&s, &f, "/a.scope", buf, sizeof(buf));
	assert_string_equal(buf, "host");	/* ours, whatever binds it */
	f.self = 0;
	strcpy(f.name, "web");
	ns_label(&s, &f, "/a.scope", buf, sizeof(buf));
	assert_string_equal(buf, "web");	/* a name first */
	f.name[0] = '\0';
	ns_label(&s, &f, "/kubepods.slice/cri-containerd-1a2b.scope", buf, sizeof(buf));
	assert_string_equal(buf, "/kubepods.slice/cri-containerd-1a2b.scope");
	ns_label(&s, &f, "/", buf, sizeof(buf));	/* the root cgroup names nothing */
	assert_string_equal(buf, "netns:4026532001");
	ns_label(&s, &f, "", buf, sizeof(buf));
	assert_string_equal(buf, "netns:4026532001");
	ns_label(&s, &f, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "netns:4026532001");
	memset(longcg, 'x', sizeof(longcg) - 1);
	longcg[0] = '/';
	longcg[sizeof(longcg) - 1] = '\0';
	ns_label(&s, &f, longcg, buf, sizeof(buf));	/* too long to store: not cut */
	assert_string_equal(buf, "netns:4026532001");
	/* a label another namespace holds is not given twice */
	strcpy(taken[0].label, "/a.scope");
	strcpy(taken[1].label, "web");
	s.e = taken;
	s.n = 2;
	ns_label(&s, &f, "/a.scope", buf, sizeof(buf));
	assert_string_equal(buf, "netns:4026532001");
	strcpy(f.name, "web");
	ns_label(&s, &f, "/b.scope", buf, sizeof(buf));
	assert_string_equal(buf, "/b.scope");
	strcpy(f.name, "a\tb");	/* not printable: not stored, nor shown */
	s.n = 0;
	ns_label(&s, &f, "/c\x1b[2J.scope", buf, sizeof(buf));
	assert_string_equal(buf, "netns:4026532001");
	strcpy(f.name, "host");	/* a name "host" would pass for ours */
	s.n = 0;
	ns_label(&s, &f, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "netns:4026532001");
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* A fake process: its ns/net link names inode ino; its cgroup, cg. */
static void
fake_pid(long pid, uint64_t ino, const char *cg)
{
	char dir[PATH_MAX + 64], path[PATH_MAX + 96], link[64], text[300];

	snprintf(dir, sizeof(dir), "%s/%ld", proc, pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/ns", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/ns/net", dir);
	snprintf(link, sizeof(link), "net:[%" PRIu64 "]", ino);
	assert_int_equal(symlink(link, path), 0);
	snprintf(path, sizeof(path), "%s/cgroup", dir);
	snprintf(text, sizeof(text), "0::%s\n", cg);
	write_file(path, text);
}

static uint64_t
fake_name(const char *name)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", run, name);
	write_file(path, "");
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static const struct nsent *
by_label(const struct nsset *s, const char *label)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].label, label) == 0)
			return &s->e[i];
	return NULL;
}

static void
test_discover(void **state)
{
	struct nsspec spec[3];
	struct config c;
	struct nsset s;
	uint64_t a, b, self;
	char cmd[3 * PATH_MAX], link[64];
	ssize_t len;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(run, sizeof(run), "%s/netns", root);
	assert_int_equal(mkdir(proc, 0755), 0);
	assert_int_equal(mkdir(run, 0755), 0);
	assert_true((len = readlink("/proc/self/ns/net", link, sizeof(link) - 1)) > 0);
	link[len] = '\0';
	self = ns_link_ino(link);
	assert_true(self != 0);

	a = fake_name("ttns-a");	/* bound, and held by pid 20 */
	b = fake_name("other");
	fake_pid(1, self, "/");
	fake_pid(20, a, "/a.scope");
	fake_pid(30, 7001, "/pod.slice/c1.scope");	/* no name: its cgroup */
	fake_pid(31, 7001, "/pod.slice/late.scope");	/* a higher pid of the same */
	fake_pid(40, 7002, "/");	/* no name, root cgroup: its inode */
	assert_int_equal(ns_init(&s, proc, run), 0);
	assert_true(s.selfino == self);

	memset(&c, 0, sizeof(c));
	memset(spec, 0, sizeof(spec));
	c.namespaces = spec;
	/* name:GLOB alone: ttns-a, not other */
	spec[0].kind = NS_NAME;
	spec[0].glob = "ttns-*";
	c.nnamespaces = 1;
	assert_int_equal(ns_discover(&s, &c), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.e[0].label, "ttns-a");
	assert_true(s.e[0].ino == a);
	assert_true(s.e[0].bad);	/* a plain file, not a namespace: skipped */

	/* all: each namespace once, ours first as host; a bound one by its name */
	spec[0].kind = NS_ALL;
	spec[0].glob = NULL;
	assert_int_equal(ns_discover(&s, &c), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.e[0].label, "host");
	assert_true(s.e[0].self && s.e[0].fd == -1);
	assert_non_null(by_label(&s, "ttns-a"));
	assert_true(by_label(&s, "other")->ino == b);
	assert_true(by_label(&s, "/pod.slice/c1.scope")->ino == 7001);	/* lowest pid's */
	assert_true(by_label(&s, "netns:7002")->ino == 7002);

	/* pid:N of a namespace known already keeps its label; the others end */
	spec[0].kind = NS_PID;
	spec[0].pid = 31;
	spec[1].kind = NS_HOST;
	c.nnamespaces = 2;
	assert_int_equal(ns_discover(&s, &c), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.e[0].label, "host");
	assert_string_equal(s.e[1].label, "/pod.slice/c1.scope");

	/* the process goes: its namespace ends; pid:N of nothing finds nothing */
	snprintf(cmd, sizeof(cmd), "rm -r %s/30 %s/31", proc, proc);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ns_discover(&s, &c), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.e[0].label, "host");

	/* a new namespace of pid:40 is labelled by its inode (root cgroup) */
	spec[0].pid = 40;
	assert_int_equal(ns_discover(&s, &c), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.e[1].label, "netns:7002");
	ns_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_ino),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_discover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
