#!/usr/bin/env bash
# Wall-clock steps under a running collector (1 s interval), through the
# TCPTALLY_TEST_CLOCK seam: back 30 s, then forward 45 s. Sample ts must never
# repeat; the backward step is logged, sampling goes on at once at the earlier
# times, the seconds stored before the step are skipped (logged once, and once
# when sampling resumes after them); the skipped slots of the forward step are
# recorded as missed, and SIGTERM still ends it with exit 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BACK=30
FORWARD=45

tt_netns
TT_DB="$TT_TMP/c.db"
cfg="$TT_TMP/tcptally.yaml"
log="$TT_TMP/collector.log"
clock="$TT_TMP/clock"
printf 'database: %s\ninterval: 1s\nhost: it-clock\n' "$TT_DB" >"$cfg"

set_offset() {	# seconds; atomically, as the collector may read it at any time
	echo "$(($1 * 1000000000))" >"$clock.new"
	mv "$clock.new" "$clock"
}
logged() { grep -c ' sample 20' "$log" || true; }
logged_at_least() { [ "$(logged)" -ge "$1" ]; }
# "sample 2024-05-01T12:00:00Z: ..." -> epoch seconds, one per line, in log order
logged_ts() {
	grep -o ' sample 20[0-9T:-]*Z' "$@" | cut -c9- | sed 's/T/ /; s/Z$//' |
		while read -r d t; do date -u -d "$d $t" +%s; done
}

set_offset 0
: >"$log"
TCPTALLY_TEST_CLOCK="$clock" ip netns exec "$TT_NS" "$COLLECTOR" -c "$cfg" >"$log" 2>&1 &
COLL=$!
TT_PIDS+=("$COLL")

echo "--- steady: 4 samples"
wait_for 15 logged_at_least 4 || fail "no samples: $(cat "$log")"
grep -q "TCPTALLY_TEST_CLOCK=$clock" "$log" || fail "the test clock is not in use: $(cat "$log")"

echo "--- the wall clock steps back ${BACK} s"
n_back=$(logged)
set_offset "-$BACK"
wait_for 10 grep -q "the wall clock stepped back from" "$log" ||
	fail "the backward step was not logged: $(cat "$log")"
wait_for $((BACK + 15)) grep -q "sampling resumed at" "$log" ||
	fail "sampling did not resume after the seconds stored before the step: $(tail -n 5 "$log")"
kill -0 "$COLL" || fail "the collector died after the backward step"
at=$(grep -n -m1 "the wall clock stepped back from" "$log" | cut -d: -f1)
echo "    logged: $(sed -n "${at}p" "$log")"
first=$(logged_ts "$log" | sed -n 1p)
before_back=$(head -n "$at" "$log" | logged_ts | tail -n 1)
after_back=$(tail -n "+$at" "$log" | logged_ts | sed -n 1p)
assert_eq "$after_back" $((before_back + 1 - BACK)) "first slot after the backward step"
assert_eq "$(grep -c "a sample for this second is already stored" "$log")" 1 "skip messages (one per run of stored seconds)"
resumed=$(grep -m1 "sampling resumed at" "$log")
echo "    logged: $resumed"
assert_eq "$(grep -c "sampling resumed at" "$log")" 1 "resume messages"
stored_before=$((before_back - first + 1))
echo "$resumed" | grep -q "sampling resumed at $(date -u -d "@$((before_back + 1))" +%Y-%m-%dT%H:%M:%SZ) after $stored_before slots already stored$" ||
	fail "want the resume at $((before_back + 1)) after the $stored_before slots stored before the step: $resumed"
echo "    $n_back samples before the step (last $before_back); went on at $after_back; $stored_before stored seconds skipped"

echo "--- the wall clock steps forward ${FORWARD} s"
n_fwd=$(logged)
set_offset $((FORWARD - BACK))
wait_for 10 logged_at_least $((n_fwd + 3)) || fail "no samples after the forward step: $(tail -n 5 "$log")"
jump=$(grep -m1 -o "[0-9]* slots missed before [0-9]*" "$log") ||
	fail "the forward step's skipped slots were not logged: $(tail -n 8 "$log")"
echo "    logged: $jump"
after_fwd=${jump##* }
before_fwd=$((after_fwd - ${jump%% *} - 1))

echo "--- SIGTERM: exit 0"
kill -TERM "$COLL"
rc=0
wait "$COLL" || rc=$?
assert_eq "$rc" 0 "exit code after SIGTERM"
grep -q "stopping on signal" "$log" || fail "no stop message: $(tail -n 5 "$log")"
! grep -q "could not be recorded" "$log" || fail "missed slots lost: $(grep 'could not be recorded' "$log")"

echo "--- the log: sample ts increasing in the order they were taken, but at the backward step"
logged_ts "$log" >"$TT_TMP/logged_ts"
nlog=$(wc -l <"$TT_TMP/logged_ts")
drops=$(awk 'NR > 1 && $1 <= prev { print prev "->" $1 } { prev = $1 }' "$TT_TMP/logged_ts" | tr '\n' ' ')
assert_eq "$drops" "$before_back->$after_back " "places where a logged ts is not later than the one before"
echo "    $nlog samples logged, each later than the one before except at the backward step ($drops)"

echo "--- the database: no duplicates, every logged sample stored, the forward gap missed"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity"
dups=$(q "SELECT count(*) - count(DISTINCT ts) FROM sample")
assert_eq "$dups" 0 "duplicate sample ts"
assert_eq "$(q "SELECT count(*) FROM samples WHERE NOT missed")" "$nlog" "stored samples = logged samples"
q "SELECT ts FROM samples WHERE NOT missed ORDER BY ts" >"$TT_TMP/db_ts"
sort -n "$TT_TMP/logged_ts" | cmp -s - "$TT_TMP/db_ts" || fail "logged and stored sample ts differ"
missed=$(q "SELECT count(*) FROM samples WHERE missed")
in_gap=$(q "SELECT count(*) FROM samples WHERE missed AND ts > $before_fwd AND ts < $after_fwd")
gap=$((after_fwd - before_fwd - 1))
echo "    forward step ${FORWARD} s: slots $((before_fwd + 1))..$((after_fwd - 1)) ($gap) skipped, $in_gap recorded missed, $missed missed in all"
if [ "$in_gap" -lt $((FORWARD - 1)) ] || [ "$in_gap" -gt $((FORWARD + 1)) ]; then
	fail "forward step of $FORWARD slots: $in_gap missed slots recorded (want $FORWARD +-1)"
fi
assert_eq "$in_gap" "$gap" "every slot of the forward gap recorded missed"
assert_eq "$missed" "$in_gap" "missed slots outside the forward gap (the backward step must add none)"
# Every slot from the first sample to the last is either taken or missed: no hole.
assert_eq "$(q "SELECT max(ts) - min(ts) + 1 - count(*) FROM sample")" 0 "slots neither taken nor missed"
assert_eq "$(q "SELECT count(*) FROM samples WHERE NOT missed AND ts = $before_fwd")" 1 "the sample before the forward step"
assert_eq "$(q "SELECT count(*) FROM samples WHERE NOT missed AND ts = $after_fwd")" 1 "the sample after the forward step"
echo "OK: clock steps: $nlog samples, $dups duplicates; forward ${FORWARD} s: $in_gap slots recorded missed; backward ${BACK} s: went on at $after_back, $stored_before stored seconds skipped"
