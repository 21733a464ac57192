#!/usr/bin/env bash
# The collector as a daemon: aligned slots, SIGTERM mid-run, SIGHUP with a good
# and a bad config, bad configs that write nothing, a database it must refuse.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tt_netns
tt_populate --listen 4 --established 4000 --close-wait 500 --time-wait 500 --v6 25
TT_DB="$TT_TMP/d.db"
cfg="$TT_TMP/tcptally.yaml"
log="$TT_TMP/collector.log"

write_cfg() {	# interval, extra yaml
	printf 'database: %s\ninterval: %s\nhost: it-daemon\n%s' "$TT_DB" "$1" "${2:-}" >"$cfg"
}

start() {
	: >"$log"	# here, not in the child: a check must never read the last run's log
	ip netns exec "$TT_NS" "$COLLECTOR" -c "$cfg" "$@" >>"$log" 2>&1 &
	COLL=$!
	TT_PIDS+=("$COLL")
}

samples() { q "SELECT count(*) FROM sample WHERE (flags & 4) = 0" 2>/dev/null || echo 0; }
has_samples() { [ "$(samples)" -ge "$1" ]; }

echo "--- --samples 3 at 1s: three samples on three distinct aligned seconds"
write_cfg 1s
start --samples 3
wait "$COLL" || fail "--samples 3 exited $?"
assert_eq "$(q "SELECT count(DISTINCT ts) FROM sample")" 3 "distinct sample seconds"
assert_eq "$(q "SELECT max(ts) - min(ts) FROM sample")" 2 "consecutive 1 s slots"
assert_eq "$(q "SELECT count(*) FROM state_counts WHERE grp = 'all'")" 33 "11 states x 3 samples"
assert_eq "$(grep -c ' sample 20' "$log")" 3 "one log line per sample"

echo "--- --samples 2 at 2s: slots aligned to the wall clock"
rm -f "$TT_DB"*
write_cfg 2s
start --samples 2
wait "$COLL" || fail "--samples 2 exited $?"
assert_eq "$(q "SELECT count(*) FROM sample WHERE ts % 2 = 0")" 2 "samples on even seconds"

echo "--- SIGTERM mid-run: the sample in flight is finished, exit 0, nothing half-written"
rm -f "$TT_DB"*
write_cfg 1s
start
wait_for 10 has_samples 2 || fail "no samples after 10 s: $(cat "$log")"
# Aim at the next slot boundary, when a sample is being taken.
sleep "0.$(printf '%09d' $((1000000000 - 10#$(date +%N))))"
kill -TERM "$COLL"
wait "$COLL" || fail "SIGTERM: exit $? (want 0)"
grep -q "stopping on signal" "$log" || fail "no stop message: $(cat "$log")"
assert_eq "$(samples)" "$(grep -c ' sample 20' "$log")" "every logged sample is stored"
assert_eq "$(q "SELECT count(*) FROM sample s WHERE (flags & 4) = 0 AND
	(SELECT count(*) FROM counts c WHERE c.ts = s.ts) != 1")" 0 "no sample without its counts"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after SIGTERM"

echo "--- SIGHUP with a good config: a new group appears"
rm -f "$TT_DB"*
write_cfg 1s
start
logged_samples() { [ "$(grep -c ' sample 20' "$log")" -ge "$1" ]; }
wait_for 10 logged_samples 1 || fail "no samples: $(cat "$log")"
write_cfg 1s $'groups:\n  - name: web\n    local_ports: ["8000-8099"]\n'
kill -HUP "$COLL"
wait_for 10 grep -q "SIGHUP: reloaded" "$log" || fail "no reload: $(cat "$log")"
has_web() { [ "$(q "SELECT count(*) FROM state_counts WHERE grp = 'web'")" -ge 11 ]; }
wait_for 10 has_web || fail "group web never sampled after SIGHUP"
web_listen=$(q "SELECT count FROM state_counts WHERE grp = 'web' AND state = 'LISTEN' ORDER BY ts DESC LIMIT 1")
assert_eq "$web_listen" "$(in_ns ss -Htln '( sport >= :8000 and sport <= :8099 )' | wc -l)" "web LISTEN after reload"

echo "--- SIGHUP with a bad config: logged with its position, the old config stays"
printf 'database: %s\ninterval: 1s\nintervall: 5s\n' "$TT_DB" >"$cfg"
n=$(samples)
kill -HUP "$COLL"
wait_for 10 grep -q "keeping the running config" "$log" || fail "bad reload not refused: $(cat "$log")"
grep -q "tcptally.yaml:3:1: unknown key 'intervall' (did you mean 'interval'?)" "$log" ||
	fail "bad reload message lacks FILE:LINE:COL: $(cat "$log")"
wait_for 10 has_samples $((n + 2)) || fail "stopped sampling after a bad SIGHUP"
has_web_now() { [ "$(q "SELECT count(*) FROM state_counts WHERE grp = 'web' AND ts = (SELECT max(ts) FROM counts)")" = 11 ]; }
has_web_now || fail "the running config (with group web) was not kept"
kill -TERM "$COLL"
wait "$COLL" || fail "exit $? after SIGTERM"

echo "--- bad configs: exit 2, FILE:LINE:COL, and no database written"
bad_cfg() {	# yaml, expected message
	local f="$TT_TMP/bad.yaml" db="$TT_TMP/never.db" rc=0
	printf 'database: %s\n%s' "$db" "$1" >"$f"
	in_ns "$COLLECTOR" -c "$f" --once >"$TT_TMP/bad.out" 2>&1 || rc=$?
	assert_eq "$rc" 2 "exit code for: $1"
	grep -qF "$f:$2" "$TT_TMP/bad.out" || fail "want '$f:$2' in: $(cat "$TT_TMP/bad.out")"
	[ ! -e "$db" ] || fail "a database was written despite a bad config"
	BAD_CASES=$((BAD_CASES + 1))
}
BAD_CASES=0
bad_cfg $'interval: 0s\n' "2:11: "
bad_cfg $'interval: 2h\n' "2:11: "
bad_cfg $'interval: 10\n' "2:11: "
bad_cfg $'groups:\n  - name: all\n' "3:11: "
bad_cfg $'groups:\n  - name: w\n    local_ports: [70000]\n' "4:19: "
bad_cfg $'groups:\n  - name: w\n    remote_addrs: ["10.0.0.0/33"]\n' "4:20: "
bad_cfg $'thresholds:\n  - name: t\n    state: CLOSED_WAIT\n    above: 1\n' "4:12: "
bad_cfg $'interval: [1s]\n' "2:11: "
bad_cfg $'intervall: 10s\n' "2:1: unknown key 'intervall' (did you mean 'interval'?)"
bad_cfg $'interval: -5s\n' "2:11: "
bad_cfg $'retention:\n  raw: 14\n' "3:8: "
bad_cfg $'groups:\n  - name: w\n  - name: w\n' "4:11: duplicate group name 'w'"
bad_cfg $'groups:\n  - name: w\n    local_ports: ["9000-8000"]\n' "4:19: "
bad_cfg $'groups:\n  - name: w\n    local_ports: [0]\n' "4:19: "
bad_cfg $'groups:\n  - name: w\n    family: ipv5\n' "4:13: "
bad_cfg $'groups:\n  - name: w\n    local_addrs: ["10.0.0/8"]\n' "4:19: "
bad_cfg $'groups:\n  - name: w\n    family: ipv6\n    remote_addrs: ["10.0.0.0/8"]\n' "5:20: "
bad_cfg $'groups:\n  - name: "a b"\n' "3:11: "
bad_cfg $'thresholds:\n  - name: t\n    state: LISTEN\n' "3:5: "
bad_cfg $'thresholds:\n  - name: t\n    state: LISTEN\n    growth: 5/min\n' "5:5: threshold 't': 'growth' needs a 'window'"
bad_cfg $'thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n    group: web\n' "6:12: "
bad_cfg $'thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n    severity: fatal\n' "6:15: "
bad_cfg $'interval: 10s\n  bad: indent\n' "3:"
echo "    $BAD_CASES bad configs rejected by the binary with exit 2, FILE:LINE:COL, nothing written"

echo "--- a config others can write is refused as root"
if [ "$(id -u)" = 0 ]; then
	write_cfg 1s
	chmod 0666 "$cfg"
	rc=0
	in_ns "$COLLECTOR" -c "$cfg" --once >"$TT_TMP/ww.out" 2>&1 || rc=$?
	assert_eq "$rc" 2 "world-writable config"
	grep -q "writable by any user" "$TT_TMP/ww.out" || fail "$(cat "$TT_TMP/ww.out")"
	chmod 0644 "$cfg"
fi

echo "--- a database newer than the binary is refused and left untouched"
sqlite3 "$TT_DB" "PRAGMA user_version = 99"
sum=$(sha256sum <"$TT_DB")
rc=0
in_ns "$COLLECTOR" -c "$cfg" --once >"$TT_TMP/new.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code on a newer database"
grep -q "schema version 99 is newer than this tcptally" "$TT_TMP/new.out" || fail "$(cat "$TT_TMP/new.out")"
assert_eq "$(sha256sum <"$TT_DB")" "$sum" "newer database unchanged"

echo "--- usage errors exit 2"
for args in "--samples 0" "--samples x" "--once --samples 2" "--bogus" "extra"; do
	rc=0
	# shellcheck disable=SC2086
	"$COLLECTOR" $args >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 2 "tcptally-collector $args"
done
echo "OK: daemon behaviour"
