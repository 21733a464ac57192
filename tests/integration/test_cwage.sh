#!/usr/bin/env bash
# How long CLOSE_WAIT sockets have been stuck. A server in a private namespace
# leaves 10 connections in CLOSE_WAIT (batch A), and 10 more (batch B) some
# seconds later, while the collector runs as a daemon at 1 s. The stored age
# of the oldest grows by the interval at each sample: it is the time since
# the first sample that saw batch A, exactly. It is a lower bound (flagged)
# only for sockets that were there at the collector's first sample. When the
# server closes batch A, the age drops to batch B's. A rule oldest_above
# fires on it, and names the cgroup that holds the sockets; --once alone
# cannot know an age (one sample per process): it stores 0, flagged as a
# lower bound.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v python3 >/dev/null || skip_or_fail "python3 not installed"
command -v nsenter >/dev/null || skip_or_fail "nsenter (util-linux) not installed"

tt_netns
TT_DB="$TT_TMP/a.db"
cfg="$TT_TMP/tcptally.yaml"
cat >"$cfg" <<YAML
database: $TT_DB
interval: 1s
host: it-cwage
thresholds:
  - name: stuck
    state: CLOSE_WAIT
    oldest_above: 4s
    severity: critical
YAML
"$COLLECTOR" -c "$cfg" --check-config >/dev/null || fail "the test's config is refused"

# The server keeps what it accepts; the clients close their ends at once.
# A line "A" or "B" on stdin makes a batch of 10; "close A" closes batch A's
# server sockets. Each command is acknowledged with "ok".
cat >"$TT_TMP/cw.py" <<'PY'
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 9800)); srv.listen(64)
held = {}
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] in ("A", "B"):
        socks = []
        for i in range(10):
            c = socket.create_connection(("127.0.0.1", 9800))
            s, _ = srv.accept()
            c.shutdown(socket.SHUT_WR)	# FIN to the server: its end goes CLOSE_WAIT
            socks.append((s, c))
        held[cmd[0]] = socks
    elif cmd[0] == "close":
        for s, c in held.pop(cmd[1]):
            s.close(); c.close()
    print("ok", flush=True)
PY
mkfifo "$TT_TMP/cw.in" "$TT_TMP/cw.out"
nsenter --net="/run/netns/$TT_NS" python3 "$TT_TMP/cw.py" <"$TT_TMP/cw.in" >"$TT_TMP/cw.out" &
TT_PIDS+=($!)
exec 7>"$TT_TMP/cw.in" 8<"$TT_TMP/cw.out"
say() {
	local ack
	echo "$1" >&7
	read -r -t 10 ack <&8 || fail "the population did not answer '$1'"
	[ "$ack" = ok ] || fail "the population answered '$ack' to '$1'"
}
cw_count() { in_ns ss -Htan state close-wait | wc -l; }

echo "--- --once knows no age: 0, a lower bound"
say A
assert_eq "$(cw_count)" 10 "CLOSE_WAIT after batch A"
nsenter --net="/run/netns/$TT_NS" "$COLLECTOR" -c "$cfg" --once -q || fail "--once exited $?"
assert_eq "$(q "SELECT age || ' ' || lower_bound FROM oldest_close_wait WHERE grp = 'all'")" "0 1" \
	"--once: age and lower bound"
rm -f "$TT_DB"*

echo "--- the daemon at 1 s: the age grows by the interval"
nsenter --net="/run/netns/$TT_NS" "$COLLECTOR" -c "$cfg" -q &
coll=$!
TT_PIDS+=("$coll")
samples() { [ "$(q "SELECT count(*) FROM sample" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_for 20 samples 1 || fail "no sample from the daemon"
first=$(q "SELECT min(ts) FROM sample")
# batch A was there at the first sample: its ages are lower bounds
wait_for 20 samples 3 || fail "fewer than 3 samples"
say B
wait_for 20 samples 7 || fail "fewer than 7 samples"
rows=$(q "SELECT ts, age, lower_bound FROM oldest_close_wait WHERE grp = 'all' ORDER BY ts")
echo "$rows" | sed 's/^/    /'
bad=$(q "SELECT count(*) FROM oldest_close_wait WHERE grp = 'all' AND (age != ts - $first OR lower_bound != 1)")
assert_eq "$bad" 0 "every sample's age is its time since the first sample, flagged a lower bound"
n=$(q "SELECT count(*) FROM oldest_close_wait WHERE grp = 'all'")
[ "$n" -ge 7 ] || fail "only $n ages stored"
# the steps between consecutive samples: each the gap between them, 1 s here
steps=$(q "SELECT count(*) FROM (SELECT age - lag(age) OVER (ORDER BY ts) AS d,
	ts - lag(ts) OVER (ORDER BY ts) AS g FROM oldest_close_wait WHERE grp = 'all')
	WHERE d IS NOT NULL AND d != g")
assert_eq "$steps" 0 "the age grows by the time between samples"

echo "--- batch A closed: the age drops to batch B's, no longer a lower bound"
# batch B's first sample: the first with its 10 more
b_first=$(q "SELECT min(ts) FROM state_counts WHERE grp = 'all' AND state = 'CLOSE_WAIT' AND count = 20")
[ -n "$b_first" ] || fail "no sample saw batch B: $(q "SELECT group_concat(count) FROM state_counts WHERE grp = 'all' AND state = 'CLOSE_WAIT'")"
say "close A"
closed_after=$(q "SELECT max(ts) FROM sample")
after() { [ "$(q "SELECT count(*) FROM sample WHERE ts > $closed_after + 1")" -ge 2 ]; }
wait_for 20 after || fail "no samples after batch A closed"
assert_eq "$(cw_count)" 10 "CLOSE_WAIT after closing batch A"
got=$(q "SELECT age || ' ' || lower_bound || ' ' || (ts - $b_first) || ' ' || (ts - $first)
	FROM oldest_close_wait WHERE grp = 'all' ORDER BY ts DESC LIMIT 1")
read -r age lb want a_age <<<"$got"
assert_eq "$age" "$want" "the age after batch A closed (batch B first seen at $b_first)"
assert_eq "$lb" 0 "batch B was seen arrive: an exact age"
[ "$age" -lt "$a_age" ] || fail "the age did not drop: $age, batch A's would be $a_age"
echo "    batch A: ages from 0 (lower bounds); after it closed: $age s (batch B's, exact), where A's would be $a_age s"

echo "--- check: oldest_above 4s fires, and names the cgroup behind it"
sleep 3
rc=0
"$REPORT" -c "$cfg" check >"$TT_TMP/check.out" 2>&1 || rc=$?
sed 's/^/    /' "$TT_TMP/check.out"
assert_eq "$rc" 2 "check's exit code"
grep -q "^CRITICAL stuck: host it-cwage, group all, oldest CLOSE_WAIT [0-9]*s > 4s; top cgroup /" \
	"$TT_TMP/check.out" || fail "check does not say the age and the cgroup"
kill -TERM "$coll"
wait "$coll" || fail "the collector exited $? after SIGTERM"
echo "OK: the oldest CLOSE_WAIT's age grows by the interval and drops when it closes"
