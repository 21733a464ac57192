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
printf 'database: %s\ninterval: 60s\nhost: cronhost\n' "$db" >"$cfg"
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

echo "--- import $rows CSV rows, export, compare bytes"
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in.csv" 2>"$TT_TMP/imp.log" || fail "import: $(cat "$TT_TMP/imp.log")"
"$REPORT" -d "$db" export --format csv >"$TT_TMP/out.csv" || fail "export exited $?"
cmp -s "$TT_TMP/in.csv" "$TT_TMP/out.csv" || fail "export differs from what was imported: $(diff "$TT_TMP/in.csv" "$TT_TMP/out.csv" | head -5)"
assert_eq "$(q "SELECT count(*) FROM state_counts")" "$rows" "rows in the view"

echo "--- export -> import -> export is byte-identical; re-import changes nothing"
printf 'database: %s\ninterval: 60s\n' "$TT_TMP/io2.db" >"$TT_TMP/c2.yaml"
"$COLLECTOR" -c "$TT_TMP/c2.yaml" --import - <"$TT_TMP/out.csv" 2>/dev/null || fail "import from stdin"
"$REPORT" -d "$TT_TMP/io2.db" export --format csv >"$TT_TMP/out2.csv"
cmp -s "$TT_TMP/out.csv" "$TT_TMP/out2.csv" || fail "round trip not byte-identical"
before=$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in.csv" 2>"$TT_TMP/imp2.log" || fail "re-import failed"
assert_eq "$(sqlite3 "$db" "SELECT count(*), sum(established), sum(close_wait) FROM counts")" "$before" "re-import"
grep -q "0 new" "$TT_TMP/imp2.log" || fail "re-import summary: $(cat "$TT_TMP/imp2.log")"

echo "--- two databases holding the same host: merged, each sample once"
"$REPORT" -d "$db" -d "$TT_TMP/io2.db" export --format csv >"$TT_TMP/both.csv"
cmp -s "$TT_TMP/out.csv" "$TT_TMP/both.csv" || fail "export over two copies differs from one"
assert_eq "$("$REPORT" -d "$TT_TMP/io2.db" -d "$db" --host h1 now --format csv | grep "^h1,all," | cut -d, -f1-3)" \
	"h1,all,$(date -u -d @$((T0 + 60 * (3 * 1440 - 1))) +%Y-%m-%dT%H:%M:%SZ)" "now over two copies"

echo "--- a bad row aborts the whole import, and nothing changes"
{ head -n 5000 "$TT_TMP/in.csv"; echo "$((T0 + 99999)),h9,all,ESTABLISHED,-4"; } >"$TT_TMP/bad.csv"
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
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/cron.log" 2>/dev/null || fail "cron log import exited $?"
got=$("$REPORT" -d "$db" --host cronhost export --format csv | grep -E ',(ESTABLISHED|TIME_WAIT|LISTEN|CLOSE_WAIT),' | tr '\n' ' ')
want="1795456801,cronhost,all,ESTABLISHED,120 1795456801,cronhost,all,TIME_WAIT,33 1795456801,cronhost,all,CLOSE_WAIT,4 1795456801,cronhost,all,LISTEN,0 1795456860,cronhost,all,ESTABLISHED,121 1795456860,cronhost,all,TIME_WAIT,35 1795456860,cronhost,all,CLOSE_WAIT,0 1795456860,cronhost,all,LISTEN,0 1795456921,cronhost,all,ESTABLISHED,119 1795456921,cronhost,all,TIME_WAIT,0 1795456921,cronhost,all,CLOSE_WAIT,0 1795456921,cronhost,all,LISTEN,7 "
assert_eq "$got" "$want" "cron log samples"

echo "--- now, trend: exact numbers on known data"
last=$((T0 + 60 * (3 * 1440 - 1)))
assert_eq "$("$REPORT" -d "$db" --host h2 now --format csv --group web | tail -n 1)" \
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
