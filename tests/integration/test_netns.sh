#!/usr/bin/env bash
# One collector samples several network namespaces (`namespaces:`), each
# under its own label. Three namespaces bound under /run/netns (name:GLOB),
# each with its own population (IPv4 and IPv6, LISTEN, ESTABLISHED,
# CLOSE_WAIT, FIN_WAIT2, TIME_WAIT), plus the collector's own: after --once,
# every namespace's state_counts equal ss run in that namespace, for `all`
# and for a port group. Then, with the collector as a daemon, a namespace
# deleted between two samples ends (one log line, its samples stay) and one
# added is picked up (one log line). pid:N samples the namespace of a
# process that no name binds, labelled by its cgroup (or its inode); `all`
# finds the test's namespaces and counts the one bound under /run/netns and
# held by processes once, under its name.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tt_netns
TT_DB="$TT_TMP/ns.db"
pfx="ttns-$$"
NS_MADE=()
UNSHARED=""
cleanup_ns() {
	local n
	[ -n "$UNSHARED" ] && kill "$UNSHARED" 2>/dev/null
	for n in "${NS_MADE[@]}"; do
		ip netns del "$n" 2>/dev/null || true
	done
	tt_cleanup
}
trap cleanup_ns EXIT

new_ns() {	# name: a namespace bound under /run/netns, lo up, fd00::2
	ip netns add "$1" || fail "ip netns add $1"
	NS_MADE+=("$1")
	ip -n "$1" link set lo up
	ip -n "$1" -6 addr add fd00::2/128 dev lo nodad
}

cfg="$TT_TMP/tcptally.yaml"
write_cfg() {	# namespaces list, interval
	cat >"$cfg" <<YAML
database: $TT_DB
interval: ${2:-10s}
host: it-ns
breakdown: { cgroups: 0, peers: 0 }
namespaces: $1
groups:
  - name: srv
    local_ports: ["8000-8015"]
YAML
}

# Counts per state from ss in namespace $1 (a /run/netns name, or /proc/PID/ns/net), filter $2...
ss_in() {
	local ns=$1
	shift
	case $ns in
	/*) nsenter --net="$ns" ss -Htan "$@" ;;
	*) ip netns exec "$ns" ss -Htan "$@" ;;
	esac | awk -v names="${SS_STATES[*]}" '
		BEGIN { n = split(names, s, " "); for (i = 1; i <= n; i++) c[s[i]] = 0 }
		{ c[$1]++ }
		END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), c[s[i]]; print "" }'
}
# The same from the database: netns $1, group $2, at that namespace's newest sample.
db_in() {
	local st out=""
	for st in "${TT_STATES[@]}"; do
		out+="$(q "SELECT count FROM state_counts WHERE netns = '$1' AND grp = '$2'
			AND state = '$st' AND ts = (SELECT max(s.ts) FROM sample AS s JOIN host AS h
			ON h.id = s.host WHERE h.netns = '$1' AND (s.flags & 4) = 0)") "
	done
	echo "${out% }"
}

echo "--- three namespaces ($pfx-a, -b, -c) and the collector's own, each its population"
for n in a b c; do
	new_ns "$pfx-$n"
done
populate_in() {	# namespace, args...
	local saved=$TT_NS
	TT_NS=$1
	shift
	tt_populate --src6 ::1,fd00::2 "$@"
	TT_NS=$saved
}
populate_in "$TT_NS" --listen 1 --established 40 --close-wait 5 --time-wait 5 --v6 20
populate_in "$pfx-a" --listen 5 --established 400 --close-wait 30 --time-wait 40 --v6 20
populate_in "$pfx-b" --listen 3 --established 200 --close-wait 60 --time-wait 20 --v6 50
populate_in "$pfx-c" --listen 2 --established 100 --close-wait 10 --time-wait 10 --v6 0 \
	--port-base 8010

NSES=("$TT_NS" "$pfx-a" "$pfx-b" "$pfx-c")
label_of() { [ "$1" = "$TT_NS" ] && echo host || echo "$1"; }
snapshot() {
	local n
	for n in "${NSES[@]}"; do
		echo "$n all $(ss_in "$n")"
		echo "$n srv $(ss_in "$n" "( sport >= :8000 and sport <= :8015 )")"
	done
}
write_cfg "[host, \"name:$pfx-*\"]"
once_while_still "$cfg"
before=$TT_STILL

assert_eq "$(q "SELECT name || '|' || netns FROM host ORDER BY id")" \
	"$(printf 'it-ns|host\nit-ns|%s\nit-ns|%s\nit-ns|%s' "$pfx-a" "$pfx-b" "$pfx-c")" \
	"one host row per namespace"
printf '    %-14s %-4s %s\n' namespace grp "${TT_STATES[*]}"
compared=0
for n in "${NSES[@]}"; do
	for g in all srv; do
		want=$(echo "$before" | awk -v n="$n" -v g="$g" '$1 == n && $2 == g { $1 = $2 = ""; sub(/^  /, ""); print }')
		got=$(db_in "$(label_of "$n")" "$g")
		assert_eq "$got" "$want" "netns $(label_of "$n"), group $g: the collector against ss"
		printf '    %-14s %-4s %s\n' "$(label_of "$n")" "$g" "$got"
		compared=$((compared + 11))
	done
done
# each population differs, so no namespace's counts are another's
[ "$(echo "$before" | awk '$2 == "all" { $1 = ""; print }' | sort -u | wc -l)" = 4 ] ||
	fail "two namespaces have the same counts: the test cannot tell them apart"
for n in a b c; do
	v6=$(ip netns exec "$pfx-$n" ss -Htan -6 | wc -l)
	v4=$(ip netns exec "$pfx-$n" ss -Htan -4 | wc -l)
	[ "$n" = c ] || [ "$v6" -gt 0 ] || fail "$pfx-$n has no IPv6 socket"
	[ "$v4" -gt 0 ] || fail "$pfx-$n has no IPv4 socket"
done
echo "    $compared counts of 4 namespaces x 2 groups equal ss"
# the kernel's context is each namespace's own: its TCP ActiveOpens, which
# nothing moves once the populations are up
opens() { ip netns exec "$1" awk '/^Tcp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
for n in "${NSES[@]}"; do
	assert_eq "$(q "SELECT value FROM kernel_counters WHERE netns = '$(label_of "$n")'
		AND name = 'ActiveOpens' ORDER BY ts DESC LIMIT 1")" "$(opens "$n")" \
		"netns $(label_of "$n"): ActiveOpens, the namespace's own"
done
[ "$(for n in "${NSES[@]}"; do opens "$n"; done | sort -u | wc -l)" = 4 ] ||
	fail "two namespaces have the same ActiveOpens: the test cannot tell them apart"
echo "    the kernel context of each namespace is its own (ActiveOpens $(for n in "${NSES[@]}"; do printf '%s ' "$(opens "$n")"; done))"

echo "--- the report: --netns '$pfx-*' now, and check naming the namespace"
cat >>"$cfg" <<YAML
thresholds:
  - name: cw-high
    state: CLOSE_WAIT
    above: 50
    severity: critical
YAML
"$REPORT" -c "$cfg" --netns "$pfx-*" now >"$TT_TMP/now.out" || fail "now --netns exited $?"
sed 's/^/    /' "$TT_TMP/now.out" | sed -n '1,20p'
for n in a b c; do
	grep -q "^it-ns/$pfx-$n " "$TT_TMP/now.out" || fail "now --netns: no line of $pfx-$n"
done
! grep -q "^it-ns " "$TT_TMP/now.out" || fail "now --netns '$pfx-*' shows the host's own namespace"
rc=0
"$REPORT" -c "$cfg" check >"$TT_TMP/check.out" || rc=$?
sed 's/^/    /' "$TT_TMP/check.out"
assert_eq "$rc" 2 "check: CLOSE_WAIT above 50 in $pfx-b (60)"
assert_eq "$(grep -c '^CRITICAL' "$TT_TMP/check.out")" 1 "check: findings (only $pfx-b passes 50)"
grep -q "^CRITICAL cw-high: host it-ns, netns $pfx-b, group all, CLOSE_WAIT 60 > 50" "$TT_TMP/check.out" ||
	fail "check does not name the namespace: $(cat "$TT_TMP/check.out")"
rc=0
"$REPORT" -c "$cfg" --netns "$pfx-a" check >/dev/null || rc=$?
assert_eq "$rc" 0 "check --netns $pfx-a (30 CLOSE_WAIT)"

echo "--- as a daemon: $pfx-c deleted between two samples, $pfx-d added"
write_cfg "[host, \"name:$pfx-*\"]" 1s
log="$TT_TMP/daemon.log"
ip netns exec "$TT_NS" "$COLLECTOR" -c "$cfg" -v >"$log" 2>&1 &
daemon=$!
TT_PIDS+=("$daemon")
samples_of() { q "SELECT count(*) FROM sample AS s JOIN host AS h ON h.id = s.host
	WHERE h.netns = '$1' AND (s.flags & 4) = 0"; }
c0=$(samples_of "$pfx-c")
wait_for 20 sh -c "[ \$(sqlite3 '$TT_DB' \"SELECT count(*) FROM sample AS s JOIN host AS h ON h.id = s.host WHERE h.netns = '$pfx-c'\") -ge $((c0 + 2)) ]" ||
	fail "the daemon did not sample $pfx-c: $(cat "$log")"
ip netns del "$pfx-c"
new_ns "$pfx-d"
ip netns exec "$pfx-d" python3 -c '
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 8001)); l.listen(8)
c = socket.create_connection(("127.0.0.1", 8001)); s, _ = l.accept()
print("ready", flush=True); time.sleep(120)' >"$TT_TMP/d.out" &
TT_PIDS+=($!)
wait_for 10 grep -q ready "$TT_TMP/d.out" || fail "the population of $pfx-d did not start"
c_gone=$(samples_of "$pfx-c")
wait_for 20 sh -c "[ \$(sqlite3 '$TT_DB' \"SELECT count(*) FROM sample AS s JOIN host AS h ON h.id = s.host WHERE h.netns = '$pfx-d'\") -ge 3 ]" ||
	fail "the daemon did not pick up $pfx-d: $(cat "$log")"
sleep 1.5
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM: $(cat "$log")"
assert_eq "$(grep -c "netns $pfx-c: gone" "$log")" 1 "log lines saying $pfx-c is gone"
assert_eq "$(grep -c "netns $pfx-d: found" "$log")" 1 "log lines saying $pfx-d is found"
grep "netns $pfx-c: gone\|netns $pfx-d: found" "$log" | sed 's/^/    /'
# c's samples stay, and none came after it went; d's counts are its own
assert_eq "$(samples_of "$pfx-c")" "$c_gone" "$pfx-c: samples after it went"
[ "$c_gone" -ge $((c0 + 2)) ] || fail "$pfx-c: its samples did not stay ($c_gone)"
assert_eq "$(db_in "$pfx-d" all)" "$(ss_in "$pfx-d")" "$pfx-d: the collector against ss"
[ "$(samples_of host)" -ge 4 ] || fail "the daemon's own namespace: $(samples_of host) samples"
! grep -qi "error\|cannot" "$log" || fail "the daemon complained: $(grep -i "error\|cannot" "$log")"
echo "    $pfx-c: $c_gone samples kept; $pfx-d: $(samples_of "$pfx-d") samples, equal to ss"

echo "--- pid:N: a process's namespace that no name binds"
unshare --net sh -c 'ip link set lo up && exec python3 -c "
import socket, time
l = socket.socket(); l.bind((\"127.0.0.1\", 8002)); l.listen(8)
cs = [socket.create_connection((\"127.0.0.1\", 8002)) for i in range(3)]
ss = [l.accept()[0] for i in range(3)]
for s in ss: s.shutdown(socket.SHUT_WR)
print(\"ready\", flush=True); time.sleep(120)"' >"$TT_TMP/u.out" &
UNSHARED=$!
wait_for 10 grep -q ready "$TT_TMP/u.out" || fail "the unshared population did not start"
uino=$(readlink "/proc/$UNSHARED/ns/net" | tr -dc 0-9)
ucg=$(awk -F'::' '/^0::/ { print $2 }' "/proc/$UNSHARED/cgroup")
case $ucg in "" | /) ulabel="netns:$uino" ;; *) ulabel=$ucg ;; esac
write_cfg "[\"pid:$UNSHARED\"]"
in_ns "$COLLECTOR" -c "$cfg" --once -q || fail "--once with pid:$UNSHARED exited $?"
assert_eq "$(q "SELECT count(*) FROM host WHERE netns = '$ulabel'")" 1 "the row of pid:$UNSHARED's namespace, '$ulabel'"
assert_eq "$(db_in "$ulabel" all)" "$(ss_in "/proc/$UNSHARED/ns/net")" "pid:$UNSHARED: the collector against ss"
echo "    pid:$UNSHARED -> '$ulabel': $(db_in "$ulabel" all)"

echo "--- all: every namespace, each once; one bound and held by processes under its name"
write_cfg "[all]"
in_ns "$COLLECTOR" -c "$cfg" --once -q 2>"$TT_TMP/all.err" || fail "--once with all exited $?: $(cat "$TT_TMP/all.err")"
last=$(q "SELECT max(ts) FROM sample")
for n in "$pfx-a" "$pfx-b" "$pfx-d" "$ulabel" host; do
	assert_eq "$(q "SELECT count(*) FROM sample AS s JOIN host AS h ON h.id = s.host
		WHERE h.netns = '$n' AND s.ts = $last")" 1 "all: one sample of '$n'"
done
aino=$(stat -L -c %i "/run/netns/$pfx-a")
assert_eq "$(q "SELECT count(*) FROM host WHERE netns = 'netns:$aino'")" 0 \
	"all: $pfx-a (inode $aino, held by populate's processes too) under no other label"
assert_eq "$(db_in "$pfx-a" all)" "$(ss_in "$pfx-a")" "all: $pfx-a against ss"
echo "    all: $(q "SELECT count(*) FROM sample WHERE ts = $last") namespaces in one sample;" \
	"$pfx-a once, under its name"
echo "--- --import with the netns column: each row into its namespace's host row"
TT_DB="$TT_TMP/imp.db"
printf 'database: %s\nhost: it-ns\n' "$TT_DB" >"$TT_TMP/imp.yaml"
{
	echo "ts,host,group,state,count,netns"
	echo "1795000000,it-ns,all,ESTABLISHED,7,host"
	echo "1795000000,it-ns,all,ESTABLISHED,11,ttns-x"
	echo "1795000000,it-ns,all,CLOSE_WAIT,3,/pod.slice/c1.scope"
	echo "1795000010,it-ns,all,ESTABLISHED,12,ttns-x"
} >"$TT_TMP/ns.csv"
"$COLLECTOR" -c "$TT_TMP/imp.yaml" --import "$TT_TMP/ns.csv" -q || fail "--import with netns exited $?"
assert_eq "$(q "SELECT netns, ts, count FROM state_counts WHERE grp = 'all' AND
	(state = 'ESTABLISHED' AND count > 0 OR state = 'CLOSE_WAIT' AND count > 0) ORDER BY netns, ts")" \
	"$(printf '/pod.slice/c1.scope|1795000000|3\nhost|1795000000|7\nttns-x|1795000000|11\nttns-x|1795000010|12')" \
	"imported rows, each in its namespace"
assert_eq "$(q "SELECT count(*) FROM host")" 3 "host rows after the import: one per namespace"
printf 'ts,host,group,state,count,netns\n1795000020,it-ns,all,ESTABLISHED,1,\n' >"$TT_TMP/bad.csv"
rc=0
"$COLLECTOR" -c "$TT_TMP/imp.yaml" --import "$TT_TMP/bad.csv" 2>"$TT_TMP/bad.err" || rc=$?
assert_eq "$rc" 2 "--import of an empty netns"
grep -q "bad.csv:2: netns is not 1 to 255 bytes" "$TT_TMP/bad.err" || fail "bad netns: $(cat "$TT_TMP/bad.err")"
echo "    4 rows into 3 namespaces; an empty netns refused: $(cat "$TT_TMP/bad.err")"

echo "--- as nobody, without capabilities: $pfx-a cannot be entered, said once; ours is stored"
getent passwd nobody >/dev/null || fail "no user nobody"
NOBODY=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups --inh-caps=-all
	--bounding-set=-all)
chmod 0711 "$TT_TMP"
bin="$COLLECTOR"
if ! "${NOBODY[@]}" test -x "$bin"; then
	mkdir -m 0755 "$TT_TMP/bin"
	cp "$COLLECTOR" "$TT_TMP/bin/"
	bin="$TT_TMP/bin/$(basename "$COLLECTOR")"
fi
own="$TT_TMP/nobody"
mkdir -m 0700 "$own"
chown nobody "$own"
TT_DB="$own/n.db"
write_cfg "[host, \"name:$pfx-a\"]" 1s
in_ns "${NOBODY[@]}" "$bin" -c "$cfg" --samples 2 2>"$TT_TMP/nobody.err" ||
	fail "the collector as nobody exited $?: $(cat "$TT_TMP/nobody.err")"
assert_eq "$(grep -c "netns $pfx-a: cannot enter it" "$TT_TMP/nobody.err")" 1 \
	"lines saying $pfx-a cannot be entered"
grep "netns $pfx-a: cannot enter it" "$TT_TMP/nobody.err" | sed 's/^/    /'
assert_eq "$(samples_of host)" 2 "samples of the collector's own namespace, as nobody"
assert_eq "$(samples_of "$pfx-a")" 0 "samples of $pfx-a, as nobody"
echo "OK: namespaces sampled each on its own, equal to ss"
