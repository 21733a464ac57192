-- tcptally schema 2: hourly rollups, kept as samples and imports arrive.
-- Never edit a shipped migration; add NNNN_next.sql instead.

-- One row per hour x host x group: per state the min, max and sum over the
-- hour's samples (avg = sum / samples). Exact: the collector adds each new
-- counts row to its hour in the same transaction; an import adds the rows it
-- wrote; retention of raw samples leaves this table alone.
CREATE TABLE hourly (
	ts	INTEGER NOT NULL,	-- start of the hour, unix seconds, UTC
	host	INTEGER NOT NULL,
	grp	INTEGER NOT NULL,
	samples	INTEGER NOT NULL,
	established_min	INTEGER NOT NULL,
	established_max	INTEGER NOT NULL,
	established_sum	INTEGER NOT NULL,
	syn_sent_min	INTEGER NOT NULL,
	syn_sent_max	INTEGER NOT NULL,
	syn_sent_sum	INTEGER NOT NULL,
	syn_recv_min	INTEGER NOT NULL,
	syn_recv_max	INTEGER NOT NULL,
	syn_recv_sum	INTEGER NOT NULL,
	fin_wait1_min	INTEGER NOT NULL,
	fin_wait1_max	INTEGER NOT NULL,
	fin_wait1_sum	INTEGER NOT NULL,
	fin_wait2_min	INTEGER NOT NULL,
	fin_wait2_max	INTEGER NOT NULL,
	fin_wait2_sum	INTEGER NOT NULL,
	time_wait_min	INTEGER NOT NULL,
	time_wait_max	INTEGER NOT NULL,
	time_wait_sum	INTEGER NOT NULL,
	close_min	INTEGER NOT NULL,
	close_max	INTEGER NOT NULL,
	close_sum	INTEGER NOT NULL,
	close_wait_min	INTEGER NOT NULL,
	close_wait_max	INTEGER NOT NULL,
	close_wait_sum	INTEGER NOT NULL,
	last_ack_min	INTEGER NOT NULL,
	last_ack_max	INTEGER NOT NULL,
	last_ack_sum	INTEGER NOT NULL,
	listen_min	INTEGER NOT NULL,
	listen_max	INTEGER NOT NULL,
	listen_sum	INTEGER NOT NULL,
	closing_min	INTEGER NOT NULL,
	closing_max	INTEGER NOT NULL,
	closing_sum	INTEGER NOT NULL,
	PRIMARY KEY (ts, host, grp)
) STRICT, WITHOUT ROWID;

-- Databases made by schema 1 get their rollups from the raw samples they hold.
INSERT INTO hourly (ts, host, grp, samples, established_min, established_max, established_sum, syn_sent_min, syn_sent_max, syn_sent_sum, syn_recv_min, syn_recv_max, syn_recv_sum, fin_wait1_min, fin_wait1_max, fin_wait1_sum, fin_wait2_min, fin_wait2_max, fin_wait2_sum, time_wait_min, time_wait_max, time_wait_sum, close_min, close_max, close_sum, close_wait_min, close_wait_max, close_wait_sum, last_ack_min, last_ack_max, last_ack_sum, listen_min, listen_max, listen_sum, closing_min, closing_max, closing_sum)
SELECT ts - ts % 3600, host, grp, count(*),
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
	min(closing), max(closing), sum(closing)
FROM counts GROUP BY ts - ts % 3600, host, grp;

-- Every counts row the collector or an import inserts is added to its hour.
-- (INSERT OR IGNORE of a row already stored fires nothing.)
CREATE TRIGGER counts_to_hourly AFTER INSERT ON counts
BEGIN
	INSERT INTO hourly (ts, host, grp, samples, established_min, established_max, established_sum, syn_sent_min, syn_sent_max, syn_sent_sum, syn_recv_min, syn_recv_max, syn_recv_sum, fin_wait1_min, fin_wait1_max, fin_wait1_sum, fin_wait2_min, fin_wait2_max, fin_wait2_sum, time_wait_min, time_wait_max, time_wait_sum, close_min, close_max, close_sum, close_wait_min, close_wait_max, close_wait_sum, last_ack_min, last_ack_max, last_ack_sum, listen_min, listen_max, listen_sum, closing_min, closing_max, closing_sum)
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
		new.closing, new.closing, new.closing)
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
		closing_min = min(closing_min, excluded.closing_min), closing_max = max(closing_max, excluded.closing_max), closing_sum = closing_sum + excluded.closing_sum;
END;

-- An import that meets a key again adds states to the row it wrote: the
-- hour is summed again from the raw rows.
CREATE TRIGGER counts_to_hourly_update AFTER UPDATE ON counts
BEGIN
	INSERT OR REPLACE INTO hourly (ts, host, grp, samples, established_min, established_max, established_sum, syn_sent_min, syn_sent_max, syn_sent_sum, syn_recv_min, syn_recv_max, syn_recv_sum, fin_wait1_min, fin_wait1_max, fin_wait1_sum, fin_wait2_min, fin_wait2_max, fin_wait2_sum, time_wait_min, time_wait_max, time_wait_sum, close_min, close_max, close_sum, close_wait_min, close_wait_max, close_wait_sum, last_ack_min, last_ack_max, last_ack_sum, listen_min, listen_max, listen_sum, closing_min, closing_max, closing_sum)
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
		min(closing), max(closing), sum(closing)
	FROM counts
	WHERE ts >= new.ts - new.ts % 3600 AND ts < new.ts - new.ts % 3600 + 3600
	AND host = new.host AND grp = new.grp;
END;

-- The public view of the rollups: one row per hour x host x group x state.
CREATE VIEW state_counts_hourly (ts, host, grp, state, min, avg, max, samples) AS
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
	r.samples
FROM hourly AS r
JOIN host AS h ON h.id = r.host
JOIN grp AS g ON g.id = r.grp
CROSS JOIN state AS s;
