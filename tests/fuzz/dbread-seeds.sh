#!/usr/bin/env bash
# The seeds of fuzz_dbread: a small real database (3 h at 60 s of 2 groups,
# with accept queues and the kernel's context, the last half hour with
# breakdowns, 512-byte pages, rollback mode), the same with three network
# namespaces, and the hostile variants that tests/integration/test_hostile.sh
# tries, into tests/fuzz/corpus/dbread/.
#   tests/fuzz/dbread-seeds.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: dbread-seeds.sh BUILD_DIR}" && pwd)
out=$here/corpus/dbread
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
end=1795132800	# 2026-11-20T00:00:00Z, as fuzz_dbread.c's NOW expects
# after each key's last state, its accept queues; after group all's, the
# kernel's context (counters that grow, a reset, gauges) and, at the first, limits
"$build/bench/tcptally-histgen" --days 1 --interval 60 --groups 2 --host fuzz --end $end |
	awk -F, -v e=$end 'NR == 1 { print; next } $1 <= e - 3 * 3600 { next } { print }
	$4 == "CLOSING" {
		k = $1 "," $2 "," $3 ","; n++
		print k "listen.listeners,2"; print k "listen.queued," n % 6
		print k "listen.backlog,8"; print k "listen.max_fill," (n % 6) / 9
		print k "listen.full," (n % 6 == 5)
		if ($3 != "all") next
		m++; print k "sample.interval,60"
		print k "kernel.ListenOverflows," (m < 100 ? m * 3 : m - 100)
		print k "kernel.ListenDrops," m * 3; print k "kernel.RetransSegs," m * m
		print k "kernel.tcp_tw," 100 + m % 7; print k "kernel.tcp_orphan," m % 3
		if (m == 1) { print k "limit.somaxconn,4096"; print k "limit.tcp_max_tw_buckets,262144"
			print k "limit.tcp_max_orphans,65536" }
		if (m == 90) print k "limit.somaxconn,128"
	}' >"$tmp/a.csv"
printf 'database: %s\ninterval: 60s\n' "$tmp/live.db" >"$tmp/c.yaml"
"$build/tcptally-collector" -c "$tmp/c.yaml" --import "$tmp/a.csv" 2>/dev/null
# the last half hour with breakdowns, as the collector stores them: CLOSE_WAIT
# held by one cgroup, TIME_WAIT owned by none and toward one peer, and the
# age of the oldest CLOSE_WAIT
sqlite3 "$tmp/live.db" "
INSERT INTO bkey (id, kind, key, direction) VALUES (1, 'cgroup', '/system.slice/app.service', ''),
	(2, 'cgroup', '(kernel)', ''), (3, 'peer', '10.0.0.9:5432', 'out'),
	(4, 'peer', '10.0.0.7:80', 'in'), (5, 'cgroup', '(other)', '');
INSERT INTO sample_breakdown SELECT ts, host, 1000 FROM sample WHERE ts > $end - 1800;
INSERT INTO breakdown_count SELECT c.ts, c.host, c.grp, 8, 1, c.close_wait, 0 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO breakdown_count SELECT c.ts, c.host, c.grp, 8, 4, c.close_wait, 0 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO breakdown_count SELECT c.ts, c.host, c.grp, 6, 2, c.time_wait, 0 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO breakdown_count SELECT c.ts, c.host, c.grp, 6, 3, c.time_wait / 2, 1 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO breakdown_count SELECT c.ts, c.host, c.grp, 1, 5, c.established, 0 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO peer_load SELECT c.ts, c.host, c.grp, 3, c.time_wait, 0 FROM counts AS c
	JOIN sample_breakdown AS s ON s.ts = c.ts;
INSERT INTO close_wait_age SELECT c.ts, c.host, c.grp, c.ts - ($end - 1800), 0, c.ts < $end - 1500
	FROM counts AS c JOIN sample_breakdown AS s ON s.ts = c.ts WHERE c.close_wait > 0;
INSERT INTO owner SELECT c.ts, c.host, c.grp, 4242, 'app', '/system.slice/app.service', c.close_wait
	FROM counts AS c JOIN sample_breakdown AS s ON s.ts = c.ts WHERE c.close_wait > 10;"
sqlite3 "$tmp/live.db" "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM"
mkdir -p "$out"
cp "$tmp/live.db" "$out/valid.db"
variant() {	# name sql
	cp "$tmp/live.db" "$out/$1.db"
	printf '%s\n' "$2" | sqlite3 -batch "$out/$1.db" >/dev/null
}
variant view-host "DROP TABLE host; CREATE VIEW host (id, name) AS SELECT 1, NULL"
variant trigger "CREATE TRIGGER evil AFTER INSERT ON sample BEGIN SELECT 1; END"
variant count-max ".dbconfig enable_trigger off
UPDATE counts SET established = 9223372036854775807 WHERE ts = (SELECT max(ts) FROM counts)"
variant hourly-zero "UPDATE hourly SET samples = 0 WHERE ts = (SELECT max(ts) FROM hourly)"
variant two-hosts "INSERT INTO host (name) VALUES ('other')"
variant host-esc "UPDATE host SET name = 'a' || char(27) || 'b'"
variant stat1 "ANALYZE"
variant kernel-negative "UPDATE sample_kernel SET ListenOverflows = -5 WHERE ts = (SELECT max(ts) FROM sample_kernel)"
variant fill-huge "UPDATE counts SET max_fill = 1e300 WHERE ts = (SELECT max(ts) FROM counts)"
variant limit-unknown "INSERT INTO klimit VALUES ($end, 1, 'evil', 5)"
variant bk-key-esc "UPDATE bkey SET key = '/a' || char(27) || '[2J' WHERE id = 1"
variant bk-negative "UPDATE breakdown_count SET count = -1 WHERE ts = (SELECT max(ts) FROM breakdown_count)"
variant bk-range "UPDATE sample_breakdown SET port_range = 0 WHERE ts = (SELECT max(ts) FROM sample_breakdown)"
variant cw-age "UPDATE close_wait_age SET age = -5 WHERE ts = (SELECT max(ts) FROM close_wait_age)"
variant owner-comm "UPDATE owner SET comm = 'a' || char(10) || 'b' WHERE ts = (SELECT max(ts) FROM owner)"
# schema 5: the host's own namespace and two more of the same host, with
# counts, context and breakdowns of their own; then hostile host rows
variant netns "INSERT INTO host (id, name, netns) VALUES (2, 'fuzz', 'ttns-a'),
	(3, 'fuzz', '/kubepods.slice/kubepods-pod1.slice/cri-containerd-1a2b3c4d5e6f.scope');
INSERT INTO sample SELECT ts, h.id, flags, duration_us, sockets FROM sample, host AS h
	WHERE sample.host = 1 AND h.id > 1;
INSERT INTO counts SELECT ts, h.id, grp, established * h.id, syn_sent, syn_recv, fin_wait1,
	fin_wait2, time_wait + h.id, close, close_wait * h.id, last_ack, listen, closing, listeners,
	queued, backlog, max_fill, full FROM counts, host AS h WHERE counts.host = 1 AND h.id > 1;
CREATE TEMP TABLE k AS SELECT * FROM sample_kernel WHERE host = 1;
UPDATE k SET host = 2, ListenOverflows = ListenOverflows * 2;
INSERT INTO sample_kernel SELECT * FROM k;
INSERT INTO sample_breakdown SELECT ts, 2, port_range FROM sample_breakdown WHERE host = 1;
INSERT INTO breakdown_count SELECT ts, 2, grp, state, bkey, count + 1, err FROM breakdown_count
	WHERE host = 1;"
variant netns-two-names "INSERT INTO host (name, netns) VALUES ('other', 'ttns-a')"
variant netns-esc "INSERT INTO host (name, netns) VALUES ('fuzz', 'a' || char(27) || '[2J')"
variant netns-empty "INSERT INTO host (name, netns) VALUES ('fuzz', '')"
ls -l "$out"
