#!/usr/bin/env bash
# The collector's traps, with the real binaries:
#  - --import refuses a row more than a minute ahead of this host's clock
#    (exit 2, FILE:LINE) and writes nothing;
#  - a sample one day in the future (a clock once set ahead) stops nothing:
#    --samples 3 returns with 3 new samples, the future sample is reported
#    once with the statements that remove it, and those statements leave the
#    rollups equal to the raw samples; --once refuses only its very second.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tt_netns
TT_DB="$TT_TMP/t.db"
cfg="$TT_TMP/tcptally.yaml"
log="$TT_TMP/collector.log"
clock="$TT_TMP/clock"
printf 'database: %s\ninterval: 1s\nhost: it-traps\n' "$TT_DB" >"$cfg"

rows() { q "SELECT (SELECT count(*) FROM sample) || ' ' || (SELECT count(*) FROM counts) || ' ' ||
	(SELECT count(*) FROM hourly)"; }
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# Hourly rollups that the raw samples do not give, and the other way round.
RAW_HOURS="SELECT ts - ts % 3600, host, grp, count(*), sum(established), max(established),
	min(established), sum(listen), sum(close_wait), sum(time_wait) FROM counts GROUP BY 1, 2, 3"
ROLLUPS="SELECT ts, host, grp, samples, established_sum, established_max, established_min,
	listen_sum, close_wait_sum, time_wait_sum FROM hourly"
rollup_mismatches() {
	q "SELECT (SELECT count(*) FROM ($ROLLUPS EXCEPT $RAW_HOURS)) +
		(SELECT count(*) FROM ($RAW_HOURS EXCEPT $ROLLUPS))"
}

echo "--- --import: a row more than a minute ahead of this host's clock is refused"
icfg="$TT_TMP/imp.yaml"
printf 'database: %s\ninterval: 1s\nhost: it-traps\n' "$TT_TMP/imp.db" >"$icfg"
now=$(date +%s)
printf 'ts,host,group,state,count\n%s,h,all,LISTEN,3\n' $((now - 60)) >"$TT_TMP/past.csv"
"$COLLECTOR" -c "$icfg" --import "$TT_TMP/past.csv" 2>"$TT_TMP/imp.log" ||
	fail "import of a past row: $(cat "$TT_TMP/imp.log")"
TT_DB="$TT_TMP/imp.db"
before=$(rows)
printf 'ts,host,group,state,count\n%s,h,all,LISTEN,3\n%s,h,all,LISTEN,4\n' $((now - 30)) $((now + 3600)) \
	>"$TT_TMP/future.csv"
rc=0
"$COLLECTOR" -c "$icfg" --import "$TT_TMP/future.csv" 2>"$TT_TMP/imp.log" || rc=$?
assert_eq "$rc" 2 "exit code of an import with a row an hour ahead"
grep -qE "^$TT_TMP/future.csv:3: timestamp $(utc $((now + 3600))) is (1h|59m [0-9]+s) ahead of this host's clock \(.*at most 60 s ahead is accepted\): if the clock is right, fix the row's time or drop the row; if the clock is behind, set it and import again$" \
	"$TT_TMP/imp.log" || fail "future CSV row: $(cat "$TT_TMP/imp.log")"
echo "    $(cat "$TT_TMP/imp.log")"
assert_eq "$(rows)" "$before" "sample, counts and hourly rows after the refused CSV import"
printf '@%s\nLISTEN 3\n\n@%s\nLISTEN 4\n' $((now - 20)) $((now + 7200)) >"$TT_TMP/future.log"
rc=0
"$COLLECTOR" -c "$icfg" --import "$TT_TMP/future.log" 2>"$TT_TMP/imp.log" || rc=$?
assert_eq "$rc" 2 "exit code of a cron log with a block two hours ahead"
grep -q "^$TT_TMP/future.log:4: timestamp $(utc $((now + 7200))) is .* ahead" "$TT_TMP/imp.log" ||
	fail "future cron-log block: $(cat "$TT_TMP/imp.log")"
assert_eq "$(rows)" "$before" "rows after the refused cron-log import"
# With this host's clock set three hours ahead, the same file is no longer in the future.
echo $((3 * 3600 * 1000000000)) >"$clock"
TCPTALLY_TEST_CLOCK="$clock" "$COLLECTOR" -c "$icfg" --import "$TT_TMP/future.log" 2>"$TT_TMP/imp.log" ||
	fail "the clock three hours ahead: $(cat "$TT_TMP/imp.log")"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts = $((now + 7200))")" 1 "imported with the clock ahead"

echo "--- a sample one day ahead (a clock once set ahead) stops nothing"
TT_DB="$TT_TMP/t.db"
echo $((86400 * 1000000000)) >"$clock"
TCPTALLY_TEST_CLOCK="$clock" in_ns "$COLLECTOR" -c "$cfg" --once -q 2>/dev/null ||
	fail "--once with the clock a day ahead exited $?"
future=$(q "SELECT max(ts) FROM sample")
start=$(date +%s)
[ "$future" -gt $((start + 86000)) ] || fail "the sample is not a day ahead: $future, now $start"
rc=0
in_ns timeout 60 "$COLLECTOR" -c "$cfg" --samples 3 >"$log" 2>&1 || rc=$?
[ "$rc" != 124 ] || fail "--samples 3 did not return in 60 s: $(tail -n 5 "$log")"
assert_eq "$rc" 0 "exit code of --samples 3 beside a future sample"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts >= $start AND ts < $future AND (flags & 4) = 0")" 3 \
	"new samples beside the future one"
assert_eq "$(grep -c "holds 1 sample after this host's clock" "$log")" 1 "reports of the future sample"
grep -q "from $(utc "$future") (\(1d\|23h 59m [0-9]*s\) ahead) to $(utc "$future")" "$log" ||
	fail "the report does not say when and how far ahead: $(cat "$log")"
assert_eq "$(grep -c "sqlite3 '" "$log")" 1 "lines with the statements"
! grep -q "a sample for this second is already stored\|stepped back" "$log" || fail "a slot was skipped: $(cat "$log")"
sed -n "/holds 1 sample/,/sqlite3 '/p" "$log" | cut -c1-160 | sed 's/^/    /'

echo "--- --once: a later sample is no reason to refuse; a sample at its very second is"
# (not in the second of the last sample, which --once would rightly refuse)
past_last() { [ "$(date +%s)" -gt "$(q "SELECT max(ts) FROM sample WHERE ts < $future")" ]; }
wait_for 5 past_last || fail "the clock does not pass the last sample"
in_ns "$COLLECTOR" -c "$cfg" --once -q || fail "--once beside a future sample exited $?"
last=$(q "SELECT max(ts) FROM sample WHERE ts < $future")
# Aim the clock at the middle of that second: --once then reads it as that second.
echo $((last * 1000000000 + 500000000 - $(date +%s%N))) >"$clock"
rc=0
TCPTALLY_TEST_CLOCK="$clock" in_ns "$COLLECTOR" -c "$cfg" --once >"$TT_TMP/once.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code of --once on a second already stored"
grep -q "already holds a sample of host it-traps at $(utc "$last"), this very second; --once does not overwrite it" \
	"$TT_TMP/once.log" || fail "--once on a stored second: $(cat "$TT_TMP/once.log")"

echo "--- the printed statements remove the future sample and its rollup; the rollups stay exact"
assert_eq "$(rollup_mismatches)" 0 "rollups against raw samples before the statements"
stmt=$(grep -o "sqlite3 '.*" "$log")
bash -c "$stmt" || fail "the printed statements failed: $stmt"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts >= $future")" 0 "future samples left"
assert_eq "$(q "SELECT count(*) FROM counts WHERE ts >= $future")" 0 "future counts left"
assert_eq "$(q "SELECT count(*) FROM hourly WHERE ts >= $future - $future % 3600")" 0 "future rollups left"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts < $future AND (flags & 4) = 0")" 4 "samples kept"
assert_eq "$(rollup_mismatches)" 0 "rollups against raw samples after the statements"
assert_eq "$(q "SELECT sum(samples) FROM hourly WHERE grp = 1")" 4 "samples in the rollups"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity"
echo "OK: the collector's traps"
