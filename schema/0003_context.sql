-- tcptally schema 3: accept queues per sample x group, the kernel's TCP
-- counters and gauges per sample, its limits as they change, and their
-- rollups. Never edit a shipped migration; add NNNN_next.sql instead.
-- Every column added here is NULL in the rows stored before: unknown, not 0.
-- The kernel's context has a table of its own: a sample without it (an
-- import, context: off, any sample before) costs no byte for it.

-- Over a group's LISTEN sockets at a sample (from the same dump): how many,
-- the sum of their accept queues and of their backlogs, the fullest one's
-- fill (queue / (backlog + 1): a listener holds backlog + 1 before it refuses
-- the next) and how many were full.
ALTER TABLE counts ADD COLUMN listeners INTEGER;
ALTER TABLE counts ADD COLUMN queued INTEGER;
ALTER TABLE counts ADD COLUMN backlog INTEGER;
ALTER TABLE counts ADD COLUMN max_fill REAL;
ALTER TABLE counts ADD COLUMN full INTEGER;

-- The kernel's context of a sample of the host: the interval it was taken
-- at (a gap of more than 3 ends a rate), cumulative counters as the kernel
-- printed them, and gauges. A value the kernel lacks is NULL.
CREATE TABLE sample_kernel (
	ts	INTEGER NOT NULL,	-- the sample's
	host	INTEGER NOT NULL,
	interval	INTEGER NOT NULL,
	ListenOverflows	INTEGER,
	ListenDrops	INTEGER,
	TCPTimeWaitOverflow	INTEGER,
	TCPAbortOnMemory	INTEGER,
	TCPAbortOnTimeout	INTEGER,
	TCPAbortOnData	INTEGER,
	TCPAbortOnClose	INTEGER,
	TCPReqQFullDrop	INTEGER,
	SyncookiesSent	INTEGER,
	TCPBacklogDrop	INTEGER,
	ActiveOpens	INTEGER,
	PassiveOpens	INTEGER,
	AttemptFails	INTEGER,
	EstabResets	INTEGER,
	RetransSegs	INTEGER,
	InErrs	INTEGER,
	OutRsts	INTEGER,
	tcp_inuse	INTEGER,
	tcp_orphan	INTEGER,
	tcp_tw	INTEGER,
	tcp_alloc	INTEGER,
	tcp_mem	INTEGER,
	tcp6_inuse	INTEGER,
	PRIMARY KEY (ts, host)
) STRICT, WITHOUT ROWID;

-- The counters and gauges by name, for the views.
CREATE TABLE kstat (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE,
	kind	TEXT NOT NULL		-- counter | gauge
) STRICT;
INSERT INTO kstat (id, name, kind) VALUES
	(1, 'ListenOverflows', 'counter'),
	(2, 'ListenDrops', 'counter'),
	(3, 'TCPTimeWaitOverflow', 'counter'),
	(4, 'TCPAbortOnMemory', 'counter'),
	(5, 'TCPAbortOnTimeout', 'counter'),
	(6, 'TCPAbortOnData', 'counter'),
	(7, 'TCPAbortOnClose', 'counter'),
	(8, 'TCPReqQFullDrop', 'counter'),
	(9, 'SyncookiesSent', 'counter'),
	(10, 'TCPBacklogDrop', 'counter'),
	(11, 'ActiveOpens', 'counter'),
	(12, 'PassiveOpens', 'counter'),
	(13, 'AttemptFails', 'counter'),
	(14, 'EstabResets', 'counter'),
	(15, 'RetransSegs', 'counter'),
	(16, 'InErrs', 'counter'),
	(17, 'OutRsts', 'counter'),
	(18, 'tcp_inuse', 'gauge'),
	(19, 'tcp_orphan', 'gauge'),
	(20, 'tcp_tw', 'gauge'),
	(21, 'tcp_alloc', 'gauge'),
	(22, 'tcp_mem', 'gauge'),
	(23, 'tcp6_inuse', 'gauge');

-- The kernel's limits, a row when one changes (and at a collector's start).
CREATE TABLE klimit (
	ts	INTEGER NOT NULL,
	host	INTEGER NOT NULL,
	name	TEXT NOT NULL,
	value	INTEGER NOT NULL,
	PRIMARY KEY (ts, host, name)
) STRICT, WITHOUT ROWID;

-- Rollups of the new data: per hour x group the highest listeners, queued,
-- fill and full; per hour x host the counters' increases and the seconds
-- they cover (rate = increase / secs), and the gauges' min and max.
ALTER TABLE hourly ADD COLUMN listeners_max INTEGER;
ALTER TABLE hourly ADD COLUMN queued_max INTEGER;
ALTER TABLE hourly ADD COLUMN fill_max REAL;
ALTER TABLE hourly ADD COLUMN full_max INTEGER;

CREATE TABLE hourly_kernel (
	ts	INTEGER NOT NULL,	-- start of the hour, unix seconds, UTC
	host	INTEGER NOT NULL,
	samples	INTEGER NOT NULL,
	secs	INTEGER NOT NULL,
	ListenOverflows	INTEGER,
	ListenDrops	INTEGER,
	TCPTimeWaitOverflow	INTEGER,
	TCPAbortOnMemory	INTEGER,
	TCPAbortOnTimeout	INTEGER,
	TCPAbortOnData	INTEGER,
	TCPAbortOnClose	INTEGER,
	TCPReqQFullDrop	INTEGER,
	SyncookiesSent	INTEGER,
	TCPBacklogDrop	INTEGER,
	ActiveOpens	INTEGER,
	PassiveOpens	INTEGER,
	AttemptFails	INTEGER,
	EstabResets	INTEGER,
	RetransSegs	INTEGER,
	InErrs	INTEGER,
	OutRsts	INTEGER,
	tcp_inuse_min	INTEGER,
	tcp_inuse_max	INTEGER,
	tcp_orphan_min	INTEGER,
	tcp_orphan_max	INTEGER,
	tcp_tw_min	INTEGER,
	tcp_tw_max	INTEGER,
	tcp_alloc_min	INTEGER,
	tcp_alloc_max	INTEGER,
	tcp_mem_min	INTEGER,
	tcp_mem_max	INTEGER,
	tcp6_inuse_min	INTEGER,
	tcp6_inuse_max	INTEGER,
	PRIMARY KEY (ts, host)
) STRICT, WITHOUT ROWID;

-- Each counts row also brings its listeners' maxima to its hour.
DROP TRIGGER counts_to_hourly;
CREATE TRIGGER counts_to_hourly AFTER INSERT ON counts
BEGIN
	INSERT INTO hourly (ts, host, grp, samples, established_min, established_max, established_sum, syn_sent_min, syn_sent_max, syn_sent_sum, syn_recv_min, syn_recv_max, syn_recv_sum, fin_wait1_min, fin_wait1_max, fin_wait1_sum, fin_wait2_min, fin_wait2_max, fin_wait2_sum, time_wait_min, time_wait_max, time_wait_sum, close_min, close_max, close_sum, close_wait_min, close_wait_max, close_wait_sum, last_ack_min, last_ack_max, last_ack_sum, listen_min, listen_max, listen_sum, closing_min, closing_max, closing_sum, listeners_max, queued_max, fill_max, full_max)
	VALUES (new.ts - new.ts % 3600, new.host, new.grp, 1,
		new.established, new.established, new.established,
		new.syn_sent, new.syn_sent, new.syn_sent,
		new.syn_recv, new.syn_recv, new.syn_recv,
		new.fin_wait1, new.fin_wait1, new.fin_wait1,
		new.fin_wait2, new.fin_wait2, new.fin_wait2,
		new.time_wait, new.time_wait, new.time_wait,
		new.close, new.close, new.close,
		new.close_wait, new.close_wait, new.close_wait,
		new.last_ack, new.last_ack, new.last_ack,
		new.listen, new.listen, new.listen,
		new.closing, new.closing, new.closing,
		new.listeners, new.queued, new.max_fill, new.full)
	ON CONFLICT (ts, host, grp) DO UPDATE SET samples = samples + 1,
		established_min = min(established_min, excluded.established_min), established_max = max(established_max, excluded.established_max), established_sum = established_sum + excluded.established_sum,
		syn_sent_min = min(syn_sent_min, excluded.syn_sent_min), syn_sent_max = max(syn_sent_max, excluded.syn_sent_max), syn_sent_sum = syn_sent_sum + excluded.syn_sent_sum,
		syn_recv_min = min(syn_recv_min, excluded.syn_recv_min), syn_recv_max = max(syn_recv_max, excluded.syn_recv_max), syn_recv_sum = syn_recv_sum + excluded.syn_recv_sum,
		fin_wait1_min = min(fin_wait1_min, excluded.fin_wait1_min), fin_wait1_max = max(fin_wait1_max, excluded.fin_wait1_max), fin_wait1_sum = fin_wait1_sum + excluded.fin_wait1_sum,
		fin_wait2_min = min(fin_wait2_min, excluded.fin_wait2_min), fin_wait2_max = max(fin_wait2_max, excluded.fin_wait2_max), fin_wait2_sum = fin_wait2_sum + excluded.fin_wait2_sum,
		time_wait_min = min(time_wait_min, excluded.time_wait_min), time_wait_max = max(time_wait_max, excluded.time_wait_max), time_wait_sum = time_wait_sum + excluded.time_wait_sum,
		close_min = min(close_min, excluded.close_min), close_max = max(close_max, excluded.close_max), close_sum = close_sum + excluded.close_sum,
		close_wait_min = min(close_wait_min, excluded.close_wait_min), close_wait_max = max(close_wait_max, excluded.close_wait_max), close_wait_sum = close_wait_sum + excluded.close_wait_sum,
		last_ack_min = min(last_ack_min, excluded.last_ack_min), last_ack_max = max(last_ack_max, excluded.last_ack_max), last_ack_sum = last_ack_sum + excluded.last_ack_sum,
		listen_min = min(listen_min, excluded.listen_min), listen_max = max(listen_max, excluded.listen_max), listen_sum = listen_sum + excluded.listen_sum,
		closing_min = min(closing_min, excluded.closing_min), closing_max = max(closing_max, excluded.closing_max), closing_sum = closing_sum + excluded.closing_sum,
		listeners_max = CASE WHEN excluded.listeners_max IS NULL THEN listeners_max WHEN listeners_max IS NULL THEN excluded.listeners_max ELSE max(listeners_max, excluded.listeners_max) END,
		queued_max = CASE WHEN excluded.queued_max IS NULL THEN queued_max WHEN queued_max IS NULL THEN excluded.queued_max ELSE max(queued_max, excluded.queued_max) END,
		fill_max = CASE WHEN excluded.fill_max IS NULL THEN fill_max WHEN fill_max IS NULL THEN excluded.fill_max ELSE max(fill_max, excluded.fill_max) END,
		full_max = CASE WHEN excluded.full_max IS NULL THEN full_max WHEN full_max IS NULL THEN excluded.full_max ELSE max(full_max, excluded.full_max) END;
END;

-- An import that meets a key again adds states to the row it wrote: the
-- hour is summed again from the raw rows, the listeners' maxima with it.
DROP TRIGGER counts_to_hourly_update;
CREATE TRIGGER counts_to_hourly_update AFTER UPDATE ON counts
BEGIN
	INSERT OR REPLACE INTO hourly (ts, host, grp, samples, established_min, established_max, established_sum, syn_sent_min, syn_sent_max, syn_sent_sum, syn_recv_min, syn_recv_max, syn_recv_sum, fin_wait1_min, fin_wait1_max, fin_wait1_sum, fin_wait2_min, fin_wait2_max, fin_wait2_sum, time_wait_min, time_wait_max, time_wait_sum, close_min, close_max, close_sum, close_wait_min, close_wait_max, close_wait_sum, last_ack_min, last_ack_max, last_ack_sum, listen_min, listen_max, listen_sum, closing_min, closing_max, closing_sum, listeners_max, queued_max, fill_max, full_max)
	SELECT new.ts - new.ts % 3600, new.host, new.grp, count(*),
		min(established), max(established), sum(established),
		min(syn_sent), max(syn_sent), sum(syn_sent),
		min(syn_recv), max(syn_recv), sum(syn_recv),
		min(fin_wait1), max(fin_wait1), sum(fin_wait1),
		min(fin_wait2), max(fin_wait2), sum(fin_wait2),
		min(time_wait), max(time_wait), sum(time_wait),
		min(close), max(close), sum(close),
		min(close_wait), max(close_wait), sum(close_wait),
		min(last_ack), max(last_ack), sum(last_ack),
		min(listen), max(listen), sum(listen),
		min(closing), max(closing), sum(closing),
		max(listeners), max(queued), max(max_fill), max(full)
	FROM counts
	WHERE ts >= new.ts - new.ts % 3600 AND ts < new.ts - new.ts % 3600 + 3600
	AND host = new.host AND grp = new.grp;
END;

-- Each sample with the kernel's context adds to its hour: a counter's
-- increase since the host's sample before, when that one is at most 3
-- intervals back and the counter did not go down (a reboot, a wrap), and
-- the gauges' min and max.
CREATE TRIGGER sample_to_hourly_kernel AFTER INSERT ON sample_kernel
BEGIN
	INSERT INTO hourly_kernel (ts, host, samples, secs, ListenOverflows, ListenDrops, TCPTimeWaitOverflow, TCPAbortOnMemory, TCPAbortOnTimeout, TCPAbortOnData, TCPAbortOnClose, TCPReqQFullDrop, SyncookiesSent, TCPBacklogDrop, ActiveOpens, PassiveOpens, AttemptFails, EstabResets, RetransSegs, InErrs, OutRsts, tcp_inuse_min, tcp_inuse_max, tcp_orphan_min, tcp_orphan_max, tcp_tw_min, tcp_tw_max, tcp_alloc_min, tcp_alloc_max, tcp_mem_min, tcp_mem_max, tcp6_inuse_min, tcp6_inuse_max)
	SELECT new.ts - new.ts % 3600, new.host, 1,
		CASE WHEN new.ts - p.ts <= 3 * new.interval THEN new.ts - p.ts ELSE 0 END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.ListenOverflows >= p.ListenOverflows THEN new.ListenOverflows - p.ListenOverflows END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.ListenDrops >= p.ListenDrops THEN new.ListenDrops - p.ListenDrops END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPTimeWaitOverflow >= p.TCPTimeWaitOverflow THEN new.TCPTimeWaitOverflow - p.TCPTimeWaitOverflow END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPAbortOnMemory >= p.TCPAbortOnMemory THEN new.TCPAbortOnMemory - p.TCPAbortOnMemory END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPAbortOnTimeout >= p.TCPAbortOnTimeout THEN new.TCPAbortOnTimeout - p.TCPAbortOnTimeout END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPAbortOnData >= p.TCPAbortOnData THEN new.TCPAbortOnData - p.TCPAbortOnData END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPAbortOnClose >= p.TCPAbortOnClose THEN new.TCPAbortOnClose - p.TCPAbortOnClose END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPReqQFullDrop >= p.TCPReqQFullDrop THEN new.TCPReqQFullDrop - p.TCPReqQFullDrop END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.SyncookiesSent >= p.SyncookiesSent THEN new.SyncookiesSent - p.SyncookiesSent END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.TCPBacklogDrop >= p.TCPBacklogDrop THEN new.TCPBacklogDrop - p.TCPBacklogDrop END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.ActiveOpens >= p.ActiveOpens THEN new.ActiveOpens - p.ActiveOpens END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.PassiveOpens >= p.PassiveOpens THEN new.PassiveOpens - p.PassiveOpens END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.AttemptFails >= p.AttemptFails THEN new.AttemptFails - p.AttemptFails END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.EstabResets >= p.EstabResets THEN new.EstabResets - p.EstabResets END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.RetransSegs >= p.RetransSegs THEN new.RetransSegs - p.RetransSegs END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.InErrs >= p.InErrs THEN new.InErrs - p.InErrs END,
		CASE WHEN new.ts - p.ts <= 3 * new.interval AND new.OutRsts >= p.OutRsts THEN new.OutRsts - p.OutRsts END,
		new.tcp_inuse, new.tcp_inuse,
		new.tcp_orphan, new.tcp_orphan,
		new.tcp_tw, new.tcp_tw,
		new.tcp_alloc, new.tcp_alloc,
		new.tcp_mem, new.tcp_mem,
		new.tcp6_inuse, new.tcp6_inuse
	FROM (SELECT 1) LEFT JOIN (SELECT ts, ListenOverflows, ListenDrops, TCPTimeWaitOverflow, TCPAbortOnMemory, TCPAbortOnTimeout, TCPAbortOnData, TCPAbortOnClose, TCPReqQFullDrop, SyncookiesSent, TCPBacklogDrop, ActiveOpens, PassiveOpens, AttemptFails, EstabResets, RetransSegs, InErrs, OutRsts FROM sample_kernel
		WHERE host = new.host AND ts < new.ts ORDER BY ts DESC LIMIT 1) AS p ON 1
	WHERE 1
	ON CONFLICT (ts, host) DO UPDATE SET
		samples = samples + 1,
		secs = secs + excluded.secs,
		ListenOverflows = CASE WHEN excluded.ListenOverflows IS NULL THEN ListenOverflows WHEN ListenOverflows IS NULL THEN excluded.ListenOverflows ELSE ListenOverflows + excluded.ListenOverflows END,
		ListenDrops = CASE WHEN excluded.ListenDrops IS NULL THEN ListenDrops WHEN ListenDrops IS NULL THEN excluded.ListenDrops ELSE ListenDrops + excluded.ListenDrops END,
		TCPTimeWaitOverflow = CASE WHEN excluded.TCPTimeWaitOverflow IS NULL THEN TCPTimeWaitOverflow WHEN TCPTimeWaitOverflow IS NULL THEN excluded.TCPTimeWaitOverflow ELSE TCPTimeWaitOverflow + excluded.TCPTimeWaitOverflow END,
		TCPAbortOnMemory = CASE WHEN excluded.TCPAbortOnMemory IS NULL THEN TCPAbortOnMemory WHEN TCPAbortOnMemory IS NULL THEN excluded.TCPAbortOnMemory ELSE TCPAbortOnMemory + excluded.TCPAbortOnMemory END,
		TCPAbortOnTimeout = CASE WHEN excluded.TCPAbortOnTimeout IS NULL THEN TCPAbortOnTimeout WHEN TCPAbortOnTimeout IS NULL THEN excluded.TCPAbortOnTimeout ELSE TCPAbortOnTimeout + excluded.TCPAbortOnTimeout END,
		TCPAbortOnData = CASE WHEN excluded.TCPAbortOnData IS NULL THEN TCPAbortOnData WHEN TCPAbortOnData IS NULL THEN excluded.TCPAbortOnData ELSE TCPAbortOnData + excluded.TCPAbortOnData END,
		TCPAbortOnClose = CASE WHEN excluded.TCPAbortOnClose IS NULL THEN TCPAbortOnClose WHEN TCPAbortOnClose IS NULL THEN excluded.TCPAbortOnClose ELSE TCPAbortOnClose + excluded.TCPAbortOnClose END,
		TCPReqQFullDrop = CASE WHEN excluded.TCPReqQFullDrop IS NULL THEN TCPReqQFullDrop WHEN TCPReqQFullDrop IS NULL THEN excluded.TCPReqQFullDrop ELSE TCPReqQFullDrop + excluded.TCPReqQFullDrop END,
		SyncookiesSent = CASE WHEN excluded.SyncookiesSent IS NULL THEN SyncookiesSent WHEN SyncookiesSent IS NULL THEN excluded.SyncookiesSent ELSE SyncookiesSent + excluded.SyncookiesSent END,
		TCPBacklogDrop = CASE WHEN excluded.TCPBacklogDrop IS NULL THEN TCPBacklogDrop WHEN TCPBacklogDrop IS NULL THEN excluded.TCPBacklogDrop ELSE TCPBacklogDrop + excluded.TCPBacklogDrop END,
		ActiveOpens = CASE WHEN excluded.ActiveOpens IS NULL THEN ActiveOpens WHEN ActiveOpens IS NULL THEN excluded.ActiveOpens ELSE ActiveOpens + excluded.ActiveOpens END,
		PassiveOpens = CASE WHEN excluded.PassiveOpens IS NULL THEN PassiveOpens WHEN PassiveOpens IS NULL THEN excluded.PassiveOpens ELSE PassiveOpens + excluded.PassiveOpens END,
		AttemptFails = CASE WHEN excluded.AttemptFails IS NULL THEN AttemptFails WHEN AttemptFails IS NULL THEN excluded.AttemptFails ELSE AttemptFails + excluded.AttemptFails END,
		EstabResets = CASE WHEN excluded.EstabResets IS NULL THEN EstabResets WHEN EstabResets IS NULL THEN excluded.EstabResets ELSE EstabResets + excluded.EstabResets END,
		RetransSegs = CASE WHEN excluded.RetransSegs IS NULL THEN RetransSegs WHEN RetransSegs IS NULL THEN excluded.RetransSegs ELSE RetransSegs + excluded.RetransSegs END,
		InErrs = CASE WHEN excluded.InErrs IS NULL THEN InErrs WHEN InErrs IS NULL THEN excluded.InErrs ELSE InErrs + excluded.InErrs END,
		OutRsts = CASE WHEN excluded.OutRsts IS NULL THEN OutRsts WHEN OutRsts IS NULL THEN excluded.OutRsts ELSE OutRsts + excluded.OutRsts END,
		tcp_inuse_min = CASE WHEN excluded.tcp_inuse_min IS NULL THEN tcp_inuse_min WHEN tcp_inuse_min IS NULL THEN excluded.tcp_inuse_min ELSE min(tcp_inuse_min, excluded.tcp_inuse_min) END,
		tcp_inuse_max = CASE WHEN excluded.tcp_inuse_max IS NULL THEN tcp_inuse_max WHEN tcp_inuse_max IS NULL THEN excluded.tcp_inuse_max ELSE max(tcp_inuse_max, excluded.tcp_inuse_max) END,
		tcp_orphan_min = CASE WHEN excluded.tcp_orphan_min IS NULL THEN tcp_orphan_min WHEN tcp_orphan_min IS NULL THEN excluded.tcp_orphan_min ELSE min(tcp_orphan_min, excluded.tcp_orphan_min) END,
		tcp_orphan_max = CASE WHEN excluded.tcp_orphan_max IS NULL THEN tcp_orphan_max WHEN tcp_orphan_max IS NULL THEN excluded.tcp_orphan_max ELSE max(tcp_orphan_max, excluded.tcp_orphan_max) END,
		tcp_tw_min = CASE WHEN excluded.tcp_tw_min IS NULL THEN tcp_tw_min WHEN tcp_tw_min IS NULL THEN excluded.tcp_tw_min ELSE min(tcp_tw_min, excluded.tcp_tw_min) END,
		tcp_tw_max = CASE WHEN excluded.tcp_tw_max IS NULL THEN tcp_tw_max WHEN tcp_tw_max IS NULL THEN excluded.tcp_tw_max ELSE max(tcp_tw_max, excluded.tcp_tw_max) END,
		tcp_alloc_min = CASE WHEN excluded.tcp_alloc_min IS NULL THEN tcp_alloc_min WHEN tcp_alloc_min IS NULL THEN excluded.tcp_alloc_min ELSE min(tcp_alloc_min, excluded.tcp_alloc_min) END,
		tcp_alloc_max = CASE WHEN excluded.tcp_alloc_max IS NULL THEN tcp_alloc_max WHEN tcp_alloc_max IS NULL THEN excluded.tcp_alloc_max ELSE max(tcp_alloc_max, excluded.tcp_alloc_max) END,
		tcp_mem_min = CASE WHEN excluded.tcp_mem_min IS NULL THEN tcp_mem_min WHEN tcp_mem_min IS NULL THEN excluded.tcp_mem_min ELSE min(tcp_mem_min, excluded.tcp_mem_min) END,
		tcp_mem_max = CASE WHEN excluded.tcp_mem_max IS NULL THEN tcp_mem_max WHEN tcp_mem_max IS NULL THEN excluded.tcp_mem_max ELSE max(tcp_mem_max, excluded.tcp_mem_max) END,
		tcp6_inuse_min = CASE WHEN excluded.tcp6_inuse_min IS NULL THEN tcp6_inuse_min WHEN tcp6_inuse_min IS NULL THEN excluded.tcp6_inuse_min ELSE min(tcp6_inuse_min, excluded.tcp6_inuse_min) END,
		tcp6_inuse_max = CASE WHEN excluded.tcp6_inuse_max IS NULL THEN tcp6_inuse_max WHEN tcp6_inuse_max IS NULL THEN excluded.tcp6_inuse_max ELSE max(tcp6_inuse_max, excluded.tcp6_inuse_max) END;
END;

-- The public views of the new data.
CREATE VIEW listen_queues (ts, host, grp, listeners, queued, backlog, max_fill, full) AS
SELECT c.ts, h.name, g.name, c.listeners, c.queued, c.backlog, c.max_fill, c.full
FROM counts AS c
JOIN host AS h ON h.id = c.host
JOIN grp AS g ON g.id = c.grp
WHERE c.listeners IS NOT NULL;

-- Counters (cumulative) and gauges, raw, as the kernel printed them.
CREATE VIEW kernel_counters (ts, host, name, value) AS
SELECT ts, host, name, value FROM (
	SELECT s.ts AS ts, h.name AS host, k.name AS name,
	CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END AS value
	FROM sample_kernel AS s
	JOIN host AS h ON h.id = s.host
	CROSS JOIN kstat AS k)
WHERE value IS NOT NULL;

-- A counter's change since the host's sample before, per second: none
-- across a gap of more than 3 intervals, nor when it went down.
CREATE VIEW kernel_rates (ts, host, name, per_sec) AS
SELECT ts, host, name, CAST(value - prev AS REAL) / (ts - prev_ts) FROM (
	SELECT s.ts AS ts, h.name AS host, k.name AS name, s.interval AS iv,
	CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END AS value,
	lag(CASE k.id WHEN 1 THEN s.ListenOverflows WHEN 2 THEN s.ListenDrops WHEN 3 THEN s.TCPTimeWaitOverflow WHEN 4 THEN s.TCPAbortOnMemory WHEN 5 THEN s.TCPAbortOnTimeout WHEN 6 THEN s.TCPAbortOnData WHEN 7 THEN s.TCPAbortOnClose WHEN 8 THEN s.TCPReqQFullDrop WHEN 9 THEN s.SyncookiesSent WHEN 10 THEN s.TCPBacklogDrop WHEN 11 THEN s.ActiveOpens WHEN 12 THEN s.PassiveOpens WHEN 13 THEN s.AttemptFails WHEN 14 THEN s.EstabResets WHEN 15 THEN s.RetransSegs WHEN 16 THEN s.InErrs WHEN 17 THEN s.OutRsts WHEN 18 THEN s.tcp_inuse WHEN 19 THEN s.tcp_orphan WHEN 20 THEN s.tcp_tw WHEN 21 THEN s.tcp_alloc WHEN 22 THEN s.tcp_mem WHEN 23 THEN s.tcp6_inuse END) OVER w AS prev,
	lag(s.ts) OVER w AS prev_ts
	FROM sample_kernel AS s
	JOIN host AS h ON h.id = s.host
	CROSS JOIN kstat AS k
	WHERE k.kind = 'counter'
	WINDOW w AS (PARTITION BY s.host, k.id ORDER BY s.ts))
WHERE value IS NOT NULL AND prev IS NOT NULL AND value >= prev AND ts - prev_ts <= 3 * iv;

-- The limits, from the sample they were seen at on.
CREATE VIEW kernel_limits (ts, host, name, value) AS
SELECT l.ts, h.name, l.name, l.value
FROM klimit AS l
JOIN host AS h ON h.id = l.host;
