-- tcptally schema 4: who holds the sockets (cgroups) and toward whom (peers),
-- per sample x group x state, from the same dump. Never edit a shipped
-- migration; add NNNN_next.sql instead.

-- What a breakdown row is about, once: a cgroup's path ('/' is the root;
-- '(kernel)': sockets without an owner, TIME_WAIT and SYN_RECV), or a peer
-- ('10.0.0.5:5432', '[2001:db8::1]:443') with its direction: 'out' when we
-- connected to it (our port in ip_local_port_range; its address and port),
-- 'in' when it is a client of ours (its address and our port). '(other)':
-- the rest of a group x state beyond its top K.
CREATE TABLE bkey (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL,		-- cgroup | peer
	key		TEXT NOT NULL,
	direction	TEXT NOT NULL,		-- out | in | '' (cgroups, (other))
	UNIQUE (kind, key, direction)
) STRICT;

-- Per sample x group x state, the top K keys of each kind and one
-- '(other)' row: the rows of a group x state add up to its count. A count
-- may be over the truth by at most err (0: exact; not 0 only when a state
-- held more distinct keys than the collector keeps, 4 K).
CREATE TABLE breakdown_count (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	state		INTEGER NOT NULL,
	bkey		INTEGER NOT NULL,
	count		INTEGER NOT NULL,
	err		INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp, state, bkey)
) STRICT, WITHOUT ROWID;

-- Per sample x group, the top K outbound peers by sockets toward them in
-- any state, TIME_WAIT included: their share of the local port range.
CREATE TABLE peer_load (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	bkey		INTEGER NOT NULL,
	sockets		INTEGER NOT NULL,
	err		INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp, bkey)
) STRICT, WITHOUT ROWID;

-- Per hour x group x state x key: the most it held in a sample of the hour,
-- kept by the database itself as rows arrive; retention and max_size treat
-- them as the hourly rollups of the counts.
CREATE TABLE hourly_breakdown (
	ts		INTEGER NOT NULL,	-- the hour's start
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	state		INTEGER NOT NULL,
	bkey		INTEGER NOT NULL,
	max		INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp, state, bkey)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER breakdown_to_hourly AFTER INSERT ON breakdown_count
BEGIN
	INSERT INTO hourly_breakdown (ts, host, grp, state, bkey, max)
	VALUES (NEW.ts - NEW.ts % 3600, NEW.host, NEW.grp, NEW.state, NEW.bkey, NEW.count)
	ON CONFLICT (ts, host, grp, state, bkey) DO UPDATE SET max = max(max, excluded.max);
END;

-- A sample with breakdowns: the size of ip_local_port_range then.
CREATE TABLE sample_breakdown (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	port_range	INTEGER NOT NULL,
	PRIMARY KEY (ts, host)
) STRICT, WITHOUT ROWID;

-- Per sample x group holding CLOSE_WAIT sockets: the age of the oldest,
-- in seconds since the first sample that saw it in CLOSE_WAIT (known by
-- its socket cookie across the samples of one collector process; NULL:
-- none tracked). untracked: the group's CLOSE_WAIT sockets the collector
-- had no room to track. lower_bound: the age may be more (the oldest was
-- there at the collector's first sample, or some are untracked).
CREATE TABLE close_wait_age (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	age		INTEGER,
	untracked	INTEGER NOT NULL,
	lower_bound	INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp)
) STRICT, WITHOUT ROWID;

-- The processes holding a group's CLOSE_WAIT sockets, at the samples where
-- its CLOSE_WAIT count passed owners.close_wait_above: the top N by
-- sockets, with the process's name and cgroup then.
CREATE TABLE owner (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	pid		INTEGER NOT NULL,
	comm		TEXT NOT NULL,
	cgroup		TEXT NOT NULL,
	count		INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp, pid)
) STRICT, WITHOUT ROWID;

CREATE VIEW owners (ts, host, grp, pid, comm, cgroup, count) AS
SELECT o.ts, h.name, g.name, o.pid, o.comm, o.cgroup, o.count
FROM owner AS o
JOIN host AS h ON h.id = o.host
JOIN grp AS g ON g.id = o.grp;

CREATE VIEW oldest_close_wait (ts, host, grp, age, lower_bound) AS
SELECT a.ts, h.name, g.name, a.age, a.lower_bound
FROM close_wait_age AS a
JOIN host AS h ON h.id = a.host
JOIN grp AS g ON g.id = a.grp;

CREATE VIEW breakdown (ts, host, grp, kind, key, direction, state, count, err,
	port_share) AS
SELECT b.ts, h.name, g.name, k.kind, k.key, NULLIF(k.direction, ''), s.name, b.count,
	b.err, CAST(p.sockets AS REAL) / sb.port_range
FROM breakdown_count AS b
JOIN host AS h ON h.id = b.host
JOIN grp AS g ON g.id = b.grp
JOIN bkey AS k ON k.id = b.bkey
JOIN state AS s ON s.id = b.state
LEFT JOIN peer_load AS p ON p.ts = b.ts AND p.host = b.host AND p.grp = b.grp
	AND p.bkey = b.bkey
LEFT JOIN sample_breakdown AS sb ON sb.ts = b.ts AND sb.host = b.host;

CREATE VIEW breakdown_hourly (ts, host, grp, kind, key, direction, state, max) AS
SELECT b.ts, h.name, g.name, k.kind, k.key, NULLIF(k.direction, ''), s.name, b.max
FROM hourly_breakdown AS b
JOIN host AS h ON h.id = b.host
JOIN grp AS g ON g.id = b.grp
JOIN bkey AS k ON k.id = b.bkey
JOIN state AS s ON s.id = b.state;

CREATE VIEW port_shares (ts, host, grp, peer, sockets, err, port_share) AS
SELECT p.ts, h.name, g.name, k.key, p.sockets, p.err,
	CAST(p.sockets AS REAL) / sb.port_range
FROM peer_load AS p
JOIN host AS h ON h.id = p.host
JOIN grp AS g ON g.id = p.grp
JOIN bkey AS k ON k.id = p.bkey
JOIN sample_breakdown AS sb ON sb.ts = p.ts AND sb.host = p.host;
