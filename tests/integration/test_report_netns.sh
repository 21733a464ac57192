#!/usr/bin/env bash
# The report over a database of schema 5 that holds three network namespaces
# of one host: 'host' (the collector's own, sampled --once in an empty
# namespace) and ttns-a and ttns-b (their rows written here with sqlite3, as
# the collector writes them). Every command shows each namespace's own
# counts, labelled it-ns/ttns-a; --netns picks them; check judges each and
# names it; export adds netns to CSV only when a row needs it; files whose
# host rows disagree or whose labels are not printable are refused, and the
# rest of the fleet is still reported.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"

tt_netns
db="$TT_TMP/it-ns.db"
TT_DB=$db
cfg="$TT_TMP/ns.yaml"
cat >"$cfg" <<YAML
database: $db
interval: 60s
host: it-ns
thresholds:
  - name: close-wait-high
    state: CLOSE_WAIT
    above: 500
    severity: critical
  - name: time-wait-flood
    state: TIME_WAIT
    above: 10
    for: 5m
YAML

echo "--- one sample of the host's own namespace, then ttns-a and ttns-b beside it"
in_ns "$COLLECTOR" -c "$cfg" --once -q || fail "tcptally-collector --once exited $?"
assert_eq "$(q "SELECT id, name, netns FROM host")" "1|it-ns|host" "the collector's host row"
T=$(q "SELECT max(ts) FROM sample WHERE host = 1")
[ -n "$T" ] || fail "no sample"
all=$(q "SELECT id FROM grp WHERE name = 'all'")
# Ten samples a minute apart up to T for each namespace; the host's own is
# empty (a fresh namespace): zeros. ttns-a: ESTABLISHED 100, TIME_WAIT 7,
# CLOSE_WAIT 20. ttns-b: ESTABLISHED 300, TIME_WAIT 11 throughout (over 10
# for 9 minutes: time-wait-flood), CLOSE_WAIT 50, 900 in the newest three.
q "INSERT INTO host (id, name, netns) VALUES (2, 'it-ns', 'ttns-a'), (3, 'it-ns', 'ttns-b');
WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 9),
	src(h, est, tw, cw, cwnew) AS (VALUES (1, 0, 0, 0, 0), (2, 100, 7, 20, 20),
	(3, 300, 11, 50, 900))
INSERT OR IGNORE INTO sample (ts, host, flags, duration_us, sockets)
	SELECT $T - 60 * k, h, 0, 100, est FROM k, src;
WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 9),
	src(h, est, tw, cw, cwnew) AS (VALUES (1, 0, 0, 0, 0), (2, 100, 7, 20, 20),
	(3, 300, 11, 50, 900))
INSERT OR IGNORE INTO counts (ts, host, grp, established, syn_sent, syn_recv, fin_wait1,
	fin_wait2, time_wait, close, close_wait, last_ack, listen, closing)
	SELECT $T - 60 * k, h, $all, est, 0, 0, 0, 0, tw, 0, CASE WHEN k < 3 THEN cwnew ELSE cw END,
	0, 0, 0 FROM k, src;" || fail "inserting the namespaces' rows"
assert_eq "$(q "SELECT netns, count(*) FROM samples GROUP BY netns ORDER BY netns")" \
	"$(printf 'host|10\nttns-a|10\nttns-b|10')" "samples per namespace in the view"
# Breakdowns at T: ttns-a's CLOSE_WAIT held by a.service, ttns-b's by b.service.
q "INSERT INTO bkey (id, kind, key, direction) VALUES (901, 'cgroup', '/system.slice/a.service', ''),
	(902, 'cgroup', '/system.slice/b.service', '');
INSERT OR IGNORE INTO sample_breakdown (ts, host, port_range) VALUES ($T, 2, 28232), ($T, 3, 28232);
INSERT INTO breakdown_count (ts, host, grp, state, bkey, count, err) VALUES
	($T, 2, $all, 8, 901, 20, 0), ($T, 3, $all, 8, 902, 900, 0);" || fail "inserting breakdowns"

# The group all rows of now --format csv as host,netns,ESTABLISHED,TIME_WAIT,CLOSE_WAIT;
# a CSV without a netns column (no namespace but the hosts' own) is netns host.
last_csv() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["group"] == "all" { print $c["host"] "," (c["netns"] ? $c["netns"] : "host") "," \
		    $c["ESTABLISHED"] "," $c["TIME_WAIT"] "," $c["CLOSE_WAIT"] }'
}

echo "--- now: each namespace's own counts"
"$REPORT" -d "$db" now --format csv >"$TT_TMP/now.csv" || fail "now exited $?"
assert_eq "$(head -n 1 "$TT_TMP/now.csv" | cut -d, -f1-4)" "host,netns,group,time (UTC)" "now CSV header"
assert_eq "$(last_csv <"$TT_TMP/now.csv")" \
	"$(printf 'it-ns,host,0,0,0\nit-ns,ttns-a,100,7,20\nit-ns,ttns-b,300,11,900')" "now CSV rows"
"$REPORT" -d "$db" now >"$TT_TMP/now.txt" || fail "now (table) exited $?"
grep -q '^it-ns  *all ' "$TT_TMP/now.txt" || fail "now: no row of the host's own: $(cat "$TT_TMP/now.txt")"
grep -q '^it-ns/ttns-a  *all  .*  100 ' "$TT_TMP/now.txt" || fail "now: no row it-ns/ttns-a: $(cat "$TT_TMP/now.txt")"
grep -q '^it-ns/ttns-b  *all  .*  300 ' "$TT_TMP/now.txt" || fail "now: no row it-ns/ttns-b: $(cat "$TT_TMP/now.txt")"
"$REPORT" -d "$db" now --format json >"$TT_TMP/now.json" || fail "now --format json exited $?"
grep -q '"host": "it-ns", "netns": "ttns-b", "group": "all", "counts": {"ESTABLISHED": 300,' \
	"$TT_TMP/now.json" || fail "now JSON: $(cat "$TT_TMP/now.json")"
grep -q '"host": "it-ns", "netns": "host", "group": "all"' "$TT_TMP/now.json" ||
	fail "now JSON has no netns host: $(cat "$TT_TMP/now.json")"

echo "--- --netns picks namespaces"
assert_eq "$("$REPORT" -d "$db" --netns 'ttns-*' now --format csv | last_csv)" \
	"$(printf 'it-ns,ttns-a,100,7,20\nit-ns,ttns-b,300,11,900')" "now --netns 'ttns-*'"
"$REPORT" -d "$db" --netns ttns-a now --format json >"$TT_TMP/a.json" || fail "now --netns ttns-a exited $?"
assert_eq "$(grep -c '"netns"' "$TT_TMP/a.json")" 1 "now --netns ttns-a: one source"
grep -q '"netns": "ttns-a", "group": "all", "counts": {"ESTABLISHED": 100,' "$TT_TMP/a.json" ||
	fail "now --netns ttns-a: $(cat "$TT_TMP/a.json")"
# one namespace alone: no host column in a table, as with one host
"$REPORT" -d "$db" --netns host now >"$TT_TMP/own.txt" || fail "now --netns host exited $?"
head -n 1 "$TT_TMP/own.txt" | grep -q '^group ' || fail "now --netns host: $(head -n 2 "$TT_TMP/own.txt")"
rc=0
"$REPORT" -d "$db" --netns 'nope*' now >"$TT_TMP/nope.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "an unknown --netns: usage error"
grep -q "^tcptally-report: --netns 'nope\*' matches no network namespace; the database has: host, ttns-a, ttns-b$" \
	"$TT_TMP/nope.out" || fail "unknown --netns: $(cat "$TT_TMP/nope.out")"
rc=0
"$REPORT" -d "$db" --host it-ns --netns nope trend >"$TT_TMP/nope2.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "an unknown --netns with --host: usage error"
grep -q "matches no network namespace of the hosts --host matches; they have: host, ttns-a, ttns-b" \
	"$TT_TMP/nope2.out" || fail "unknown --netns with --host: $(cat "$TT_TMP/nope2.out")"

echo "--- trend: each namespace's own series"
"$REPORT" -d "$db" trend --from @$((T - 600)) --to @$T --step 10m --state CLOSE_WAIT --format csv \
	>"$TT_TMP/trend.csv" || fail "trend exited $?"
assert_eq "$(head -n 1 "$TT_TMP/trend.csv")" "ts,host,netns,group,state,min,avg,max,samples" "trend CSV header"
assert_eq "$(tail -n +2 "$TT_TMP/trend.csv" | awk -F, '{ m[$3] = m[$3] > $8 ? m[$3] : $8; n[$3] += $9 }
	END { for (k in m) print k, m[k], n[k] }' | sort)" \
	"$(printf 'host 0 10\nttns-a 20 10\nttns-b 900 10')" "trend: max CLOSE_WAIT and samples per namespace"
"$REPORT" -d "$db" --netns ttns-b trend --from @$((T - 600)) --to @$T --state CLOSE_WAIT \
	>"$TT_TMP/trend.txt" || fail "trend (table) exited $?"
head -n 1 "$TT_TMP/trend.txt" | grep -q '^it-ns/ttns-b / all ' || fail "trend heading: $(head -n 1 "$TT_TMP/trend.txt")"
grep -q '^CLOSE_WAIT  *50  *.*  900 ' "$TT_TMP/trend.txt" || fail "trend ttns-b: $(cat "$TT_TMP/trend.txt")"

echo "--- check: each namespace judged on its own, and named"
run_check() {	# output file, args...
	local out=$1 rc=0
	shift
	"$REPORT" -c "$cfg" "$@" check --at @$T >"$out" 2>"$out.err" || rc=$?
	echo "$rc"
}
rc=$(run_check "$TT_TMP/check.out")
assert_eq "$rc" 2 "check exit code (ttns-b CLOSE_WAIT 900: critical)"
assert_eq "$(head -n 1 "$TT_TMP/check.out" | cut -d'|' -f1)" \
	"TCPTALLY CRITICAL: 1 critical, 1 warning, 0 unknown; 2 thresholds on 1 host (3 network namespaces) " \
	"check status line"
assert_eq "$(tail -n +2 "$TT_TMP/check.out")" \
	"$(printf '%s\n' "CRITICAL close-wait-high: host it-ns, netns ttns-b, group all, CLOSE_WAIT 900 > 500; top cgroup /system.slice/b.service (900)" \
	"WARNING time-wait-flood: host it-ns, netns ttns-b, group all, TIME_WAIT 11 > 10 for 5m")" "check findings"
for p in "'it-ns/all_CLOSE_WAIT'=0;;500" "'it-ns/ttns-a/all_CLOSE_WAIT'=20;;500" \
    "'it-ns/ttns-b/all_CLOSE_WAIT'=900;;500" "'it-ns/ttns-b/all_TIME_WAIT'=11;10;"; do
	head -n 1 "$TT_TMP/check.out" | grep -qF " $p" || fail "check perfdata lacks $p: $(head -n 1 "$TT_TMP/check.out")"
done
rc=$(run_check "$TT_TMP/check-a.out" --netns ttns-a)
assert_eq "$rc" 0 "check --netns ttns-a exit code"
assert_eq "$(cat "$TT_TMP/check-a.out")" \
	"TCPTALLY OK: 0 critical, 0 warning, 0 unknown; 2 thresholds on 1 host | 'ttns-a/all_CLOSE_WAIT'=20;;500 'ttns-a/all_TIME_WAIT'=7;10;" \
	"check --netns ttns-a"
rc=$(run_check "$TT_TMP/check-own.out" --netns host)
assert_eq "$rc" 0 "check --netns host exit code"
assert_eq "$(cat "$TT_TMP/check-own.out")" \
	"TCPTALLY OK: 0 critical, 0 warning, 0 unknown; 2 thresholds on 1 host | 'all_CLOSE_WAIT'=0;;500 'all_TIME_WAIT'=0;10;" \
	"check --netns host: the host's own, unprefixed as ever"
rc=$(run_check "$TT_TMP/check-b.out" --netns 'ttns-[b]')
assert_eq "$rc" 2 "check --netns 'ttns-[b]' exit code"
grep -qF "'ttns-b/all_CLOSE_WAIT'=900;;500" "$TT_TMP/check-b.out" || fail "check --netns ttns-b perfdata: $(cat "$TT_TMP/check-b.out")"
rc=$(run_check "$TT_TMP/check-nope.out" --netns nope)
assert_eq "$rc" 3 "check with an unknown --netns: UNKNOWN"
grep -q "^TCPTALLY UNKNOWN: --netns 'nope' matches no network namespace" "$TT_TMP/check-nope.out" ||
	fail "check --netns nope: $(cat "$TT_TMP/check-nope.out")"

echo "--- backtest and who: per namespace"
"$REPORT" -c "$cfg" backtest --from @$((T - 600)) --to @$T --format csv >"$TT_TMP/bt.csv" ||
	fail "backtest exited $?"
assert_eq "$(tail -n +2 "$TT_TMP/bt.csv" | cut -d, -f1,3,4,6 | sort)" \
	"$(printf 'close-wait-high,it-ns,ttns-b,CLOSE_WAIT\ntime-wait-flood,it-ns,ttns-b,TIME_WAIT')" "backtest firings"
"$REPORT" -d "$db" who --at @$T --format csv >"$TT_TMP/who.csv" || fail "who exited $?"
assert_eq "$(head -n 1 "$TT_TMP/who.csv" | cut -d, -f1-4)" "host,netns,cgroup,now" "who CSV header"
assert_eq "$(tail -n +2 "$TT_TMP/who.csv" | cut -d, -f1-4)" \
	"$(printf 'it-ns,ttns-b,/system.slice/b.service,900\nit-ns,ttns-a,/system.slice/a.service,20')" "who rows"
assert_eq "$("$REPORT" -d "$db" --netns ttns-a who --at @$T --format csv | tail -n +2 | cut -d, -f1-2)" \
	"/system.slice/a.service,20" "who --netns ttns-a (one source: no host column)"

echo "--- export: netns in CSV only when a row needs it; JSON and OpenMetrics name it"
"$REPORT" -d "$db" export --format csv >"$TT_TMP/all.csv" || fail "export exited $?"
assert_eq "$(head -n 1 "$TT_TMP/all.csv")" "ts,host,group,state,count,netns" "export CSV header with namespaces"
assert_eq "$(tail -n +2 "$TT_TMP/all.csv" | awk -F, '$4 !~ /\./ { n[NF]++ } END { for (k in n) print k, n[k] }')" \
	"6 330" "export CSV: 30 samples x 11 states, six fields each"
assert_eq "$(awk -F, 'NR > 1 && NF != 6' "$TT_TMP/all.csv" | wc -l)" 0 "export CSV: every row has six fields"
grep -qx "$T,it-ns,all,CLOSE_WAIT,900,ttns-b" "$TT_TMP/all.csv" || fail "export CSV: no ttns-b CLOSE_WAIT 900 at $T"
grep -qx "$T,it-ns,all,CLOSE_WAIT,20,ttns-a" "$TT_TMP/all.csv" || fail "export CSV: no ttns-a CLOSE_WAIT 20 at $T"
grep -qx "$T,it-ns,all,CLOSE_WAIT,0,host" "$TT_TMP/all.csv" || fail "export CSV: no host CLOSE_WAIT 0 at $T"
# (ts, host, group) order, the host's own namespace first at each ts
assert_eq "$(awk -F, -v t=$T '$1 == t && $4 == "ESTABLISHED" { print $6 }' "$TT_TMP/all.csv" | tr '\n' ' ')" \
	"host ttns-a ttns-b " "export CSV order within a sample"
"$REPORT" -d "$db" --netns host export --format csv >"$TT_TMP/own.csv" || fail "export --netns host exited $?"
assert_eq "$(head -n 1 "$TT_TMP/own.csv")" "ts,host,group,state,count" "export CSV header of the host's own"
assert_eq "$(tail -n +2 "$TT_TMP/own.csv" | awk -F, 'NF != 5' | wc -l)" 0 "export --netns host: five fields a row"
assert_eq "$(awk -F, '$4 !~ /\./' "$TT_TMP/own.csv" | tail -n +2 | wc -l)" 110 \
	"export --netns host: 10 samples x 11 states"
# a window in which no namespace but the host's own has rows: the old header too
assert_eq "$("$REPORT" -d "$db" export --from @$((T + 1)) --to @$((T + 60)) --format csv)" \
	"ts,host,group,state,count" "export CSV header of an empty window"
"$REPORT" -d "$db" --netns ttns-a export --format json >"$TT_TMP/a-export.json" || fail "export json exited $?"
assert_eq "$(grep -c '"host": "it-ns", "netns": "ttns-a", "group": "all"' "$TT_TMP/a-export.json")" 10 \
	"export JSON rows of ttns-a"
"$REPORT" -d "$db" export --format openmetrics >"$TT_TMP/om.txt" || fail "export openmetrics exited $?"
grep -qx "tcptally_sockets{host=\"it-ns\",netns=\"ttns-b\",group=\"all\",state=\"CLOSE_WAIT\"} 900 $T" "$TT_TMP/om.txt" ||
	fail "openmetrics: no ttns-b series: $(grep CLOSE_WAIT "$TT_TMP/om.txt" | head -3)"
grep -qx "tcptally_sockets{host=\"it-ns\",group=\"all\",state=\"CLOSE_WAIT\"} 0 $T" "$TT_TMP/om.txt" ||
	fail "openmetrics: the host's own series has no netns label"
assert_eq "$(grep -c 'netns="host"' "$TT_TMP/om.txt")" 0 "openmetrics: no netns=\"host\" label"
"$REPORT" -d "$db" --netns ttns-a export --format openmetrics >"$TT_TMP/om-a.txt" || fail "export --netns ttns-a"
assert_eq "$(grep -v '^#' "$TT_TMP/om-a.txt" | grep -vc '{host="it-ns",netns="ttns-a",')" 0 \
	"openmetrics --netns ttns-a: every series of ttns-a"
assert_eq "$(grep -c '^tcptally_sockets{' "$TT_TMP/om-a.txt")" 110 "openmetrics --netns ttns-a: 10 samples x 11 states"
if [ -n "${PROMTOOL:-}" ] || command -v promtool >/dev/null; then
	"${PROMTOOL:-promtool}" tsdb create-blocks-from openmetrics "$TT_TMP/om.txt" "$TT_TMP/tsdb" \
		>"$TT_TMP/promtool.log" 2>&1 || fail "promtool rejected the export: $(tail -5 "$TT_TMP/promtool.log")"
fi

echo "--- the CSV with netns goes back in: export, import, export is byte-identical"
printf 'database: %s\ninterval: 60s\n' "$TT_TMP/back.db" >"$TT_TMP/back.yaml"
"$COLLECTOR" -c "$TT_TMP/back.yaml" --import "$TT_TMP/all.csv" 2>"$TT_TMP/imp.log" ||
	fail "import of the export with netns: $(cat "$TT_TMP/imp.log")"
assert_eq "$(sqlite3 "$TT_TMP/back.db" "SELECT name, netns FROM host ORDER BY netns")" \
	"$(printf 'it-ns|host\nit-ns|ttns-a\nit-ns|ttns-b')" "the namespaces imported"
"$REPORT" -d "$TT_TMP/back.db" export --format csv >"$TT_TMP/back.csv" || fail "export of the import exited $?"
cmp -s "$TT_TMP/all.csv" "$TT_TMP/back.csv" ||
	fail "export, import, export differs: $(diff "$TT_TMP/all.csv" "$TT_TMP/back.csv" | head -5)"

echo "--- a database of schema 4 holds only 'host'"
cp "$here/fixtures/schema4.db" "$TT_TMP/old-release.db"
"$REPORT" -d "$db" -d "$TT_TMP/old-release.db" --netns host now --format csv >"$TT_TMP/old.csv" ||
	fail "now --netns host over schemas 5 and 4 exited $?"
assert_eq "$(head -n 1 "$TT_TMP/old.csv" | cut -d, -f1-2)" "host,group" "no netns column when every row is the host's own"
assert_eq "$(last_csv <"$TT_TMP/old.csv")" \
	"$(printf 'it-ns,host,0,0,0\nold-release,host,10,0,3')" "--netns host over schemas 5 and 4"
assert_eq "$("$REPORT" -d "$db" -d "$TT_TMP/old-release.db" --netns 'ttns-?' now --format csv | last_csv)" \
	"$(printf 'it-ns,ttns-a,100,7,20\nit-ns,ttns-b,300,11,900')" "--netns ttns-? over schemas 5 and 4"
rc=0
"$REPORT" -d "$TT_TMP/old-release.db" --netns ttns-a now >"$TT_TMP/old.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "--netns ttns-a on schema 4: usage error"
grep -q "matches no network namespace; the database has: host$" "$TT_TMP/old.out" || fail "schema 4 --netns: $(cat "$TT_TMP/old.out")"

echo "--- hostile files are refused with their name and reason; the fleet is still reported"
printf 'ts,host,group,state,count\n' >"$TT_TMP/h2.csv"
for st in ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING; do
	printf '%s,h2,all,%s,%d\n' "$T" "$st" "$([ $st = ESTABLISHED ] && echo 42 || echo 0)" >>"$TT_TMP/h2.csv"
done
printf 'database: %s\ninterval: 60s\n' "$TT_TMP/h2.db" >"$TT_TMP/h2.yaml"
"$COLLECTOR" -c "$TT_TMP/h2.yaml" --import "$TT_TMP/h2.csv" 2>"$TT_TMP/imp.log" || fail "import h2: $(cat "$TT_TMP/imp.log")"
cp "$db" "$TT_TMP/two.db"
sqlite3 "$TT_TMP/two.db" "INSERT INTO host (id, name, netns) VALUES (9, 'other', 'ttns-c')"
cp "$db" "$TT_TMP/ctl.db"
sqlite3 "$TT_TMP/ctl.db" "UPDATE host SET netns = 'ev' || char(27) || '[2Jil' WHERE id = 2"
cp "$db" "$TT_TMP/long.db"
sqlite3 "$TT_TMP/long.db" "UPDATE host SET netns = printf('%.300c', 'x') WHERE id = 3"
cp "$db" "$TT_TMP/many.db"
sqlite3 "$TT_TMP/many.db" "WITH RECURSIVE n(n) AS (SELECT 10 UNION ALL SELECT n + 1 FROM n WHERE n < 4105)
	INSERT INTO host (id, name, netns) SELECT n, 'it-ns', 'ns' || n FROM n"
rc=0
"$REPORT" -d "$TT_TMP/two.db" -d "$TT_TMP/h2.db" -d "$TT_TMP/ctl.db" -d "$TT_TMP/long.db" \
	-d "$TT_TMP/many.db" -d "$db" now --format csv >"$TT_TMP/fleet.csv" 2>"$TT_TMP/fleet.err" || rc=$?
assert_eq "$rc" 1 "now over a fleet with refused files: exit 1"
assert_eq "$(last_csv <"$TT_TMP/fleet.csv")" \
	"$(printf 'h2,host,42,0,0\nit-ns,host,0,0,0\nit-ns,ttns-a,100,7,20\nit-ns,ttns-b,300,11,900')" \
	"the good files are still reported"
grep -qxF "tcptally-report: $TT_TMP/two.db: holds two hosts, 'it-ns' and 'other'; one file holds one host (split it: see tcptally-report(1), FLEETS)" \
	"$TT_TMP/fleet.err" || fail "two hosts in a file: $(cat "$TT_TMP/fleet.err")"
grep -qxF "tcptally-report: $TT_TMP/ctl.db: host it-ns: a network namespace label (host row 2) that is not 1 to 255 bytes of printable UTF-8" \
	"$TT_TMP/fleet.err" || fail "a label with a control character: $(cat "$TT_TMP/fleet.err")"
grep -qxF "tcptally-report: $TT_TMP/long.db: host it-ns: a network namespace label (host row 3) that is not 1 to 255 bytes of printable UTF-8" \
	"$TT_TMP/fleet.err" || fail "a label of 300 bytes: $(cat "$TT_TMP/fleet.err")"
grep -qxF "tcptally-report: $TT_TMP/many.db: holds more than 4096 network namespaces of host it-ns" \
	"$TT_TMP/fleet.err" || fail "4099 namespaces: $(cat "$TT_TMP/fleet.err")"
assert_eq "$(wc -l <"$TT_TMP/fleet.err")" 4 "each refused file named once"
grep -q $'\x1b' "$TT_TMP/fleet.err" "$TT_TMP/fleet.csv" && fail "a control character reached the output"

rc=$(run_check "$TT_TMP/fleet-check.out" -d "$db" -d "$TT_TMP/ctl.db")
assert_eq "$rc" 2 "check with a refused file: the critical still counts"
grep -qxF "UNKNOWN file $TT_TMP/ctl.db: host it-ns: a network namespace label (host row 2) that is not 1 to 255 bytes of printable UTF-8" \
	"$TT_TMP/fleet-check.out" || fail "check names the refused file: $(cat "$TT_TMP/fleet-check.out")"
grep -q "^CRITICAL close-wait-high: host it-ns, netns ttns-b, group all, CLOSE_WAIT 900 > 500" \
	"$TT_TMP/fleet-check.out" || fail "check over the fleet: $(cat "$TT_TMP/fleet-check.out")"

# host 'it-ns/ttns-a' (its own namespace) reads as host it-ns's ttns-a: of the
# two, the file named for its host is kept
printf 'database: %s\ninterval: 60s\nhost: it-ns/ttns-a\n' "$TT_TMP/forged.db" >"$TT_TMP/forged.yaml"
sed "s/,h2,/,it-ns\/ttns-a,/" "$TT_TMP/h2.csv" >"$TT_TMP/forged.csv"
"$COLLECTOR" -c "$TT_TMP/forged.yaml" --import "$TT_TMP/forged.csv" 2>"$TT_TMP/imp.log" ||
	fail "import forged: $(cat "$TT_TMP/imp.log")"
rc=0
"$REPORT" -d "$db" -d "$TT_TMP/forged.db" now --format csv >"$TT_TMP/forged.out" 2>"$TT_TMP/forged.err" || rc=$?
assert_eq "$rc" 1 "a forged label: exit 1"
grep -qxF "tcptally-report: $TT_TMP/forged.db: host 'it-ns/ttns-a', netns 'host' reads as 'it-ns/ttns-a', as host 'it-ns', netns 'ttns-a' of $db does; one of the names is forged (that one is named for its host)" \
	"$TT_TMP/forged.err" || fail "a forged label: $(cat "$TT_TMP/forged.err")"
assert_eq "$(last_csv <"$TT_TMP/forged.out" | grep -c ',ttns-a,100,')" 1 "it-ns's ttns-a still reported, once"
echo "PASS"
