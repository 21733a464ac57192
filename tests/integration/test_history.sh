#!/usr/bin/env bash
# Years of history: rollups equal the raw samples they summarise, exactly;
# retention keeps exactly what the config says; a 90-day backlog drains
# while the collector samples every second without missing a slot; max_size
# drops the oldest raw samples first and says so; trend answers from the
# rollups beyond raw retention and says so. (SIGKILL during retention work:
# test_durability.sh, part 5.)
# Env: COLLECTOR, POPULATE, REPORT, HISTGEN.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${REPORT:?REPORT must point at tcptally-report}"
: "${HISTGEN:?HISTGEN must point at tcptally-histgen}"
tt_netns

STATES="established syn_sent syn_recv fin_wait1 fin_wait2 time_wait close close_wait last_ack listen closing"

# Rows of hourly that differ from the raw rows of their hour (any state's
# min, max or sum, or the sample count), and hours missing on either side.
rollup_mismatches() {	# db
	local agg="" cmp="" s
	for s in $STATES; do
		agg+=", min($s) AS ${s}_min, max($s) AS ${s}_max, sum($s) AS ${s}_sum"
		cmp+=" OR r.${s}_min != x.${s}_min OR r.${s}_max != x.${s}_max OR r.${s}_sum != x.${s}_sum"
	done
	sqlite3 -batch -noheader "$1" "
	WITH x AS (SELECT ts - ts % 3600 AS hr, host, grp, count(*) AS n $agg
	           FROM counts GROUP BY 1, 2, 3)
	SELECT (SELECT count(*) FROM x LEFT JOIN hourly r ON r.ts = x.hr AND r.host = x.host
	          AND r.grp = x.grp WHERE r.ts IS NULL OR r.samples != x.n $cmp)
	     + (SELECT count(*) FROM hourly r LEFT JOIN x ON r.ts = x.hr AND r.host = x.host
	          AND r.grp = x.grp WHERE x.hr IS NULL)"
}

cfg_for() {	# file db interval raw hourly [max_size]
	cat >"$1" <<YAML
database: $2
interval: $3
host: hist
retention:
  raw: $4
  hourly: $5
max_size: ${6:-0}
groups:
  - name: web
    local_ports: [80]
YAML
}

NOW=$(date +%s)
END=$((NOW / 10 * 10 - 3600))	# the history ends an hour ago

echo "--- rollups of an import equal the raw samples, for every state"
TT_DB=$TT_TMP/r.db
cfg_for "$TT_TMP/r.yaml" "$TT_DB" 10s 0 0
"$HISTGEN" --days 4 --groups 4 --host hist --end "$END" >"$TT_TMP/h3.csv"
"$COLLECTOR" -c "$TT_TMP/r.yaml" --import "$TT_TMP/h3.csv" 2>/dev/null || fail "import"
assert_eq "$(q "SELECT count(*) FROM counts")" $((4 * 8640 * 4)) "raw rows imported"
assert_eq "$(q "SELECT count(*) FROM hourly")" "$(q "SELECT count(DISTINCT (ts - ts % 3600) || ',' || grp) FROM counts")" "one rollup per hour x group"
assert_eq "$(rollup_mismatches "$TT_DB")" 0 "rollups that differ from raw"
# The public view, against state_counts aggregated by hand.
assert_eq "$(q "SELECT count(*) FROM state_counts_hourly h JOIN (SELECT ts - ts % 3600 AS hr, host, grp, state,
	min(count) AS mn, avg(count) AS av, max(count) AS mx, count(*) AS n FROM state_counts GROUP BY 1, 2, 3, 4) x
	ON x.hr = h.ts AND x.host = h.host AND x.grp = h.grp AND x.state = h.state
	WHERE x.mn = h.min AND x.mx = h.max AND abs(x.av - h.avg) < 1e-9 AND x.n = h.samples")" \
	"$(( $(q "SELECT count(*) FROM hourly") * 11 ))" "state_counts_hourly rows equal to state_counts aggregated"
echo "    $(q "SELECT count(*) FROM hourly") rollups of $(q "SELECT count(*) FROM counts") raw rows: exact"

echo "--- importing the same file again changes no rollup"
before=$(q "SELECT sum(samples), sum(time_wait_sum), sum(close_wait_max) FROM hourly")
"$COLLECTOR" -c "$TT_TMP/r.yaml" --import "$TT_TMP/h3.csv" 2>/dev/null || fail "re-import"
assert_eq "$(q "SELECT sum(samples), sum(time_wait_sum), sum(close_wait_max) FROM hourly")" "$before" "rollups after a re-import"

echo "--- an import that meets a key again (states split over two blocks) keeps rollups exact"
{
	echo "ts,host,group,state,count"
	for t in 0 10 20; do echo "$((END + 600 + t)),hist,all,ESTABLISHED,$((5 + t))"; done
	for t in 0 10 20; do echo "$((END + 600 + t)),hist,all,TIME_WAIT,$((100 - t))"; done
} >"$TT_TMP/split.csv"
"$COLLECTOR" -c "$TT_TMP/r.yaml" --import "$TT_TMP/split.csv" 2>/dev/null || fail "split import"
assert_eq "$(rollup_mismatches "$TT_DB")" 0 "rollups after a merged import"
assert_eq "$(q "SELECT group_concat(established || '/' || time_wait, ' ') FROM (SELECT c.established, c.time_wait FROM counts c
	JOIN grp g ON g.id = c.grp WHERE g.name = 'all' AND c.ts >= $((END + 600)) AND c.ts <= $((END + 620)) ORDER BY c.ts)")" \
	"5/100 15/90 25/80" "the merged raw rows"

echo "--- rollups the collector writes equal its raw samples"
tt_populate --listen 4 --established 6 --close-wait 3 --time-wait 5
cfg_for "$TT_TMP/r.yaml" "$TT_DB" 1s 0 0
in_ns "$COLLECTOR" -c "$TT_TMP/r.yaml" -q --samples 4 || fail "collector run"
# (flags & 15) = 0: taken cleanly, by either backend (16 says the BPF one)
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts > $NOW - 60 AND (flags & 15) = 0")" 4 "live samples"
assert_eq "$(rollup_mismatches "$TT_DB")" 0 "rollups after live samples"
assert_eq "$(q "SELECT count FROM state_counts WHERE grp = 'all' AND state = 'LISTEN' ORDER BY ts DESC LIMIT 1")" \
	"$(q "SELECT max FROM state_counts_hourly WHERE grp = 'all' AND state = 'LISTEN' ORDER BY ts DESC LIMIT 1")" "LISTEN in the newest hour"

echo "--- trend from rollups equals trend from raw samples"
# 3 whole days at a 1-day step: rollups (a long window); the same days from
# raw samples by hand.
A=$((END - END % 86400 - 3 * 86400)) B=$((END - END % 86400))
"$REPORT" -d "$TT_DB" --format csv trend --from @$A --to @$((B - 1)) --step 1d --state TIME_WAIT --state CLOSE_WAIT >"$TT_TMP/trend.csv" ||
	fail "trend"
want=$(q "SELECT ts - ts % 86400, min(time_wait), printf('%.2f', avg(time_wait)), max(time_wait), count(*),
	min(close_wait), printf('%.2f', avg(close_wait)), max(close_wait)
	FROM counts WHERE grp = (SELECT id FROM grp WHERE name = 'all')
	AND ts >= $A AND ts < $B
	GROUP BY 1 ORDER BY 1" | awk -F'|' '{ printf "%s|%s|%s|%s|%s\n%s|%s|%s|%s|%s\n", $1, $2, $3, $4, $5, $1, $6, $7, $8, $5 }')
got=$(awk -F, 'NR > 1 { cmd = "date -u -d " $1 " +%s"; cmd | getline t; close(cmd);
	printf "%s|%s|%s|%s|%s\n", t, $5, $6, $7, $8 }' "$TT_TMP/trend.csv")
assert_eq "$got" "$want" "daily buckets of TIME_WAIT and CLOSE_WAIT from rollups vs raw"
echo "    $(grep -c . <<<"$got") buckets equal"

echo "--- retention keeps exactly what the config says"
TT_DB=$TT_TMP/k.db
cfg_for "$TT_TMP/k.yaml" "$TT_DB" 1s 2d 5d
"$HISTGEN" --days 8 --groups 2 --host hist --end "$END" >"$TT_TMP/h8.csv"
"$COLLECTOR" -c "$TT_TMP/k.yaml" --import "$TT_TMP/h8.csv" 2>/dev/null || fail "import 8 days"
cp "$TT_DB" "$TT_TMP/k-before.db"
size_before=$(stat -c %s "$TT_DB")
in_ns "$COLLECTOR" -c "$TT_TMP/k.yaml" -q --samples 10 || fail "collector run"
last=$(q "SELECT max(ts) FROM sample WHERE (flags & 15) = 0")
raw_cut=$((last - 2 * 86400)) hr_cut=$((last - 5 * 86400))
assert_eq "$(q "SELECT count(*) FROM counts WHERE ts < $raw_cut")" 0 "raw rows older than 2d"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts < $raw_cut")" 0 "sample rows older than 2d"
assert_eq "$(q "SELECT count(*) FROM hourly WHERE ts < $hr_cut")" 0 "rollups older than 5d"
# Everything within retention is still there, unchanged.
kept=$(sqlite3 -batch -noheader "$TT_DB" "ATTACH '$TT_TMP/k-before.db' AS b;
	SELECT (SELECT count(*) FROM b.counts WHERE ts >= $raw_cut) - (SELECT count(*) FROM b.counts o JOIN main.counts n USING (ts, host, grp)
	  WHERE o.ts >= $raw_cut AND o.time_wait = n.time_wait AND o.close_wait = n.close_wait AND o.established = n.established),
	(SELECT count(*) FROM b.hourly WHERE ts >= $hr_cut) - (SELECT count(*) FROM b.hourly o JOIN main.hourly n USING (ts, host, grp)
	  WHERE o.ts >= $hr_cut AND o.samples <= n.samples AND o.time_wait_sum <= n.time_wait_sum)")
assert_eq "$kept" "0|0" "rows within retention lost or changed (raw|hourly)"
[ "$(q "SELECT count(*) FROM counts")" -gt $(((2 * 8640 - 360) * 2 - 100)) ] || fail "too few raw rows kept"
size_after=$(stat -c %s "$TT_DB")
[ "$size_after" -lt $((size_before * 2 / 3)) ] || fail "the file did not shrink: $size_before -> $size_after bytes"
echo "    raw from $(date -u -d @$raw_cut +%FT%TZ), rollups from $(date -u -d @$hr_cut +%FT%TZ); file $size_before -> $size_after bytes"

echo "--- trend beyond raw retention answers from rollups and says so"
"$REPORT" -d "$TT_DB" trend --since 4d --step 1h --state TIME_WAIT >"$TT_TMP/t.out" 2>"$TT_TMP/t.err" || fail "trend 4d"
grep -q "from hourly rollups" "$TT_TMP/t.out" || fail "trend 4d does not say it used rollups: $(cat "$TT_TMP/t.out")"
"$REPORT" -d "$TT_DB" --format csv trend --since 4d --step 10m --state TIME_WAIT >"$TT_TMP/t.csv" 2>"$TT_TMP/t.err" || fail "trend csv"
grep -q "answering from hourly rollups, in steps of whole hours" "$TT_TMP/t.err" || fail "no note on stderr: $(cat "$TT_TMP/t.err")"
"$REPORT" -d "$TT_DB" trend --since 12h --state TIME_WAIT >"$TT_TMP/t.out" 2>&1 || fail "trend 12h"
grep -q "from hourly rollups" "$TT_TMP/t.out" && fail "trend 12h should use raw samples"

echo "--- daily beyond raw retention answers from rollups and says so"
D4=$(date -u -d "@$((last - 4 * 86400))" +%F)
D4s=$(date -u -d "$D4" +%s)
TZ=UTC "$REPORT" -d "$TT_DB" daily --date "$D4" >"$TT_TMP/d.out" 2>&1 || fail "daily $D4: $(cat "$TT_TMP/d.out")"
grep -q "from hourly rollups" "$TT_TMP/d.out" || fail "daily $D4 does not say it used rollups"
TZ=UTC "$REPORT" -d "$TT_DB" --format csv daily --date "$D4" >"$TT_TMP/d.csv" 2>/dev/null || fail "daily csv"
got=$(awk -F, '$2 == "all" && $3 == "TIME_WAIT" { print $4 "|" $5 "|" $6 "|" $7 "|" $8 }' "$TT_TMP/d.csv")
want=$(sqlite3 -batch -noheader "$TT_TMP/k-before.db" "SELECT count(*), min(time_wait), printf('%.2f', avg(time_wait)), '', max(time_wait)
	FROM counts WHERE grp = (SELECT id FROM grp WHERE name = 'all') AND ts >= $D4s AND ts < $D4s + 86400")
assert_eq "$got" "$want" "daily $D4 from rollups (samples|min|avg|p95|peak) against the raw samples it had"
TZ=UTC "$REPORT" -d "$TT_DB" daily --date "$D4" --format html >"$TT_TMP/d.html" 2>/dev/null || fail "daily html"
grep -q "hourly averages from the rollups" "$TT_TMP/d.html" || fail "daily html $D4 does not say it charts rollups"
assert_eq "$(grep -o "<svg" "$TT_TMP/d.html" | wc -l)" 2 "charts of a day from rollups (all, web)"
if command -v xmllint >/dev/null; then
	xmllint --noout "$TT_TMP/d.html" || fail "daily html from rollups is not well-formed"
fi
# The day before and the week before come from rollups too, exactly.
D1=$(date -u -d "@$last" +%F)
D1s=$(date -u -d "$D1" +%s)
got=$(TZ=UTC "$REPORT" -d "$TT_DB" --format csv daily --date "$D1" 2>/dev/null | awk -F, '$2 == "all" && $3 == "CLOSE_WAIT" { print $10 }')
want=$(sqlite3 -batch -noheader "$TT_TMP/k-before.db" "SELECT printf('%.2f', avg(close_wait)) FROM counts
	WHERE grp = (SELECT id FROM grp WHERE name = 'all') AND ts >= $D1s - 86400 AND ts < $D1s")
assert_eq "$got" "$want" "daily $D1: the day before's average"
echo "    $D4 from rollups equals its raw samples; $D1: day-before avg $got, exact"

echo "--- a 90-day backlog drains while sampling every second, no slot missed"
TT_DB=$TT_TMP/b.db
cfg_for "$TT_TMP/b.yaml" "$TT_DB" 1s 1d 0
"$HISTGEN" --days 90 --groups 2 --host hist --end "$END" >"$TT_TMP/h90.csv"
"$COLLECTOR" -c "$TT_TMP/b.yaml" --import "$TT_TMP/h90.csv" 2>/dev/null || fail "import 90 days"
rm -f "$TT_TMP/h90.csv"
backlog=$(q "SELECT count(*) FROM counts WHERE ts < $NOW - 86400")
t_start=$(date +%s)
ip netns exec "$TT_NS" "$COLLECTOR" -c "$TT_TMP/b.yaml" -v -v >"$TT_TMP/b.log" 2>&1 &
cpid=$!
TT_PIDS+=("$cpid")
drained() { [ "$(q "SELECT count(*) FROM counts WHERE ts < strftime('%s', 'now') - 86400 - 5")" = 0 ]; }
wait_for 300 drained || fail "the backlog of $backlog rows did not drain in 300 s"
sleep 3
kill -TERM "$cpid"
wait "$cpid" || fail "collector exit $?"
first=$(q "SELECT min(ts) FROM sample WHERE ts >= $t_start")
last=$(q "SELECT max(ts) FROM sample")
taken=$(q "SELECT count(*) FROM sample WHERE ts >= $first AND (flags & 15) = 0")
missed=$(q "SELECT count(*) FROM sample WHERE ts >= $first AND flags & 4")
assert_eq "$missed" 0 "slots missed or retried while retention worked"
assert_eq "$taken" $((last - first + 1)) "samples, one per second from $first to $last"
echo "    $backlog rows deleted while taking $taken samples at 1 s: 0 missed"
echo "    slots that did retention work: $(grep -c "retention: " "$TT_TMP/b.log"); longest step:" \
	"$(grep -o "the longest [0-9.]* ms" "$TT_TMP/b.log" | awk '$3 > m { m = $3 } END { print m + 0 }') ms"

echo "--- max_size drops the oldest raw samples first, and says so once"
TT_DB=$TT_TMP/m.db
cfg_for "$TT_TMP/m.yaml" "$TT_DB" 1s 0 0 2M
"$HISTGEN" --days 10 --groups 2 --host hist --end "$END" >"$TT_TMP/h10.csv"
"$COLLECTOR" -c "$TT_TMP/m.yaml" --import "$TT_TMP/h10.csv" 2>/dev/null || fail "import 10 days"
rollups_before=$(q "SELECT count(*) FROM hourly")
in_ns "$COLLECTOR" -c "$TT_TMP/m.yaml" --samples 8 >"$TT_TMP/m.log" 2>&1 || fail "collector run: $(cat "$TT_TMP/m.log")"
used=$(q "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size")
[ "$used" -le $((2 * 1048576)) ] || fail "max_size 2M: $used bytes in use"
assert_eq "$(grep -c "max_size 2M reached" "$TT_TMP/m.log")" 1 "max_size log lines"
assert_eq "$(q "SELECT count(*) FROM hourly WHERE ts <= $END")" "$rollups_before" "rollups kept"
oldest=$(q "SELECT min(ts) FROM counts")
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts >= $oldest AND ts <= $END AND flags & 8")" \
	"$(( (END - oldest) / 10 + 1 ))" "imported samples kept from the oldest left to the end"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts >= $NOW AND (flags & 15) = 0")" 8 "new samples kept"
echo "    $(cat "$TT_TMP/m.log" | grep -m1 "max_size")"
echo "    in use $used bytes; raw kept from $(date -u -d @"$oldest" +%FT%TZ)"
echo "ok"
