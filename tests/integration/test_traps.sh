#!/usr/bin/env bash
# The collector's traps, with the real binaries:
#  - --import refuses a row more than a minute ahead of this host's clock
#    (exit 2, FILE:LINE) and writes nothing;
#  - a sample one day in the future (a clock once set ahead) stops nothing:
#    --samples 3 returns with 3 new samples, the future sample is reported
#    once with the statements that remove it, and those statements leave the
#    rollups equal to the raw samples; --once refuses only its very second;
#  - a second collector on a database, and an --import into it, are refused
#    with the running collector's pid (exit 1), which samples on; its lock
#    file is 0640 whatever the umask and holds its pid; a SIGHUP to a database
#    someone else holds keeps the running one, and a switch frees the old;
#  - a cron log stamped `EST` is refused under TZ=UTC, naming the line (it
#    was stored as 10:04Z), and imports as 15:04Z under TZ=America/New_York.
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
printf 'database: %s\ninterval: 1s\nhost: h\n' "$TT_TMP/imp.db" >"$icfg"	# one file, one host
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

echo "--- two collectors on one database: the second is refused with the first's pid"
samples() { q "SELECT count(*) FROM sample WHERE (flags & 4) = 0"; }
has_samples() { [ "$(samples)" -ge "$1" ]; }
rm "$TT_DB.lock"
: >"$log"
(umask 077 && exec ip netns exec "$TT_NS" "$COLLECTOR" -c "$cfg" >"$log" 2>&1) &
first=$!
TT_PIDS+=("$first")
n=$(samples)
wait_for 10 has_samples $((n + 1)) || fail "the first collector does not sample: $(cat "$log")"
assert_eq "$(stat -c %a "$TT_DB.lock")" 640 "mode of the lock file made under umask 077"
assert_eq "$(cat "$TT_DB.lock")" "$first" "the pid in the lock file"
for args in "--samples 1" "--once"; do
	rc=0
	# shellcheck disable=SC2086
	in_ns "$COLLECTOR" -c "$cfg" $args >"$TT_TMP/second.log" 2>&1 || rc=$?
	assert_eq "$rc" 1 "exit code of a second collector ($args)"
	grep -qF "tcptally-collector: $TT_DB is in use: pid $first holds $TT_DB.lock (another tcptally-collector, or an --import); stop it first, or point \`database:\` at another file" \
		"$TT_TMP/second.log" || fail "second collector ($args): $(cat "$TT_TMP/second.log")"
done
echo "    $(cat "$TT_TMP/second.log")"
n=$(samples)
wait_for 10 has_samples $((n + 2)) || fail "the first collector stopped sampling"
kill -0 "$first" || fail "the first collector died"

echo "--- --import while the collector runs: refused, naming its pid"
rc=0
sed 's/,h,/,it-traps,/' "$TT_TMP/past.csv" >"$TT_TMP/past-traps.csv"	# this host's row
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/past-traps.csv" 2>"$TT_TMP/imp.log" || rc=$?
assert_eq "$rc" 1 "exit code of an import beside a running collector"
grep -qF "tcptally-collector: $TT_DB is in use: pid $first holds $TT_DB.lock (a running tcptally-collector, or another import). An import holds the database's write lock for its whole length, so the collector would miss slots: stop the collector, import, then start it again" \
	"$TT_TMP/imp.log" || fail "import beside a collector: $(cat "$TT_TMP/imp.log")"
echo "    $(cat "$TT_TMP/imp.log")"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts = $((now - 60))")" 0 "the refused import's sample"

echo "--- SIGHUP to a database another collector holds: refused, the running one kept"
other="$TT_TMP/other.db"
ocfg="$TT_TMP/other.yaml"
printf 'database: %s
interval: 1s
host: it-traps
' "$other" >"$ocfg"	# the same host: one file holds one host
ip netns exec "$TT_NS" "$COLLECTOR" -c "$ocfg" >"$TT_TMP/other.log" 2>&1 &
second=$!
TT_PIDS+=("$second")
wait_for 10 grep -q ' sample 20' "$TT_TMP/other.log" || fail "the other collector: $(cat "$TT_TMP/other.log")"
printf 'database: %s
interval: 1s
host: it-traps
' "$other" >"$cfg"
kill -HUP "$first"
wait_for 10 grep -q "SIGHUP: keeping the running config" "$log" || fail "no refusal: $(tail -n 5 "$log")"
grep -qF "SIGHUP: $other is in use: pid $second holds $other.lock" "$log" ||
	fail "the refused reload does not name the holder: $(tail -n 5 "$log")"
n=$(samples)
wait_for 10 has_samples $((n + 2)) || fail "the first collector stopped sampling after the refused reload"
kill -TERM "$second"
wait "$second" || fail "the other collector exited $?"

echo "--- SIGHUP to a free database: it switches, and the old one's lock is free"
kill -HUP "$first"
wait_for 10 grep -q "SIGHUP: reloaded .*: database $other" "$log" || fail "no switch: $(tail -n 5 "$log")"
assert_eq "$(cat "$other.lock")" "$first" "the pid in the new database's lock file"
printf 'database: %s
interval: 1s
host: it-traps
' "$TT_DB" >"$TT_TMP/old.yaml"
past_newest() { [ "$(date +%s)" -gt "$(q "SELECT max(ts) FROM sample")" ]; }
wait_for 5 past_newest || fail "the clock does not pass the last sample"
in_ns "$COLLECTOR" -c "$TT_TMP/old.yaml" --once -q || fail "--once on the old database after the switch exited $?"
rc=0
in_ns "$COLLECTOR" -c "$ocfg" --once >"$TT_TMP/second.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "--once on the database the first collector switched to"
grep -qF "pid $first holds $other.lock" "$TT_TMP/second.log" || fail "$(cat "$TT_TMP/second.log")"
kill -TERM "$first"
wait "$first" || fail "the first collector exited $? after SIGTERM"
"$COLLECTOR" -c "$ocfg" --import "$TT_TMP/past-traps.csv" 2>"$TT_TMP/imp.log" ||
	fail "import after the collector stopped: $(cat "$TT_TMP/imp.log")"

echo "--- a cron log stamped EST: refused under TZ=UTC, placed under TZ=America/New_York"
TT_DB="$TT_TMP/tz.db"
printf 'database: %s\ninterval: 60s\nhost: it-traps\n' "$TT_DB" >"$TT_TMP/tz.yaml"
printf 'Sat Nov 29 09:04:01 UTC 2025\nESTABLISHED 3\n\nSat Nov 29 10:04:01 EST 2025\nESTABLISHED 4\n' >"$TT_TMP/est.log"
rc=0
TZ=UTC "$COLLECTOR" -c "$TT_TMP/tz.yaml" --import "$TT_TMP/est.log" 2>"$TT_TMP/imp.log" || rc=$?
assert_eq "$rc" 2 "exit code of a cron log in EST under TZ=UTC"
assert_eq "$(cat "$TT_TMP/imp.log")" "$TT_TMP/est.log:4: bad timestamp 'Sat Nov 29 10:04:01 EST 2025': time zone 'EST' is neither UTC nor the local zone (UTC, from TZ), so the time cannot be placed; re-log with \`LC_ALL=C TZ=UTC date\`, or run the import with TZ set to the log's zone (such as TZ=America/New_York)" \
	"the message for EST under TZ=UTC"
echo "    $(cat "$TT_TMP/imp.log")"
assert_eq "$(q "SELECT count(*) FROM sample")" 0 "samples after the refused import"
if [ -e /usr/share/zoneinfo/America/New_York ]; then
	TZ=America/New_York "$COLLECTOR" -c "$TT_TMP/tz.yaml" --import "$TT_TMP/est.log" 2>"$TT_TMP/imp.log" ||
		fail "EST under TZ=America/New_York: $(cat "$TT_TMP/imp.log")"
	assert_eq "$(q "SELECT group_concat(datetime(ts, 'unixepoch'), ' ') FROM (SELECT ts FROM sample ORDER BY ts)")" \
		"2025-11-29 09:04:01 2025-11-29 15:04:01" "the samples' times under TZ=America/New_York"
else
	echo "    no zoneinfo for America/New_York: that half skipped"
fi
echo "--- one file holds one host: a collector of another host is refused"
TT_DB="$TT_TMP/one.db"
printf 'database: %s\ninterval: 1s\nhost: it-one\n' "$TT_DB" >"$TT_TMP/one-a.yaml"
printf 'database: %s\ninterval: 1s\nhost: it-two\n' "$TT_DB" >"$TT_TMP/one-b.yaml"
in_ns "$COLLECTOR" -c "$TT_TMP/one-a.yaml" --once -q || fail "--once of it-one exited $?"
rc=0
in_ns "$COLLECTOR" -c "$TT_TMP/one-b.yaml" --once -q 2>"$TT_TMP/one.log" || rc=$?
assert_eq "$rc" 1 "--once of it-two on it-one's database"
grep -qF "$TT_DB holds host 'it-one', and this collector is 'it-two' (\`host:\` in the config, else the hostname); one file holds one host: set \`host: it-one\`, or point \`database:\` at a new file" \
	"$TT_TMP/one.log" || fail "another host's collector: $(cat "$TT_TMP/one.log")"
assert_eq "$(q "SELECT group_concat(name) FROM host")" "it-one" "hosts of the database"
echo "    $(cat "$TT_TMP/one.log")"
echo "OK: the collector's traps"
