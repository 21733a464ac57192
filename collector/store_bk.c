/*
 * The breakdown rows of a sample (schema/0004_breakdown.sql): per group x
 * state, its top K keys of each kind and one '(other)' row; per group, the
 * top K outbound peers in any state. Keys are stored once in bkey; a cache
 * of key -> bkey id spares the lookups of the keys seen in the last samples.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

#define BKC_SIZE	4096		/* cached keys; emptied when 3/4 full */

struct bkc_ent {
	struct tk_key	 key;
	uint8_t		 kind;		/* BK_* + 1; 0 = empty */
	int64_t		 id;
};

struct bkcache {
	size_t		 n;
	struct bkc_ent	 e[BKC_SIZE];
};

static const char *const kind_name[BK_NKINDS] = { "cgroup", "peer" };

int
store_bk_prepare(struct store *s)
{
	if ((s->bkc = calloc(1, sizeof(*s->bkc))) == NULL)
		return -1;
	return store_prepare(s, "SELECT id FROM bkey WHERE kind = ?1 AND key = ?2 AND direction = ?3",
	    &s->bk_get) == -1 ||
	    store_prepare(s, "INSERT INTO bkey (kind, key, direction) VALUES (?1, ?2, ?3)",
	    &s->bk_put) == -1 ||
	    store_prepare(s, "INSERT INTO breakdown_count (ts, host, grp, state, bkey, count, err)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s->ins_bcount) == -1 ||
	    store_prepare(s, "INSERT INTO peer_load (ts, host, grp, bkey, sockets, err)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s->ins_load) == -1 ||
	    store_prepare(s, "INSERT INTO sample_breakdown (ts, host, port_range) VALUES (?1, ?2, ?3)",
	    &s->ins_bsample) == -1 ||
	    store_prepare(s, "INSERT INTO close_wait_age (ts, host, grp, age, untracked, lower_bound)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s->ins_cwage) == -1 ||
	    store_prepare(s, "INSERT INTO owner (ts, host, grp, pid, comm, cgroup, count)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s->ins_owner) == -1 ? -1 : 0;
}

void
store_bk_close(struct store *s)
{
	sqlite3_finalize(s->bk_get);
	sqlite3_finalize(s->bk_put);
	sqlite3_finalize(s->ins_bcount);
	sqlite3_finalize(s->ins_load);
	sqlite3_finalize(s->ins_bsample);
	sqlite3_finalize(s->ins_cwage);
	sqlite3_finalize(s->ins_owner);
	free(s->bkc);
	s->bkc = NULL;
}

void
store_bk_forget(struct store *s)
{
	if (s->bkc != NULL)
		memset(s->bkc, 0, sizeof(*s->bkc));
}

static size_t
bkc_slot(const struct bkcache *c, int kind, const struct tk_key *k)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 1099511628211ULL;
	for (i = h & (BKC_SIZE - 1); c->e[i].kind != 0; i = (i + 1) & (BKC_SIZE - 1))
		if (c->e[i].kind == kind + 1 && memcmp(&c->e[i].key, k, sizeof(*k)) == 0)
			break;
	return i;
}

/* Printable ASCII, as names are stored: the rest of a byte becomes '?'. */
static void
printable(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
	for (; *dst != '\0'; dst++)
		if (*dst < 0x20 || *dst >= 0x7f)
			*dst = '?';
}

/* The text of a key: its bkey row's key and direction. */
static void
key_text(struct store *s, int kind, const struct tk_key *k, char *buf, size_t len,
    const char **dir)
{
	const char *p;
	uint64_t id;
	int d;

	*dir = "";
	if (memcmp(k, bk_other_key(), sizeof(*k)) == 0) {
		snprintf(buf, len, "(other)");
	} else if (kind == BK_PEER) {
		bk_key_peer(k, buf, len, &d);
		*dir = d == BK_OUT ? "out" : "in";
	} else if ((id = bk_key_cgroup(k)) == 0) {
		snprintf(buf, len, "(kernel)");
	} else if (s->cgname != NULL && (p = s->cgname(s->cgarg, id)) != NULL) {
		printable(buf, len, p);	/* the kernel's name, but anyone may make a cgroup */
	} else {
		/* gone before it could be looked up, or no cgroup2 to look in */
		snprintf(buf, len, "(id %" PRIu64 ")", id);
	}
}

static int64_t
bkey_id(struct store *s, int kind, const struct tk_key *k)
{
	struct bkcache *c = s->bkc;
	char text[CG_TEXT_MAX];
	const char *dir;
	sqlite3_stmt *st;
	int64_t id = -1;
	size_t i = bkc_slot(c, kind, k);
	int pass, rc;

	if (c->e[i].kind != 0)
		return c->e[i].id;
	key_text(s, kind, k, text, sizeof(text), &dir);
	for (pass = 0; pass < 2 && id == -1; pass++) {
		st = pass == 0 ? s->bk_get : s->bk_put;
		sqlite3_bind_text(st, 1, kind_name[kind], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, dir, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (pass == 0 && rc == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		else if (pass == 1 && rc == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(s->db);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	if (id == -1)
		return -1;
	if (c->n >= BKC_SIZE / 4 * 3) {
		memset(c, 0, sizeof(*c));
		i = bkc_slot(c, kind, k);
	}
	c->e[i].key = *k;
	c->e[i].kind = (uint8_t)(kind + 1);
	c->e[i].id = id;
	c->n++;
	return id;
}

static int
put_row(struct store *s, sqlite3_stmt *st, int64_t ts, int64_t grp, int state, int64_t bkey,
    uint64_t count, uint32_t err)
{
	int i = 1;

	sqlite3_bind_int64(st, i++, ts);
	sqlite3_bind_int64(st, i++, s->host_id);
	sqlite3_bind_int64(st, i++, grp);
	if (state >= 0)
		sqlite3_bind_int(st, i++, state);
	sqlite3_bind_int64(st, i++, bkey);
	sqlite3_bind_int64(st, i++, (int64_t)count);
	sqlite3_bind_int64(st, i++, err);
	i = sqlite3_step(st);
	sqlite3_reset(st);
	return i == SQLITE_DONE ? 0 : -1;
}

/* A stream's top K, then (other) when state >= 0; state -1: peer_load. */
static int
put_stream(struct store *s, const struct breakdown *b, int kind, size_t g, int state,
    int64_t ts, struct tk_entry *top)
{
	size_t n, i;
	uint64_t sum = 0, total;
	int64_t id;

	n = bk_top(b, kind, g, state < 0 ? BK_ANY : state, top, b->k[kind], &total);
	if (total == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if ((id = bkey_id(s, kind, &top[i].key)) == -1 ||
		    put_row(s, state < 0 ? s->ins_load : s->ins_bcount, ts, s->grp_ids[g],
		    state, id, top[i].count, top[i].err) == -1)
			return -1;
		sum += top[i].count;
	}
	if (state < 0 || sum >= total)
		return 0;
	if ((id = bkey_id(s, kind, bk_other_key())) == -1)
		return -1;
	return put_row(s, s->ins_bcount, ts, s->grp_ids[g], state, id, total - sum, 0);
}

int
store_bk_insert(struct store *s, int64_t ts, const struct breakdown *b)
{
	struct tk_entry top[BK_K_MAX];
	size_t g;
	int kind, state;

	sqlite3_bind_int64(s->ins_bsample, 1, ts);
	sqlite3_bind_int64(s->ins_bsample, 2, s->host_id);
	sqlite3_bind_int64(s->ins_bsample, 3, bk_port_range_size(b));
	state = sqlite3_step(s->ins_bsample);
	sqlite3_reset(s->ins_bsample);
	if (state != SQLITE_DONE)
		return -1;
	for (g = 0; g < b->ngroups && g < s->ngroups; g++)
		for (kind = 0; kind < BK_NKINDS; kind++) {
			if (b->k[kind] == 0)
				continue;
			for (state = 1; state <= TT_NSTATES; state++)
				if (put_stream(s, b, kind, g, state, ts, top) == -1)
					return -1;
			if (kind == BK_PEER && put_stream(s, b, kind, g, -1, ts, top) == -1)
				return -1;
		}
	return 0;
}

/* Per group holding CLOSE_WAIT sockets: the oldest one's age. */
int
store_cw_insert(struct store *s, int64_t ts, const struct tally *t)
{
	sqlite3_stmt *st = s->ins_cwage;
	size_t g;
	int rc;

	for (g = 0; g < t->ngroups && g < s->ngroups; g++) {
		if (t->count[g][TT_CLOSE_WAIT] == 0)
			continue;
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_int64(st, 2, s->host_id);
		sqlite3_bind_int64(st, 3, s->grp_ids[g]);
		if (t->cw_since[g] == INT64_MAX)
			sqlite3_bind_null(st, 4);
		else	/* a clock stepped back: never a negative age */
			sqlite3_bind_int64(st, 4, ts > t->cw_since[g] ? ts - t->cw_since[g] : 0);
		sqlite3_bind_int64(st, 5, (int64_t)t->cw_untracked[g]);
		/* seen at the first sample: CLOSE_WAIT since who knows when */
		sqlite3_bind_int(st, 6, t->cw_untracked[g] > 0 || t->cw_since[g] == t->cw->first);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int
by_count(const void *x, const void *y, void *arg)
{
	const struct ow_proc *a = x, *b = y;
	size_t c = *(size_t *)arg;

	if (a->count[c] != b->count[c])
		return a->count[c] > b->count[c] ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

int
store_owners_insert(struct store *s, int64_t ts, const struct owners *o, const uint64_t want[2],
    int top)
{
	sqlite3_stmt *st = s->ins_owner;
	struct ow_proc *p;
	char comm[OW_COMM + 1], cg[OW_CGROUP];
	size_t g, i, shown;
	int rc;

	if (o->np == 0)
		return 0;
	p = (struct ow_proc *)o->p;	/* sorted in place, group by group */
	for (g = 0; g < s->ngroups && g < 65; g++) {
		if (!((want[g / 64] >> (g % 64)) & 1))
			continue;
		qsort_r(p, o->np, sizeof(*p), by_count, &g);
		for (i = 0, shown = 0; i < o->np && shown < (size_t)top; i++) {
			if (p[i].count[g] == 0)
				break;
			printable(comm, sizeof(comm), p[i].comm);
			printable(cg, sizeof(cg), p[i].cgroup);
			sqlite3_bind_int64(st, 1, ts);
			sqlite3_bind_int64(st, 2, s->host_id);
			sqlite3_bind_int64(st, 3, s->grp_ids[g]);
			sqlite3_bind_int(st, 4, p[i].pid);
			sqlite3_bind_text(st, 5, comm, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 6, cg, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 7, p[i].count[g]);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				return -1;
			shown++;
		}
	}
	return 0;
}
