#!/usr/bin/env bash
# End to end: the collector at 1 s in a namespace; `tcptally-report check`
# stays OK on a steady population, goes CRITICAL on a growing CLOSE_WAIT leak,
# WARNING on a TIME_WAIT flood, and UNKNOWN once the collector has stopped.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"

tt_netns
TT_DB="$TT_TMP/c.db"
cfg="$TT_TMP/tcptally.yaml"
cat >"$cfg" <<YAML
database: $TT_DB
interval: 1s
host: it-check
thresholds:
  - name: cw-leak
    state: CLOSE_WAIT
    growth: 60/min
    window: 8s
    severity: critical
  - name: tw-flood
    state: TIME_WAIT
    above: 1500
    for: 2s
YAML
tt_populate --established 1000 --close-wait 50 --listen 4

ip netns exec "$TT_NS" "$COLLECTOR" -q -c "$cfg" >"$TT_TMP/collector.log" 2>&1 &
coll=$!
TT_PIDS+=("$coll")
samples() { q "SELECT count(*) FROM counts" 2>/dev/null || echo 0; }
have() { [ "$(samples)" -ge "$1" ]; }

check() {	# expected exit code, then patterns the output must hold
	local want=$1 rc=0
	shift
	"$REPORT" -c "$cfg" check >"$TT_TMP/check.out" 2>&1 || rc=$?
	echo "  check exit $rc: $(head -n 1 "$TT_TMP/check.out")"
	[ "$rc" = "$want" ] || fail "check exited $rc, want $want: $(cat "$TT_TMP/check.out")"
	for p in "$@"; do
		grep -q -- "$p" "$TT_TMP/check.out" || fail "check output lacks '$p': $(cat "$TT_TMP/check.out")"
	done
}

echo "--- steady population: OK"
wait_for 20 have 10 || fail "collector wrote no samples: $(cat "$TT_TMP/collector.log")"
check 0 "^TCPTALLY OK" "'all_CLOSE_WAIT'=50;;" "'all_TIME_WAIT'=0;1500;"

echo "--- a CLOSE_WAIT leak: 100 more every second for 6 s: CRITICAL"
for i in 1 2 3 4 5 6; do
	tt_populate --close-wait 100 --port-base $((9000 + i)) --v6 0
	sleep 1
done
check 2 "^TCPTALLY CRITICAL" "CRITICAL cw-leak: host it-check, group all, CLOSE_WAIT growing"

echo "--- held steady again (the 8 s window passes): OK"
sleep 9
check 0 "^TCPTALLY OK" "'all_CLOSE_WAIT'=650;;"

echo "--- a TIME_WAIT flood above 1500 for 2 s: WARNING"
in_ns "$POPULATE" --time-wait 2000 --port-base 9100 --v6 0 >/dev/null
sleep 4
check 1 "^TCPTALLY WARNING" "WARNING tw-flood: host it-check, group all, TIME_WAIT 2000 > 1500 for 2s"

echo "--- backtest finds both episodes"
"$REPORT" -c "$cfg" backtest --since 1h --format csv >"$TT_TMP/bt.csv"
grep -q "^cw-leak,critical,it-check,all,CLOSE_WAIT," "$TT_TMP/bt.csv" || fail "$(cat "$TT_TMP/bt.csv")"
grep -q "^tw-flood,warning,it-check,all,TIME_WAIT,.*,2000$" "$TT_TMP/bt.csv" || fail "$(cat "$TT_TMP/bt.csv")"

echo "--- the collector stops; after 3 intervals: UNKNOWN"
kill -TERM "$coll"
wait "$coll" || fail "collector exit $?"
sleep 4
check 3 "^TCPTALLY UNKNOWN" "is tcptally-collector running?"

echo "--- check's own errors exit 3"
rc=0
"$REPORT" -c "$cfg" check --at yesterday >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 3 "check with a bad --at"
rc=0
"$REPORT" -d "$TT_TMP/missing.db" -c "$cfg" check >"$TT_TMP/missing.out" 2>/dev/null || rc=$?
assert_eq "$rc" 3 "check on a missing database"
grep -q "^TCPTALLY UNKNOWN: .*missing.db: no database there" "$TT_TMP/missing.out" ||
	fail "check's own error gives no status line on stdout: $(cat "$TT_TMP/missing.out")"
echo "OK: check end to end"
