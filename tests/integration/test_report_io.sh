#!/usr/bin/env bash
# Import and export: CSV round trip byte for byte, idempotent re-import, a
# netstat|awk cron log, OpenMetrics accepted by promtool, and the report's
# answers and errors on known data. Needs no namespace.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"

db="$TT_TMP/io.db"
TT_DB=$db
cfg="$TT_TMP/tcptally.yaml"
printf 'database: %s\ninterval: 60s\nhost: h1\n' "$db" >"$cfg"
T0=1795132800	# 2026-11-20T00:00:00Z

# Three days at 60 s, hosts h1 and h2, groups all and web, every state, export order.
gen_csv() {
	awk -v t0=$T0 'BEGIN {
		split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", s, " ")
		print "ts,host,group,state,count"
		for (i = 0; i < 3 * 1440; i++) {
			ts = t0 + 60 * i
			for (h = 1; h <= 2; h++) for (g = 1; g <= 2; g++) for (k = 1; k <= 11; k++) {
				c = 0
				if (k == 1) c = 100 * h + i % 50 - (g == 2) * 40
				if (k == 8) c = int(i / 10) * g
				if (k == 6) c = (i % 7) * 3 * h
				if (k == 10) c = g == 1 ? 5 : 2
				printf "%d,h%d,%s,%s,%d\n", ts, h, (g == 1 ? "all" : "web"), s[k], c
			}
		}
	}'
}
gen_csv >"$TT_TMP/in.csv"
rows=$(($(wc -l <"$TT_TMP/in.csv") - 1))
# One file holds one host: h1's rows go to io.db, h2's to io-h2.db.
for h in h1 h2; do
	{ head -n 1 "$TT_TMP/in.csv"; grep ",$h," "$TT_TMP/in.csv"; } >"$TT_TMP/in-$h.csv"
done
db2="$TT_TMP/io-h2.db"
printf 'database: %s\ninterval: 60s\nhost: h2\n' "$db2" >"$TT_TMP/h2.yaml"

echo "--- import $rows CSV rows into a database per host, export, compare bytes"
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in-h1.csv" 2>"$TT_TMP/imp.log" || fail "import: $(cat "$TT_TMP/imp.log")"
"$COLLECTOR" -c "$TT_TMP/h2.yaml" --import "$TT_TMP/in-h2.csv" 2>"$TT_TMP/imp.log" || fail "import: $(cat "$TT_TMP/imp.log")"
"$REPORT" -d "$db" export --format csv >"$TT_TMP/out.csv" || fail "export exited $?"
cmp -s "$TT_TMP/in-h1.csv" "$TT_TMP/out.csv" || fail "export differs from what was imported: $(diff "$TT_TMP/in-h1.csv" "$TT_TMP/out.csv" | head -5)"
"$REPORT" -d "$db" -d "$db2" export --format csv >"$TT_TMP/both.csv" || fail "export of two exited $?"
cmp -s "$TT_TMP/in.csv" "$TT_TMP/both.csv" || fail "export of both hosts differs from the input: $(diff "$TT_TMP/in.csv" "$TT_TMP/both.csv" | head -5)"
assert_eq "$(q "SELECT count(*) FROM state_counts")" "$((rows / 2))" "rows in the view"

echo "--- export -> import -> export is byte-identical; re-import changes nothing"
printf 'database: %s\ninterval: 60s\n' "$TT_TMP/io2.db" >"$TT_TMP/c2.yaml"
"$COLLECTOR" -c "$TT_TMP/c2.yaml" --import - <"$TT_TMP/out.csv" 2>/dev/null || fail "import from stdin"
"$REPORT" -d "$TT_TMP/io2.db" export --format csv >"$TT_TMP/out2.csv"
cmp -s "$TT_TMP/out.csv" "$TT_TMP/out2.csv" || fail "round trip not byte-identical"
before=$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in-h1.csv" 2>"$TT_TMP/imp2.log" || fail "re-import failed"
assert_eq "$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")" "$before" "re-import"
grep -q "0 new" "$TT_TMP/imp2.log" || fail "re-import summary: $(cat "$TT_TMP/imp2.log")"

echo "--- one file holds one host: another host's rows are refused, nothing written"
rc=0
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in-h2.csv" 2>"$TT_TMP/other.log" || rc=$?
assert_eq "$rc" 2 "exit code of an import of another host's rows"
grep -q "^$TT_TMP/in-h2.csv:2: host 'h2' is not this database's host 'h1'" "$TT_TMP/other.log" ||
	fail "another host's import message: $(cat "$TT_TMP/other.log")"
assert_eq "$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")" "$before" "after another host's import"

echo "--- two databases holding the same host: a fleet error naming both, neither merged"
rc=0
"$REPORT" -d "$db" -d "$TT_TMP/io2.db" export --format csv >"$TT_TMP/dup.csv" 2>"$TT_TMP/dup.err" || rc=$?
assert_eq "$rc" 1 "export over two copies of one host"
grep -q "$db: holds host 'h1', as $TT_TMP/io2.db does; one file per host" "$TT_TMP/dup.err" ||
	fail "two copies: $(cat "$TT_TMP/dup.err")"
grep -q "$TT_TMP/io2.db: holds host 'h1', as $db does; one file per host" "$TT_TMP/dup.err" ||
	fail "two copies: $(cat "$TT_TMP/dup.err")"
[ ! -s "$TT_TMP/dup.csv" ] || fail "two copies of one host were merged: $(head -3 "$TT_TMP/dup.csv")"

echo "--- a bad row aborts the whole import, and nothing changes"
{ head -n 5000 "$TT_TMP/in-h1.csv"; echo "$((T0 + 99999)),h1,all,ESTABLISHED,-4"; } >"$TT_TMP/bad.csv"
rc=0
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/bad.csv" 2>"$TT_TMP/bad.log" || rc=$?
assert_eq "$rc" 2 "exit code of a bad import"
grep -q "^$TT_TMP/bad.csv:5001: " "$TT_TMP/bad.log" || fail "bad import message: $(cat "$TT_TMP/bad.log")"
assert_eq "$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")" "$before" "after a bad import"

echo "--- a netstat | awk cron log imports into group all"
cat >"$TT_TMP/cron.log" <<LOG
Mon Nov 23 18:00:01 UTC 2026
ESTABLISHED 120
TIME_WAIT 33
CLOSE_WAIT 4
@1795456860
TIME_WAIT 35
ESTABLISHED 121

2026-11-23T18:02:01Z
LISTEN 7
ESTABLISHED 119
LOG
cron="$TT_TMP/cron.db"
printf 'database: %s\ninterval: 60s\nhost: cronhost\n' "$cron" >"$TT_TMP/cron.yaml"
"$COLLECTOR" -c "$TT_TMP/cron.yaml" --import "$TT_TMP/cron.log" 2>/dev/null || fail "cron log import exited $?"
got=$("$REPORT" -d "$cron" --host cronhost export --format csv | grep -E ',(ESTABLISHED|TIME_WAIT|LISTEN|CLOSE_WAIT),' | tr '\n' ' ')
want="1795456801,cronhost,all,ESTABLISHED,120 1795456801,cronhost,all,TIME_WAIT,33 1795456801,cronhost,all,CLOSE_WAIT,4 1795456801,cronhost,all,LISTEN,0 1795456860,cronhost,all,ESTABLISHED,121 1795456860,cronhost,all,TIME_WAIT,35 1795456860,cronhost,all,CLOSE_WAIT,0 1795456860,cronhost,all,LISTEN,0 1795456921,cronhost,all,ESTABLISHED,119 1795456921,cronhost,all,TIME_WAIT,0 1795456921,cronhost,all,CLOSE_WAIT,0 1795456921,cronhost,all,LISTEN,7 "
assert_eq "$got" "$want" "cron log samples"

echo "--- now, trend: exact numbers on known data"
last=$((T0 + 60 * (3 * 1440 - 1)))
assert_eq "$("$REPORT" -d "$db2" --host h2 now --format csv --group web | tail -n 1)" \
	"web,$(date -u -d @$last +%Y-%m-%dT%H:%M:%SZ),179,0,0,0,0,0,0,862,0,2,0" "now for h2/web"
# bucket 00:00-01:00 of day 1 for h1/all: ESTABLISHED = 100 + i % 50, i = 0..59
assert_eq "$("$REPORT" -d "$db" --host h1 trend --from @$T0 --to @$((T0 + 3599)) --step 1h \
	--state ESTABLISHED --format csv | tail -n 1)" \
	"2026-11-20T00:00:00Z,h1,all,ESTABLISHED,100,121.17,149,60" "trend bucket"

# slope per hour over day 1 of h1/all CLOSE_WAIT (= int(i / 10)), least squares computed here
want_slope=$(awk 'BEGIN { n = 1440; for (i = 0; i < n; i++) { x = 60 * i; y = int(i / 10);
	sx += x; sy += y; sxx += x * x; sxy += x * y }
	printf "%+.1f", (n * sxy - sx * sy) / (n * sxx - sx * sx) * 3600 }')
got_slope=$("$REPORT" -d "$db" --host h1 trend --from @$T0 --to @$((T0 + 86399)) --state CLOSE_WAIT |
	awk '$1 == "CLOSE_WAIT" { print $NF }')
assert_eq "$got_slope" "$want_slope" "trend slope/h of CLOSE_WAIT"
assert_eq "$("$REPORT" -d "$db" --host h1 trend --from @$T0 --to @$((T0 + 86399)) --state CLOSE_WAIT |
	awk '$1 == "CLOSE_WAIT" { print $2, $3, $4 }')" "0 71.5 143" "trend min avg max of CLOSE_WAIT (piped: no sparkline column)"

echo "--- trend from rollups counts no sample from before --from"
# The history ends at $last. A window from 30 s after it holds no sample,
# whether it is under two days (raw) or over two (rollups, whole hours).
for span in 1d 3d; do
	from=$((last + 30)) rc=0
	"$REPORT" -d "$db" trend --from @$from --to @$((from + ${span%d} * 86400)) --step 1h \
		--format csv >"$TT_TMP/tr.out" 2>&1 || rc=$?
	assert_eq "$rc" 1 "trend over $span after the last sample"
	grep -q "no samples between the given times" "$TT_TMP/tr.out" || fail "trend $span: $(cat "$TT_TMP/tr.out")"
done
# A window from the middle of an hour: the rollups start at the next hour.
got=$("$REPORT" -d "$db" --host h1 trend --from @$((T0 + 1800)) --to @$((T0 + 3 * 86400 - 1)) --step 1d \
	--state ESTABLISHED --format csv | sed -n 2p | cut -d, -f1,8)
assert_eq "$got" "2026-11-20T00:00:00Z,1380" "first day from rollups: 23 whole hours x 60 samples"

echo "--- check before the first sample, backtest over no samples, perfdata of two limits"
cat >"$TT_TMP/th.yaml" <<YAML
interval: 60s
thresholds:
  - { name: tw-warn, state: TIME_WAIT, above: 5, severity: warning }
  - { name: tw-crit, state: TIME_WAIT, above: 50, severity: critical }
YAML
rc=0
"$REPORT" -c "$TT_TMP/th.yaml" -d "$db" check --at @1 >"$TT_TMP/c1.out" 2>&1 || rc=$?
assert_eq "$rc" 3 "check --at @1"
grep -q "^UNKNOWN host h1: no samples at or before 1970-01-01T00:00:01Z; the first is later" "$TT_TMP/c1.out" ||
	fail "check before the first sample: $(cat "$TT_TMP/c1.out")"
rc=0
"$REPORT" -c "$TT_TMP/th.yaml" -d "$db" backtest --from @100 --to @200 >"$TT_TMP/bt.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "backtest over a range with no samples"
grep -q "no samples between 1970-01-01T00:01:40Z and 1970-01-01T00:03:20Z" "$TT_TMP/bt.out" ||
	fail "backtest over no samples: $(cat "$TT_TMP/bt.out")"
rc=0
"$REPORT" -c "$TT_TMP/th.yaml" -d "$db" check --at @$last >"$TT_TMP/c2.out" 2>&1 || rc=$?
assert_eq "$(head -n 1 "$TT_TMP/c2.out" | sed 's/^.*| //')" "'all_TIME_WAIT'=$((((3 * 1440 - 1) % 7) * 3));5;50" \
	"one perfdata item for a series two thresholds watch, with both limits"

echo "--- OpenMetrics export is accepted by promtool"
if [ -n "${PROMTOOL:-}" ] || command -v promtool >/dev/null; then
	promtool=${PROMTOOL:-promtool}
	"$REPORT" -d "$db" --host h1 export --from @$T0 --to @$((T0 + 7200)) --format openmetrics >"$TT_TMP/om.txt"
	tail -n 1 "$TT_TMP/om.txt" | grep -qx "# EOF" || fail "no closing # EOF"
	"$promtool" tsdb create-blocks-from openmetrics "$TT_TMP/om.txt" "$TT_TMP/tsdb" >"$TT_TMP/promtool.log" 2>&1 ||
		fail "promtool rejected the export: $(tail -5 "$TT_TMP/promtool.log")"
	echo "    promtool: $(grep -c . "$TT_TMP/om.txt") lines accepted"
else
	skip_or_fail "promtool not found (contrib/dev test fetches it from Debian's prometheus package)"
fi

echo "--- errors: clear message, exit 2"
expect_err() {	# exit code, pattern, args...
	local want=$1 pat=$2 rc=0
	shift 2
	"$REPORT" "$@" >"$TT_TMP/err.out" 2>&1 || rc=$?
	assert_eq "$rc" "$want" "tcptally-report $*"
	grep -q -- "$pat" "$TT_TMP/err.out" || fail "tcptally-report $*: want '$pat' in: $(cat "$TT_TMP/err.out")"
}
expect_err 2 "unknown group 'nope'; the database has: all, web" -d "$db" now --group nope
expect_err 2 "unknown state; use one of: ESTABLISHED" -d "$db" trend --state CLOSED
expect_err 2 "use 2026-11-23T18:00:00Z" -d "$db" trend --from yesterday
expect_err 2 "no database there" -d "$TT_TMP/none.db" now
expect_err 2 "unknown command 'nwo'" -d "$db" nwo
expect_err 2 "does not apply" -d "$db" now --step 5m
expect_err 2 "export needs --format" -d "$db" export
[ ! -e "$TT_TMP/none.db" ] || fail "the report created a database"
echo "OK: import/export"
