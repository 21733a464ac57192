#!/usr/bin/env bash
# Is it about to hurt: a listener with listen(fd, 4) that never accepts, hit
# by 50 connection attempts and then one more every 0.1 s (so that every
# sample's interval holds overflows, not only those the SYN retries happen
# to fall in), beside one that accepts everything, in a private
# namespace. The stored accept queues equal what ss shows (Recv-Q, Send-Q),
# the flooded group's fill is 1.0 with one listener full, the healthy one's
# 0; the kernel's ListenOverflows, as /proc/net/netstat has it, is stored and
# has a positive rate; check with fill_above and rate_above rules names both.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v python3 >/dev/null || skip_or_fail "python3 not installed"

tt_netns
TT_DB="$TT_TMP/l.db"
cfg="$TT_TMP/tcptally.yaml"
cat >"$cfg" <<YAML
database: $TT_DB
interval: 1s
host: it-listen
groups:
  - { name: flooded, local_ports: [9100] }
  - { name: healthy, local_ports: [9200] }
thresholds:
  - name: queue-full
    state: LISTEN
    group: flooded
    fill_above: 0.9
    severity: critical
  - name: overflows
    metric: ListenOverflows
    rate_above: 1/min
  - name: healthy-queue
    state: LISTEN
    group: healthy
    fill_above: 0.9
  - name: orphans
    metric: orphans_used
    above: 0.5
YAML
"$COLLECTOR" -c "$cfg" --check-config >/dev/null || fail "the test's config is refused"

# The population: a listener that never accepts (backlog 4) and one that
# accepts everything; 50 clients at the first, then one every 0.1 s, 10 at
# the second. It holds until its stdin closes.
cat >"$TT_TMP/flood.py" <<'PY'
import socket, sys, threading, time
a = socket.socket(); a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
a.bind(("127.0.0.1", 9100)); a.listen(4)
b = socket.socket(); b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
b.bind(("127.0.0.1", 9200)); b.listen(128)
held = []
def accept_all():
    while True:
        c, _ = b.accept()
        held.append(c)
threading.Thread(target=accept_all, daemon=True).start()
clients = []
for port, n in ((9100, 50), (9200, 10)):
    for i in range(n):
        c = socket.socket(); c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        clients.append(c)
def keep_flooding():
    while True:
        time.sleep(0.1)
        c = socket.socket(); c.setblocking(False)
        try:
            c.connect(("127.0.0.1", 9100))
        except BlockingIOError:
            pass
        clients.append(c)
threading.Thread(target=keep_flooding, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
PY
mkfifo "$TT_TMP/flood.in" "$TT_TMP/flood.out"
ip netns exec "$TT_NS" python3 "$TT_TMP/flood.py" <"$TT_TMP/flood.in" >"$TT_TMP/flood.out" &
TT_PIDS+=($!)
exec {flood_in}>"$TT_TMP/flood.in"
read -r line <"$TT_TMP/flood.out" || fail "the flood did not start"
sleep 2	# the handshakes in, the overflowing SYNs retried at 1 s

echo "--- the collector samples the flood, context on"
in_ns "$COLLECTOR" -c "$cfg" --samples 4 -q || fail "--samples 4 exited $?"
last=$(q "SELECT max(ts) FROM sample WHERE (flags & 4) = 0")
row() { q "SELECT listeners, queued, backlog, max_fill, full FROM listen_queues
	WHERE grp = '$1' AND ts = $last" | tr '|' ' '; }
read -r fl fq fb ff ffull <<<"$(row flooded)"
read -r hl hq hb hf hfull <<<"$(row healthy)"
# ss for listeners: Recv-Q is the accept queue, Send-Q the backlog
read -r sq ssq <<<"$(in_ns ss -Hltn 'sport = :9100' | awk '{ print $2, $3 }')"
read -r hsq hssq <<<"$(in_ns ss -Hltn 'sport = :9200' | awk '{ print $2, $3 }')"
echo "    flooded: listeners $fl queued $fq backlog $fb fill $ff full $ffull; ss Recv-Q $sq Send-Q $ssq"
echo "    healthy: listeners $hl queued $hq backlog $hb fill $hf full $hfull; ss Recv-Q $hsq Send-Q $hssq"
assert_eq "$fl $fq $fb $ff $ffull" "1 $sq $ssq 1.0 1" "the flooded group: listeners queued backlog fill full"
assert_eq "$sq $ssq" "5 4" "ss: a listen(fd, 4) holds 5"
assert_eq "$hl $hq $hb $hf $hfull" "1 $hsq $hssq 0.0 0" "the healthy group"
assert_eq "$(q "SELECT listeners, full FROM listen_queues WHERE grp = 'all' AND ts = $last" | tr '|' ' ')" \
	"2 1" "group all: both listeners, one full"

echo "--- the kernel's counters: stored as /proc/net/netstat has them, with a rate"
proc=$(in_ns awk '/^TcpExt:/ { if (!n) { for (i = 2; i <= NF; i++) h[i] = $i; n = 1 }
	else for (i = 2; i <= NF; i++) if (h[i] == "ListenOverflows") print $i }' /proc/net/netstat)
stored=$(q "SELECT value FROM kernel_counters WHERE name = 'ListenOverflows' AND ts = $last")
first=$(q "SELECT value FROM kernel_counters WHERE name = 'ListenOverflows' ORDER BY ts LIMIT 1")
echo "    ListenOverflows: first sample $first, last $stored, /proc/net/netstat now $proc"
[ "$stored" -gt 0 ] && [ "$stored" -le "$proc" ] && [ "$first" -le "$stored" ] ||
	fail "ListenOverflows stored $first .. $stored, /proc now $proc"
if command -v nstat >/dev/null; then
	n=$(in_ns nstat -az TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }')
	[ "$n" = "$proc" ] || [ "$n" -ge "$stored" ] || fail "nstat $n, stored $stored"
fi
rate=$(q "SELECT max(per_sec) FROM kernel_rates WHERE name = 'ListenOverflows'")
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "no positive ListenOverflows rate: '$rate'"
echo "    the highest ListenOverflows rate: $rate/s"
assert_eq "$(q "SELECT count(*) FROM kernel_limits WHERE name = 'somaxconn'")" 1 "somaxconn stored once"

echo "--- check names both rules, and not the healthy queue"
rc=0
"$REPORT" -c "$cfg" check >"$TT_TMP/check.out" 2>&1 || rc=$?
cat "$TT_TMP/check.out" | sed 's/^/    /'
assert_eq "$rc" 2 "check exit code (queue-full is critical)"
grep -q "^CRITICAL queue-full: host it-listen, group flooded, LISTEN fill 100% > 90%" \
	"$TT_TMP/check.out" || fail "queue-full not named"
grep -q "^WARNING overflows: host it-listen, ListenOverflows rate .*/s > 0.0167/s" \
	"$TT_TMP/check.out" || fail "overflows not named"
! grep -q "^[A-Z]* healthy-queue" "$TT_TMP/check.out" || fail "the healthy queue fired"
# tcp_max_orphans is the machine's: a collector in another namespace cannot see it
grep -q "^UNKNOWN orphans: host it-listen, no orphans_used: tcp_orphan or tcp_max_orphans is not stored" \
	"$TT_TMP/check.out" || fail "orphans_used without its limit is not UNKNOWN"
grep -q "'flooded_LISTEN_fill'=1;;0.9" "$TT_TMP/check.out" || fail "perfdata of the fill"

echo "--- listeners"
"$REPORT" -c "$cfg" listeners >"$TT_TMP/listeners.out" || fail "listeners exited $?"
sed 's/^/    /' "$TT_TMP/listeners.out"
grep -qE "^flooded +1 +5 +4 +1\.00 +1\.00 +[0-9T:Z-]+ +1$" "$TT_TMP/listeners.out" ||
	fail "listeners: the flooded group"
grep -qE "^healthy +1 +0 +128 +0\.00 +0\.00 +n/a +0$" "$TT_TMP/listeners.out" ||
	fail "listeners: the healthy group"
grep -qE "^the kernel \(whole host, not per listener\): ListenOverflows [0-9.e+]+/s, ListenDrops" \
	"$TT_TMP/listeners.out" || fail "listeners: the kernel's rates"
# CSV carries them on every row, with the peak's time only where a queue filled
"$REPORT" -c "$cfg" listeners --format csv >"$TT_TMP/listeners.csv" || fail "listeners csv"
assert_eq "$(head -1 "$TT_TMP/listeners.csv")" \
	"group,time,listeners,queued,backlog,fill,peak_fill,peak_time,full,overflows_per_sec,drops_per_sec" \
	"listeners CSV header"
grep -qE "^healthy,[^,]+,1,0,128,0\.0000,0\.0000,,0,[0-9.e+]+,[0-9.e+]+$" "$TT_TMP/listeners.csv" ||
	{ cat "$TT_TMP/listeners.csv"; fail "listeners CSV: the healthy group"; }
echo "OK: a flooded listener, end to end"
