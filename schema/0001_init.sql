-- tcptally schema 1: hosts, groups, samples, per-group counts, public views.
-- Never edit a shipped migration; add NNNN_next.sql instead.

CREATE TABLE host (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE grp (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
) STRICT;

-- The kernel's numbering, include/net/tcp_states.h.
CREATE TABLE state (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO state (id, name) VALUES
	(1, 'ESTABLISHED'), (2, 'SYN_SENT'), (3, 'SYN_RECV'), (4, 'FIN_WAIT1'),
	(5, 'FIN_WAIT2'), (6, 'TIME_WAIT'), (7, 'CLOSE'), (8, 'CLOSE_WAIT'),
	(9, 'LAST_ACK'), (10, 'LISTEN'), (11, 'CLOSING');

-- One row per sample slot, taken or missed.
-- flags: 1 dump retried, 2 suspect (interrupted twice), 4 missed (no counts).
CREATE TABLE sample (
	ts		INTEGER NOT NULL,	-- unix seconds, UTC
	host		INTEGER NOT NULL,
	flags		INTEGER NOT NULL DEFAULT 0,
	duration_us	INTEGER,		-- dump + tally + store
	sockets		INTEGER,		-- sockets the kernel reported
	PRIMARY KEY (ts, host)
) STRICT, WITHOUT ROWID;

-- One row per sample x group; one column per state keeps a row near 30 bytes.
CREATE TABLE counts (
	ts		INTEGER NOT NULL,
	host		INTEGER NOT NULL,
	grp		INTEGER NOT NULL,
	established	INTEGER NOT NULL,
	syn_sent	INTEGER NOT NULL,
	syn_recv	INTEGER NOT NULL,
	fin_wait1	INTEGER NOT NULL,
	fin_wait2	INTEGER NOT NULL,
	time_wait	INTEGER NOT NULL,
	close		INTEGER NOT NULL,
	close_wait	INTEGER NOT NULL,
	last_ack	INTEGER NOT NULL,
	listen		INTEGER NOT NULL,
	closing		INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp)
) STRICT, WITHOUT ROWID;

-- The public view: one row per sample x group x state, zeros included.
CREATE VIEW state_counts (ts, host, grp, state, count) AS
SELECT c.ts, h.name, g.name, s.name,
	CASE s.id
	WHEN 1 THEN c.established WHEN 2 THEN c.syn_sent
	WHEN 3 THEN c.syn_recv WHEN 4 THEN c.fin_wait1
	WHEN 5 THEN c.fin_wait2 WHEN 6 THEN c.time_wait
	WHEN 7 THEN c.close WHEN 8 THEN c.close_wait
	WHEN 9 THEN c.last_ack WHEN 10 THEN c.listen
	WHEN 11 THEN c.closing END
FROM counts AS c
JOIN host AS h ON h.id = c.host
JOIN grp AS g ON g.id = c.grp
CROSS JOIN state AS s;

-- Every sample slot with its metadata, missed ones included.
CREATE VIEW samples (ts, host, missed, retried, suspect, duration_ms, sockets) AS
SELECT sm.ts, h.name, (sm.flags & 4) != 0, (sm.flags & 1) != 0, (sm.flags & 2) != 0,
	sm.duration_us / 1000.0, sm.sockets
FROM sample AS sm
JOIN host AS h ON h.id = sm.host;
