/*
 * --import: CSV from `tcptally-report export` or a netstat|awk cron log, into
 * the database in one transaction; any bad line rolls everything back.
 * Rows of one (ts, host, group) are gathered while they arrive together (as
 * export writes them) and written as one counts row when the key changes,
 * through statements prepared once. Each key written is noted, with the line
 * of each state, in a temporary table (bounded memory: SQLite spills it to
 * disk): a key that comes back later (concatenated or hand-made files) is
 * merged into the row this import wrote, or is a duplicate naming both lines.
 * Rows already stored are left as they are (INSERT OR IGNORE), so importing
 * the same file twice changes nothing. A row more than IMPORT_FUTURE_MAX
 * ahead of this host's clock (read once, at the start) is a bad line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "tcptally/progress.h"
#include "collector.h"
#include "import.h"

#define RECORD_MAX	65536		/* a CSV record with quoted newlines */
#define SAMPLE_KEY	(-1)		/* import_seen.grp of a sample's own row */

#define KEY	" WHERE ts = ?1 AND host = ?2 AND grp = ?3"

enum { S_BEGIN, S_COMMIT, S_SAMPLE, S_SOCKETS, S_COUNTS, S_MERGE,
	S_SEEN, S_SEEN_GET, S_SEEN_SET, S_STATS, S_LIMIT, S_KERNEL, NSTMT };

/* The accept queues of a counts row, after its key and states: ?15 .. ?19. */
#define LQ_COLS		"listeners, queued, backlog, max_fill, full"
#define LQ_VALS		"?15, ?16, ?17, ?18, ?19"
#define LQ_MERGE	"listeners = coalesce(?15, listeners), queued = coalesce(?16, queued)," \
	" backlog = coalesce(?17, backlog), max_fill = coalesce(?18, max_fill)," \
	" full = coalesce(?19, full)"
#define LQ_FIRST	15
/* The kernel's context of a sample: ?5 the interval, ?6 .. the kstats. */
#define KS_FIRST	6
/* import_seen's line of each unit beyond the states (IU_*): ?16 .. ?18. */
#define UNIT_FIRST	16

/*
 * The statements; in each, %1$s stands for the 11 states' part (or, where
 * tmpl[].kst is set, the kstats' part), made by state_sql (kstat_sql) from
 * the template in tmpl[] (parameters numbered from first[]). import_seen
 * keeps, per key, the line of each state it was given on, and of each unit.
 */
static const char *const sql[NSTMT] = {
	"BEGIN IMMEDIATE", "COMMIT",
	"INSERT OR IGNORE INTO sample (ts, host, flags, duration_us, sockets)"
	" VALUES (?1, ?2, ?3, NULL, ?4)",
	"UPDATE sample SET sockets = coalesce(sockets, 0) + ?3 WHERE ts = ?1 AND host = ?2",
	"INSERT OR IGNORE INTO counts (ts, host, grp, %1$s, " LQ_COLS ") VALUES (?1, ?2, ?3, %2$s, "
	LQ_VALS ")",
	"UPDATE counts SET %1$s, " LQ_MERGE KEY,
	"INSERT INTO temp.import_seen (ts, host, grp, added, %1$s, u_listen, u_sample,"
	" u_limit) VALUES (?1, ?2, ?3, ?4, %2$s, ?16, ?17, ?18) ON CONFLICT DO NOTHING",
	"SELECT added, %1$s, u_listen, u_sample, u_limit FROM temp.import_seen" KEY,
	"UPDATE temp.import_seen SET %1$s, u_listen = coalesce(u_listen, ?16),"
	" u_sample = coalesce(u_sample, ?17), u_limit = coalesce(u_limit, ?18)" KEY,
	"SELECT count(*), coalesce(sum(a), 0) FROM (SELECT max(added) AS a"
	" FROM temp.import_seen WHERE grp != -1 GROUP BY ts, host)",
	"INSERT OR IGNORE INTO klimit (ts, host, name, value) VALUES (?1, ?2, ?3, ?4)",
	"INSERT OR IGNORE INTO sample_kernel (ts, host, interval, %1$s) VALUES (?1, ?2, ?5, %2$s)",
};
static const struct {
	const char	*cols, *vals;	/* templates for %1$s and %2$s */
	int		 first;		/* the parameter of the first state */
	int		 kst;		/* the kstats', not the states' */
} tmpl[NSTMT] = {
	[S_KERNEL] = { "{c}", "?{n}", KS_FIRST, 1 },
	[S_COUNTS] = { "{c}", "?{n}", 4, 0 },
	[S_MERGE] = { "{c} = {c} + ?{n}", NULL, 4, 0 },
	[S_SEEN] = { "{c}_line", "?{n}", 5, 0 },
	[S_SEEN_GET] = { "{c}_line", NULL, 0, 0 },
	[S_SEEN_SET] = { "{c}_line = coalesce({c}_line, ?{n})", NULL, 5, 0 },
};

/* Names to ids, cached: imports see a handful of hosts and groups. */
struct names {
	struct name_id {
		char	*name;
		int64_t	 id;
	}		*e;
	size_t		 n, cap, last;
};

struct importer {
	sqlite3		*db;
	const char	*dbname, *file, *cron_host;
	char		 dbhost[TT_HOST_MAX];	/* the one host of the database; "" none yet */
	sqlite3_stmt	*st[NSTMT];
	struct reader	 rd;
	struct names	 hosts, groups;
	struct import_sample cur;
	int		 has_cur;
	int		 netns_col;		/* the header has the netns column */
	int64_t		 memo_ts, memo_host;	/* the sample written last */
	int		 memo_new;		/* its sample row is this import's */
	char		*join;			/* a CSV record over several lines */
	size_t		 jlen, jline;
	struct import_stats *stats;
	int64_t		 now;			/* this host's clock, in seconds */
	int64_t		 kfrom, kto;		/* the kernel context written: its span */
	char		*err;
	size_t		 errlen;
	int		 rc;
};

static int
bad(struct importer *im, size_t line, const char *why)
{
	snprintf(im->err, im->errlen, "%s:%zu: %s", im->file, line, why);
	im->rc = IMPORT_EINPUT;
	return -1;
}

static int
db_fail(struct importer *im)
{
	snprintf(im->err, im->errlen, "%s: %s", im->dbname, sqlite3_errmsg(im->db));
	im->rc = IMPORT_EDB;
	return -1;
}

static int
oom(struct importer *im)
{
	snprintf(im->err, im->errlen, "out of memory");
	im->rc = IMPORT_EDB;
	return -1;
}

static int
step(struct importer *im, sqlite3_stmt *st, int want)
{
	int rc = sqlite3_step(st);

	if (rc != want || want == SQLITE_DONE)
		sqlite3_reset(st);
	return rc == want ? 0 : db_fail(im);
}

/* The next line, or the end (0); on an error (-1) the reader has said why in im->err. */
static int
next_line(struct importer *im, char **s, size_t *len)
{
	int rc = reader_line(&im->rd, s, len, im->stats->rows);

	if (rc == -1)
		im->rc = IMPORT_EINPUT;
	return rc;
}

/*
 * The id cached for key in nm, else got by a lookup (host: host name and
 * netns; grp: group name) and cached. The host table's key is "netns\nhost".
 */
static int64_t
names_id(struct importer *im, struct names *nm, const char *table, const char *name,
    const char *netns)
{
	char key[2 * TT_HOST_MAX + 2];
	struct name_id *e;
	int64_t id;
	size_t i;

	snprintf(key, sizeof(key), "%s%s%s", netns != NULL ? netns : "", netns != NULL ?
	    "\n" : "", name);
	if (nm->n > 0 && strcmp(nm->e[nm->last].name, key) == 0)
		return nm->e[nm->last].id;
	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->e[i].name, key) == 0)
			return nm->e[nm->last = i].id;
	if ((id = netns != NULL ? db_host_id(im->db, name, netns) :
	    db_name_id(im->db, table, name)) == -1)
		return db_fail(im);
	if (nm->n == nm->cap) {
		if ((e = reallocarray(nm->e, nm->cap + 16, sizeof(*e))) == NULL)
			return oom(im);
		nm->e = e;
		nm->cap += 16;
	}
	if ((nm->e[nm->n].name = strdup(key)) == NULL)
		return oom(im);
	nm->e[nm->n].id = id;
	return nm->e[nm->last = nm->n++].id;
}

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->e[i].name);
	free(nm->e);
}

static void
bind_key(sqlite3_stmt *st, int64_t ts, int64_t host, int64_t grp)
{
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, host);
	sqlite3_bind_int64(st, 3, grp);
}

/* Parameters from ?first on: the 11 states' counts, or their lines (NULL if none). */
static void
bind_states(sqlite3_stmt *st, int first, const uint64_t *count, const size_t *line)
{
	int i;

	for (i = 1; i <= TT_NSTATES; i++)
		if (count != NULL)
			sqlite3_bind_int64(st, first + i - 1, (int64_t)count[i]);
		else if (line != NULL && line[i] != 0)
			sqlite3_bind_int64(st, first + i - 1, (int64_t)line[i]);
		else
			sqlite3_bind_null(st, first + i - 1);
}

/* ?15 .. ?19: the group's accept queues, or NULLs. */
static void
bind_listen(sqlite3_stmt *st, const struct import_sample *s)
{
	int x;

	for (x = IX_LISTENERS; x <= IX_FULL; x++)
		if (s == NULL || s->line[IMPORT_F(x)] == 0)
			sqlite3_bind_null(st, LQ_FIRST + x);
		else if (x == IX_MAX_FILL)
			sqlite3_bind_double(st, LQ_FIRST + x, s->fill);
		else
			sqlite3_bind_int64(st, LQ_FIRST + x, (int64_t)s->count[IMPORT_F(x)]);
}

/* ?5 the interval, ?6 .. the kstats, or NULLs: a sample's context. */
static void
bind_kernel(sqlite3_stmt *st, const struct import_sample *s)
{
	int x;

	for (x = IX_INTERVAL; x < IX_KLIMIT0; x++)
		if (s->line[IMPORT_F(x)] == 0)
			sqlite3_bind_null(st, KS_FIRST - 1 + x - IX_INTERVAL);
		else
			sqlite3_bind_int64(st, KS_FIRST - 1 + x - IX_INTERVAL,
			    (int64_t)s->count[IMPORT_F(x)]);
}

/* ?16 .. ?18: the line of each unit of s, or NULL. */
static void
bind_units(sqlite3_stmt *st, const struct import_sample *s)
{
	size_t line;
	int u;

	for (u = 0; u < IU_N; u++)
		if ((line = import_unit_line(s, u)) != 0)
			sqlite3_bind_int64(st, UNIT_FIRST + u, (int64_t)line);
		else
			sqlite3_bind_null(st, UNIT_FIRST + u);
}

/* Note a key; 1 if this import met it before, with what it noted then. */
static int
seen(struct importer *im, int64_t ts, int64_t host, int64_t grp, int added,
    const struct import_sample *s, int *was_added, size_t *was_line)
{
	sqlite3_stmt *st = im->st[S_SEEN];
	int i;

	bind_key(st, ts, host, grp);
	sqlite3_bind_int(st, 4, added);
	bind_states(st, 5, NULL, s != NULL ? s->line : NULL);
	if (s != NULL)
		bind_units(st, s);
	else
		for (i = 0; i < IU_N; i++)
			sqlite3_bind_null(st, UNIT_FIRST + i);
	if (step(im, st, SQLITE_DONE) == -1)
		return -1;
	if (sqlite3_changes(im->db) == 1)
		return 0;
	st = im->st[S_SEEN_GET];
	bind_key(st, ts, host, grp);
	if (step(im, st, SQLITE_ROW) == -1)
		return -1;
	*was_added = sqlite3_column_int(st, 0);
	for (i = 1; i <= TT_NSTATES; i++)
		was_line[i] = (size_t)sqlite3_column_int64(st, i);
	/* a unit given before: each of its fields counts as given then */
	for (i = IMPORT_F(0); i < IMPORT_NF; i++)
		was_line[i] = (size_t)sqlite3_column_int64(st, TT_NSTATES + 1 + import_unit(i));
	sqlite3_reset(st);
	return 1;
}

/*
 * The kernel's context of a sample this import wrote (group `all` gives
 * it), and its span: the rollups over it are summed again at the end.
 */
static int
write_kernel(struct importer *im, const struct import_sample *s, int64_t host)
{
	sqlite3_stmt *st = im->st[S_KERNEL];

	if (s->line[IMPORT_F(IX_INTERVAL)] == 0)
		return 0;
	bind_key(st, s->ts, host, 0);
	bind_kernel(st, s);
	if (step(im, st, SQLITE_DONE) == -1)
		return -1;
	if (im->kfrom == -1 || s->ts < im->kfrom)
		im->kfrom = s->ts;
	if (s->ts > im->kto)
		im->kto = s->ts;
	return 0;
}

/*
 * The sample row of (ts, host): written once, with sockets and the kernel's
 * context from group `all` (which may come after other groups).
 */
static int
write_sample(struct importer *im, const struct import_sample *s, int64_t host, int all,
    int64_t sum)
{
	sqlite3_stmt *st = im->st[S_SAMPLE];
	size_t lines[IMPORT_NF];
	int added, rc;

	if (im->memo_host != host || im->memo_ts != s->ts) {
		bind_key(st, s->ts, host, SAMPLE_IMPORTED);	/* ?3 is flags */
		if (all)
			sqlite3_bind_int64(st, 4, sum);
		else
			sqlite3_bind_null(st, 4);
		if (step(im, st, SQLITE_DONE) == -1)
			return -1;
		added = sqlite3_changes(im->db);
		if ((rc = seen(im, s->ts, host, SAMPLE_KEY, added, NULL, &im->memo_new,
		    lines)) == -1)
			return -1;
		im->memo_ts = s->ts;
		im->memo_host = host;
		if (rc == 0) {
			im->memo_new = added;
			/* sockets, if any, went in with the row */
			return added && all ? write_kernel(im, s, host) : 0;
		}
	}
	if (!all || !im->memo_new)
		return 0;
	bind_key(im->st[S_SOCKETS], s->ts, host, sum);	/* ?3 is the sum */
	if (step(im, im->st[S_SOCKETS], SQLITE_DONE) == -1)
		return -1;
	return write_kernel(im, s, host);
}

/* The limits a key of group `all` gives; a row already stored stays as it is. */
static int
write_limits(struct importer *im, const struct import_sample *s, int64_t host)
{
	sqlite3_stmt *st = im->st[S_LIMIT];
	int k;

	for (k = 0; k < TT_NKLIMITS; k++) {
		if (s->line[IMPORT_F(IX_KLIMIT0 + k)] == 0)
			continue;
		sqlite3_bind_int64(st, 1, s->ts);
		sqlite3_bind_int64(st, 2, host);
		sqlite3_bind_text(st, 3, klimit_name(k), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)s->count[IMPORT_F(IX_KLIMIT0 + k)]);
		if (step(im, st, SQLITE_DONE) == -1)
			return -1;
	}
	return 0;
}

/* A key met again: its states must be new ones; add them to this import's row. */
static int
merge(struct importer *im, int64_t host, int64_t grp, int was_added, const size_t *was)
{
	struct import_sample *s = &im->cur;
	char why[512];
	size_t line;

	if (import_sample_clash(s, was, &line, why, sizeof(why)) == -1)
		return bad(im, line, why);
	if (was_added) {
		bind_key(im->st[S_MERGE], s->ts, host, grp);
		bind_states(im->st[S_MERGE], 4, s->count, NULL);
		bind_listen(im->st[S_MERGE], s);
		if (step(im, im->st[S_MERGE], SQLITE_DONE) == -1)
			return -1;
	}
	bind_key(im->st[S_SEEN_SET], s->ts, host, grp);
	bind_states(im->st[S_SEEN_SET], 5, NULL, s->line);
	bind_units(im->st[S_SEEN_SET], s);
	return step(im, im->st[S_SEEN_SET], SQLITE_DONE);
}

/* One file holds one host: the database's, or the first the input names. */
static int
one_host(struct importer *im, const struct import_sample *s)
{
	char why[1024], b[64];

	if (im->dbhost[0] == '\0') {
		snprintf(im->dbhost, sizeof(im->dbhost), "%s", s->host);
		return 0;
	}
	if (strcmp(im->dbhost, s->host) == 0)
		return 0;
	import_show(b, sizeof(b), s->host, strlen(s->host));
	snprintf(why, sizeof(why), "host %s is not this database's host '%s'; one file holds "
	    "one host: import the rows of %s into a database of its own (a config with its "
	    "own `database:` and `host:`)", b, im->dbhost, b);
	return bad(im, s->first, why);
}

/* Write the gathered (ts, host, group). */
static int
flush(struct importer *im)
{
	struct import_sample *s = &im->cur;
	sqlite3_stmt *st = im->st[S_COUNTS];
	size_t was[IMPORT_NF], line;
	int64_t host, grp, sum = 0;
	int i, added, was_added, rc, all = strcmp(s->group, "all") == 0;
	char why[512];

	if (!im->has_cur)
		return 0;
	im->has_cur = 0;
	if (import_sample_whole(s, &line, why, sizeof(why)) == -1)
		return bad(im, line, why);
	if (one_host(im, s) == -1 ||
	    (host = names_id(im, &im->hosts, "host", s->host, s->netns)) == -1 ||
	    (grp = names_id(im, &im->groups, "grp", s->group, NULL)) == -1)
		return -1;
	for (i = 1; i <= TT_NSTATES; i++)
		sum += (int64_t)s->count[i];
	if (write_sample(im, s, host, all, sum) == -1 || (all && write_limits(im, s, host) == -1))
		return -1;
	bind_key(st, s->ts, host, grp);
	bind_states(st, 4, s->count, NULL);
	bind_listen(st, s);
	if (step(im, st, SQLITE_DONE) == -1)
		return -1;
	added = sqlite3_changes(im->db);
	if ((rc = seen(im, s->ts, host, grp, added, s, &was_added, was)) <= 0)
		return rc;
	return merge(im, host, grp, was_added, was);
}

static int
csv_record(struct importer *im, char *s, size_t len, size_t line)
{
	struct import_row r;
	char why[512];

	if (import_csv_row(s, len, im->netns_col, &r, why, sizeof(why)) == -1 ||
	    import_future(r.ts, im->now, why, sizeof(why)) == -1) {
		if (flush(im) == -1)	/* a duplicate there comes first */
			return -1;
		return bad(im, line, why);
	}
	im->stats->rows++;
	if (!im->has_cur || !import_sample_same(&im->cur, r.ts, r.host, r.netns, r.group)) {
		if (flush(im) == -1)
			return -1;
		import_sample_start(&im->cur, r.ts, r.host, r.netns, r.group, line);
		im->has_cur = 1;
	}
	if (import_sample_add(&im->cur, r.state, r.count, line, why, sizeof(why)) == -1)
		return bad(im, line, why);
	if (r.state == IMPORT_F(IX_MAX_FILL))
		im->cur.fill = r.real;
	return 0;
}

/* The record so far: with its quotes unbalanced, the parser says what is wrong. */
static int
csv_unjoin(struct importer *im)
{
	size_t len = im->jlen;

	im->jlen = 0;
	if (csv_record(im, im->join, len, im->jline) == 0)
		return bad(im, im->jline, "unterminated quoted field");
	return -1;
}

/* A line of a record whose quoted field goes on: rare, so copied. */
static int
csv_join(struct importer *im, const char *s, size_t len, size_t line)
{
	size_t sep = im->jlen > 0;	/* the newline inside the field */

	if (im->join == NULL && (im->join = malloc(RECORD_MAX + 1)) == NULL)
		return oom(im);
	if (im->jlen == 0)
		im->jline = line;
	else if (im->jlen + sep + len > RECORD_MAX)
		return csv_unjoin(im);
	if (sep)
		im->join[im->jlen] = '\n';
	memcpy(im->join + im->jlen + sep, s, len);
	im->jlen += sep + len;
	if (!import_csv_complete(im->join, im->jlen))
		return 0;
	len = im->jlen;
	im->jlen = 0;
	return csv_record(im, im->join, len, im->jline);
}

static int
csv_loop(struct importer *im, int crlf)
{
	char *s;
	size_t len;
	int rc, h;

	while ((rc = next_line(im, &s, &len)) == 1) {
		if (crlf && len > 0 && s[len - 1] == '\r')
			len--;
		if (im->jlen > 0 || !import_csv_complete(s, len))
			rc = csv_join(im, s, len, im->rd.lineno);
		else if (import_is_blank(s, len))
			continue;
		else if ((h = import_is_header(s, len)) != 0)
			im->netns_col = h == 2;	/* another export's: its columns from here */
		else
			rc = csv_record(im, s, len, im->rd.lineno);
		if (rc == -1)
			return -1;
	}
	if (rc == 0 && im->jlen > 0)
		return flush(im) == -1 ? -1 : csv_unjoin(im);
	return rc == 0 ? flush(im) : -1;
}

/* The end of a cron-log block: it must have counts. */
static int
end_block(struct importer *im)
{
	if (im->has_cur && im->cur.n == 0)
		return bad(im, im->cur.first, "timestamp with no counts; a timestamp line "
		    "must be followed by 'STATE COUNT' lines");
	return flush(im);
}

static int
cron_first(struct importer *im, const char *shown, size_t line, int is_count)
{
	char why[512];

	snprintf(why, sizeof(why), "%s %s; CSV input starts with the header line %s, a "
	    "cron log with a timestamp line (@EPOCH, ISO 8601 such as "
	    "2026-11-23T18:00:01Z, or date(1) output such as "
	    "\"Mon Nov 23 18:00:01 UTC 2026\")", shown, is_count ?
	    "comes before any timestamp" : "is neither the CSV header nor a cron-log "
	    "timestamp", IMPORT_HEADER);
	return bad(im, line, why);
}

static int
cron_record(struct importer *im, char *s, size_t len, size_t line)
{
	struct cron_line c;
	char why[512], shown[64];

	if (!im->has_cur)
		import_show(shown, sizeof(shown), s, len);
	if (import_cron_line(s, len, &c, why, sizeof(why)) == -1) {
		if (!im->has_cur)
			return cron_first(im, shown, line, 0);
		if (im->cur.n > 0 && flush(im) == -1)	/* an earlier duplicate first */
			return -1;
		return bad(im, line, why);
	}
	if (c.kind == CRON_STAMP) {
		if (end_block(im) == -1)
			return -1;
		if (import_future(c.ts, im->now, why, sizeof(why)) == -1)
			return bad(im, line, why);
		import_sample_start(&im->cur, c.ts, im->cron_host, "host", "all", line);
		im->has_cur = 1;
		return 0;
	}
	if (!im->has_cur)
		return cron_first(im, shown, line, 1);
	im->stats->rows++;
	if (import_sample_add(&im->cur, c.state, c.count, line, why, sizeof(why)) == -1)
		return bad(im, line, why);
	return 0;
}

/* From the first line on, which the caller has read. */
static int
cron_loop(struct importer *im, char *s, size_t len)
{
	int rc = 1;

	do {
		if (!import_is_blank(s, len) &&
		    cron_record(im, s, len, im->rd.lineno) == -1)
			return -1;
	} while ((rc = next_line(im, &s, &len)) == 1);
	return rc == 0 ? end_block(im) : -1;
}

/* The first non-blank line says which format: the CSV header, or else a cron log. */
static int
import_lines(struct importer *im)
{
	char *s;
	size_t len;
	int rc, h;

	while ((rc = next_line(im, &s, &len)) == 1) {
		if (im->rd.lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;		/* a UTF-8 byte order mark */
			len -= 3;
		}
		if (import_is_blank(s, len))
			continue;
		if ((h = import_is_header(s, len)) != 0) {
			im->netns_col = h == 2;
			return csv_loop(im, s[len - 1] == '\r');
		}
		return cron_loop(im, s, len);
	}
	return rc;
}

/* Statement i, with its states' parts filled in. */
static int
prepare(struct importer *im, int i)
{
	char cols[2048], vals[512], text[4096];

	if (tmpl[i].cols == NULL)
		snprintf(text, sizeof(text), "%s", sql[i]);
	else if (tmpl[i].kst) {
		kstat_sql(cols, sizeof(cols), ", ", tmpl[i].cols, tmpl[i].first);
		kstat_sql(vals, sizeof(vals), ", ", tmpl[i].vals ? tmpl[i].vals : "",
		    tmpl[i].first);
		snprintf(text, sizeof(text), sql[i], cols, vals);
	} else {
		state_sql(cols, sizeof(cols), ", ", tmpl[i].cols, tmpl[i].first);
		state_sql(vals, sizeof(vals), ", ", tmpl[i].vals ? tmpl[i].vals : "",
		    tmpl[i].first);
		snprintf(text, sizeof(text), sql[i], cols, vals);
	}
	return sqlite3_prepare_v3(im->db, text, -1, SQLITE_PREPARE_PERSISTENT, &im->st[i],
	    NULL) == SQLITE_OK ? 0 : -1;
}

static int
setup(struct importer *im)
{
	char lines[256], create[512], err[512];
	int i, n;

	state_sql(lines, sizeof(lines), ", ", "{c}_line", 0);
	snprintf(create, sizeof(create), "DROP TABLE IF EXISTS temp.import_seen;"
	    "CREATE TEMP TABLE import_seen (ts INTEGER NOT NULL, host INTEGER NOT NULL,"
	    " grp INTEGER NOT NULL, added INTEGER NOT NULL, %s, u_listen, u_sample,"
	    " u_limit, PRIMARY KEY (ts, host, grp)) WITHOUT ROWID", lines);
	if (db_exec(im->db, create, err, sizeof(err)) == -1) {
		snprintf(im->err, im->errlen, "%s: %s", im->dbname, err);
		im->rc = IMPORT_EDB;
		return -1;
	}
	for (i = 0; i < NSTMT; i++)
		if (prepare(im, i) == -1)
			return db_fail(im);
	if (step(im, im->st[S_BEGIN], SQLITE_DONE) == -1 ||
	    (n = db_hosts(im->db, im->dbhost, sizeof(im->dbhost))) == -1)
		return db_fail(im);
	if (n > 1) {
		snprintf(im->err, im->errlen, "%s holds %d hosts (imports of an older tcptally "
		    "kept any host name); one file holds one host: split it (tcptally-report(1), "
		    "FLEETS), or import into a new database", im->dbname, n);
		im->rc = IMPORT_EDB;
		return -1;
	}
	return 0;
}

static int
finish(struct importer *im)
{
	sqlite3_stmt *st = im->st[S_STATS];
	char rollup[8192], err[512];
	int64_t from, to;

	/*
	 * The trigger added each sample's counter increases to its hour as it
	 * came; samples that came out of order, or whose context came after
	 * the row, make those wrong: the hours from the first written to 3
	 * hours after the last (the most a rate reaches over) are summed again.
	 */
	if (im->kfrom != -1) {
		from = im->kfrom - im->kfrom % 3600;
		to = im->kto + 3 * 3600 - (im->kto + 3 * 3600) % 3600 + 3600;
		kernel_rollup_sql(rollup, sizeof(rollup), from, to);
		if (db_exec(im->db, rollup, err, sizeof(err)) == -1) {
			snprintf(im->err, im->errlen, "%s: %s", im->dbname, err);
			im->rc = IMPORT_EDB;
			return -1;
		}
	}
	if (step(im, st, SQLITE_ROW) == -1)
		return -1;
	im->stats->samples = (uint64_t)sqlite3_column_int64(st, 0);
	im->stats->added = (uint64_t)sqlite3_column_int64(st, 1);
	im->stats->present = im->stats->samples - im->stats->added;
	sqlite3_reset(st);
	return step(im, im->st[S_COMMIT], SQLITE_DONE);
}

int
import_run(sqlite3 *db, const char *dbname, FILE *in, const char *file,
    const char *cron_host, struct import_stats *stats, char *err, size_t errlen)
{
	struct importer im;
	int i;

	memset(&im, 0, sizeof(im));
	memset(stats, 0, sizeof(*stats));
	im.db = db;
	im.dbname = dbname;
	im.file = file;
	im.cron_host = cron_host;
	im.stats = stats;
	im.err = err;
	im.errlen = errlen;
	im.memo_ts = -1;
	im.memo_host = -1;
	im.kfrom = -1;
	im.kto = -1;
	im.now = clock_real_ns() / 1000000000;
	if (reader_open(&im.rd, in, file, err, errlen) == -1) {
		snprintf(err, errlen, "out of memory");
		return IMPORT_EDB;
	}
	if ((setup(&im) == -1 || import_lines(&im) == -1 || finish(&im) == -1) &&
	    im.rc == IMPORT_OK)
		db_fail(&im);
	if (im.rc != IMPORT_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(im.st[i]);
	sqlite3_exec(db, "DROP TABLE IF EXISTS temp.import_seen", NULL, NULL, NULL);
	names_free(&im.hosts);
	names_free(&im.groups);
	reader_close(&im.rd);
	free(im.join);
	return im.rc;
}
