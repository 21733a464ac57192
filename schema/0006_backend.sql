-- tcptally schema 6: which backend took each sample.
-- Never edit a shipped migration; add NNNN_next.sql instead.
--
-- A sample is counted by sock_diag, or by the BPF iterator, which sets
-- sample.flags 16 (beside 1 retried, 2 suspect, 4 missed, 8 imported). No
-- table changes: the view `samples` gains `backend`, as its last column
-- (after netns), so that a query that reads the columns by position reads
-- what it did. It is NULL for a missed slot (nothing took it), 'import' for
-- a row --import wrote, 'bpf' for one the BPF iterator counted, else
-- 'sock_diag': every sample stored before reads 'sock_diag'.

DROP VIEW samples;

CREATE VIEW samples (ts, host, missed, retried, suspect, duration_ms, sockets, netns,
	backend) AS
SELECT sm.ts, h.name, (sm.flags & 4) != 0, (sm.flags & 1) != 0, (sm.flags & 2) != 0,
	sm.duration_us / 1000.0, sm.sockets, h.netns,
	CASE WHEN sm.flags & 4 THEN NULL WHEN sm.flags & 8 THEN 'import'
	WHEN sm.flags & 16 THEN 'bpf' ELSE 'sock_diag' END
FROM sample AS sm
JOIN host AS h ON h.id = sm.host;
