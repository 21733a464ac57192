-- tcptally schema 5: samples per network namespace.
-- Never edit a shipped migration; add NNNN_next.sql instead.
--
-- A host row is now one network namespace of a host: (name, netns), netns
-- 'host' for the collector's own. Every table keys on the host row already,
-- so a namespace's samples, rollups, context and breakdowns are its own
-- without a column more; existing rows stay under (name, 'host'). Every
-- public view gains `netns`, as its last column, so that a query that reads
-- the columns by position reads what it did.

DROP VIEW state_counts;
DROP VIEW samples;
DROP VIEW state_counts_hourly;
DROP VIEW listen_queues;
DROP VIEW kernel_counters;
DROP VIEW kernel_rates;
DROP VIEW kernel_limits;
DROP VIEW owners;
DROP VIEW oldest_close_wait;
DROP VIEW breakdown;
DROP VIEW breakdown_hourly;
DROP VIEW port_shares;

CREATE TABLE host_ns (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL,
	netns	TEXT NOT NULL DEFAULT 'host',	-- 'host', a /run/netns name, a cgroup, netns:INODE
	UNIQUE (name, netns)
) STRICT;
INSERT INTO host_ns (id, name, netns) SELECT id, name, 'host' FROM host;
DROP TABLE host;
ALTER TABLE host_ns RENAME TO host;

CREATE VIEW state_counts (ts, host, grp, state, count, netns) AS
SELECT c.ts, h.name, g.name, s.name,
	CASE s.id
	WHEN 1 THEN c.established WHEN 2 THEN c.syn_sent
	WHEN 3 THEN c.syn_recv WHEN 4 THEN c.fin_wait1
	WHEN 5 THEN c.fin_wait2 WHEN 6 THEN c.time_wait
	WHEN 7 THEN c.close WHEN 8 THEN c.close_wait
	WHEN 9 THEN c.last_ack WHEN 10 THEN c.listen
	WHEN 11 THEN c.closing END, h.netns
FROM counts AS c
JOIN host AS h ON h.id = c.host
JOIN grp AS g ON g.id = c.grp
CROSS JOIN state AS s;

CREATE VIEW samples (ts, host, missed, retried, suspect, duration_ms, sockets, netns) AS
SELECT sm.ts, h.name, (sm.flags & 4) != 0, (sm.flags & 1) != 0, (sm.flags & 2) != 0,
	sm.duration_us / 1000.0, sm.sockets, h.netns
FROM sample AS sm
JOIN host AS h ON h.id = sm.host;

CREATE VIEW state_counts_hourly (ts, host, grp, state, min, avg, max, samples, netns) AS
SELECT r.ts, h.name, g.name, s.name,
	CASE s.id
	WHEN 1 THEN r.established_min
	WHEN 2 THEN r.syn_sent_min
	WHEN 3 THEN r.syn_recv_min
	WHEN 4 THEN r.fin_wait1_min
	WHEN 5 THEN r.fin_wait2_min
	WHEN 6 THEN r.time_wait_min
	WHEN 7 THEN r.close_min
	WHEN 8 THEN r.close_wait_min
	WHEN 9 THEN r.last_ack_min
	WHEN 10 THEN r.listen_min
	WHEN 11 THEN r.closing_min END,
	CAST(CASE s.id
	WHEN 1 THEN r.established_sum
	WHEN 2 THEN r.syn_sent_sum
	WHEN 3 THEN r.syn_recv_sum
	WHEN 4 THEN r.fin_wait1_sum
	WHEN 5 THEN r.fin_wait2_sum
	WHEN 6 THEN r.time_wait_sum
	WHEN 7 THEN r.close_sum
	WHEN 8 THEN r.close_wait_sum
	WHEN 9 THEN r.last_ack_sum
	WHEN 10 THEN r.listen_sum
	WHEN 11 THEN r.closing_sum END AS REAL) / r.samples,
	CASE s.id
	WHEN 1 THEN r.established_max
	WHEN 2 THEN r.syn_sent_max
	WHEN 3 THEN r.syn_recv_max
	WHEN 4 THEN r.fin_wait1_max
	WHEN 5 THEN r.fin_wait2_max
	WHEN 6 THEN r.time_wait_max
	WHEN 7 THEN r.close_max
	WHEN 8 THEN r.close_wait_max
	WHEN 9 THEN r.last_ack_max
	WHEN 10 THEN r.listen_max
	WHEN 11 THEN r.closing_max END,
	r.samples, h.netns
FROM hourly AS r
JOIN host AS h ON h.id = r.host
JOIN grp AS g ON g.id = r.grp
CROSS JOIN state AS s;

CREATE VIEW listen_queues (ts, host, grp, listeners, queued, backlog, max_fill, full, netns) AS
SELECT c.ts, h.name, g.name, c.listeners, c.queued, c.backlog, c.max_fill, c.full, h.netns
FROM counts AS c
JOIN host AS h ON h.id = c.host
JOIN grp AS g ON g.id = c.grp
WHERE c.listeners IS NOT NULL;

CREATE VIEW kernel_counters (ts, host, name, value, netns) AS
SELECT ts, host, name, value, netns FROM (
	SELECT s.ts AS ts, h.name AS host, h.netns AS netns, k.name AS name,
	CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END AS value
	FROM sample_kernel AS s
	JOIN host AS h ON h.id = s.host
	CROSS JOIN kstat AS k)
WHERE value IS NOT NULL;

CREATE VIEW kernel_rates (ts, host, name, per_sec, netns) AS
SELECT ts, host, name, CAST(value - prev AS REAL) / (ts - prev_ts), netns FROM (
	SELECT s.ts AS ts, h.name AS host, h.netns AS netns, k.name AS name, s.interval AS iv,
	CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END AS value,
	lag(CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END) OVER w AS prev,
	lag(s.ts) OVER w AS prev_ts
	FROM sample_kernel AS s
	JOIN host AS h ON h.id = s.host
	CROSS JOIN kstat AS k
	WHERE k.kind = 'counter'
	WINDOW w AS (PARTITION BY s.host, k.id ORDER BY s.ts))
WHERE value IS NOT NULL AND prev IS NOT NULL AND value >= prev AND ts - prev_ts <= 3 * iv;

CREATE VIEW kernel_limits (ts, host, name, value, netns) AS
SELECT l.ts, h.name, l.name, l.value, h.netns
FROM klimit AS l
JOIN host AS h ON h.id = l.host;

CREATE VIEW owners (ts, host, grp, pid, comm, cgroup, count, netns) AS
SELECT o.ts, h.name, g.name, o.pid, o.comm, o.cgroup, o.count, h.netns
FROM owner AS o
JOIN host AS h ON h.id = o.host
JOIN grp AS g ON g.id = o.grp;

CREATE VIEW oldest_close_wait (ts, host, grp, age, lower_bound, netns) AS
SELECT a.ts, h.name, g.name, a.age, a.lower_bound, h.netns
FROM close_wait_age AS a
JOIN host AS h ON h.id = a.host
JOIN grp AS g ON g.id = a.grp;

CREATE VIEW breakdown (ts, host, grp, kind, key, direction, state, count, err,
	port_share, netns) AS
SELECT b.ts, h.name, g.name, k.kind, k.key, NULLIF(k.direction, ''), s.name, b.count,
	b.err, CAST(p.sockets AS REAL) / sb.port_range, h.netns
FROM breakdown_count AS b
JOIN host AS h ON h.id = b.host
JOIN grp AS g ON g.id = b.grp
JOIN bkey AS k ON k.id = b.bkey
JOIN state AS s ON s.id = b.state
LEFT JOIN peer_load AS p ON p.ts = b.ts AND p.host = b.host AND p.grp = b.grp
	AND p.bkey = b.bkey
LEFT JOIN sample_breakdown AS sb ON sb.ts = b.ts AND sb.host = b.host;

CREATE VIEW breakdown_hourly (ts, host, grp, kind, key, direction, state, max, netns) AS
SELECT b.ts, h.name, g.name, k.kind, k.key, NULLIF(k.direction, ''), s.name, b.max, h.netns
FROM hourly_breakdown AS b
JOIN host AS h ON h.id = b.host
JOIN grp AS g ON g.id = b.grp
JOIN bkey AS k ON k.id = b.bkey
JOIN state AS s ON s.id = b.state;

CREATE VIEW port_shares (ts, host, grp, peer, sockets, err, port_share, netns) AS
SELECT p.ts, h.name, g.name, k.key, p.sockets, p.err,
	CAST(p.sockets AS REAL) / sb.port_range, h.netns
FROM peer_load AS p
JOIN host AS h ON h.id = p.host
JOIN grp AS g ON g.id = p.grp
JOIN bkey AS k ON k.id = p.bkey
JOIN sample_breakdown AS sb ON sb.ts = p.ts AND sb.host = p.host;
