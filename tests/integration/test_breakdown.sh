#!/usr/bin/env bash
# Whose sockets are they: in a private namespace, three cgroup v2 groups own
# the populations. `leak` holds 300 connections its peers have closed (300
# CLOSE_WAIT; the clients' 300 FIN_WAIT2 are `client`'s), `healthy` holds 200
# ESTABLISHED (plus a few over IPv6 and v4-mapped IPv6) and a server that
# the clients close first: 600 of their sockets toward 127.0.0.1:9500, in
# TIME_WAIT, with ip_local_port_range 40000-40999 (60% of its 1,000 ports
# taken by one peer). Then:
# - every group x state's breakdown rows, cgroup and peer alike, add up to its
#   count in state_counts, at every sample;
# - the stored breakdown (cgroup path or (kernel), peer and direction, count,
#   port share) equals what `ss -tan --cgroup` sees, for `all` and two groups;
# - who --state CLOSE_WAIT names the leak cgroup first, 300 now; who --state
#   TIME_WAIT names (kernel); peers --state TIME_WAIT --direction out names
#   127.0.0.1:9500 with ss's count, and port_shares has it on top;
# - check with peer_port_share_above: 0.5 is CRITICAL and names the peer;
# - with owners.close_wait_above 100, as root, owners names the leak's
#   process, its cgroup and its 300 sockets; as nobody, one line says which
#   capabilities are missing, and the sample is stored all the same.
# The collector and ss run under nsenter --net, not ip netns exec: the latter
# remounts /sys, which hides the cgroup2 mount they resolve cgroup ids with.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v python3 >/dev/null || skip_or_fail "python3 not installed"
command -v nsenter >/dev/null || skip_or_fail "nsenter (util-linux) not installed"

# The cgroups made here, removed (children first) once our processes are gone.
BD_CGROUPS=()
bd_cleanup() {
	local i d n
	tt_cleanup
	for ((i = ${#BD_CGROUPS[@]} - 1; i >= 0; i--)); do
		d=${BD_CGROUPS[i]}
		for ((n = 0; n < 20; n++)); do
			rmdir "$d" 2>/dev/null || [ ! -d "$d" ] && break
			sleep 0.1
		done
		[ ! -d "$d" ] || echo "cleanup: cannot remove the cgroup $d" >&2
	done
}
trap bd_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tt_netns
# The namespace as a file, for nsenter: the collector, ss and the populations
# keep this mount namespace, and with it the cgroup2 mount.
TT_NETNS_FILE=/run/netns/$TT_NS
[ -e "$TT_NETNS_FILE" ] || fail "ip netns add made no $TT_NETNS_FILE"
in_nsn() {
	nsenter --net="$TT_NETNS_FILE" "$@"
}
in_nsn ss -Htan --cgroup >/dev/null 2>&1 || skip_or_fail "this ss has no --cgroup (iproute2 >= 5.7)"

echo "--- cgroups: tcptally-it.$$/{leak,healthy,client} under the cgroup2 mount"
cgmnt=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' \
	/proc/self/mountinfo)
[ -n "$cgmnt" ] || skip_or_fail "no cgroup2 mount in /proc/self/mountinfo"
cgrel=/tcptally-it.$$	# cgroup paths as stored: relative to the mount
err=$(mkdir "$cgmnt$cgrel" 2>&1) || skip_or_fail "cannot create a cgroup under $cgmnt: $err"
BD_CGROUPS+=("$cgmnt$cgrel")
for c in leak healthy client; do
	mkdir "$cgmnt$cgrel/$c" || fail "cannot create the cgroup $cgmnt$cgrel/$c"
	BD_CGROUPS+=("$cgmnt$cgrel/$c")
done
echo "    $cgmnt$cgrel"

# Per network namespace: 1,000 ephemeral ports; no reuse of TIME_WAIT ports
# for new connections (tcp_tw_reuse 2, the default, reuses them on loopback);
# and TIME_WAIT that a RST does not end (RFC 1337). Without that, a few of the
# 600 die young: on loopback a late delayed ACK from the server side draws the
# client's TIME_WAIT ACK, which the server, closed by then, answers with a RST
# (seen: 541 of 600 left, one RST per missing socket), and the freed port is
# even used again toward 127.0.0.1:9500.
in_nsn sysctl -q -w net.ipv4.ip_local_port_range="40000 40999" net.ipv4.tcp_tw_reuse=0 \
	net.ipv4.tcp_rfc1337=1 || fail "cannot set the namespace's sysctls"
read -r port_lo port_hi < <(in_nsn cat /proc/sys/net/ipv4/ip_local_port_range)
assert_eq "$port_lo $port_hi" "40000 40999" "the namespace's ip_local_port_range"

# The populations: one process per cgroup, each moves itself into its cgroup
# (argv[1], its cgroup.procs) before it opens a socket; a socket belongs to
# the cgroup of the process that made it, an accepted one to its listener's.
#   leak:    127.0.0.1:9300, accepts everything, never reads nor closes
#   healthy: 127.0.0.1:9400 and [::1]:9600 hold what they accept; [::]:9700
#            (dual-stack) too; 127.0.0.1:9500 reads to EOF, then closes
#   client:  300 to 9300 then shutdown(SHUT_WR): CLOSE_WAIT there, FIN_WAIT2
#            here (not orphaned: no fin timeout); 200 to 9400, 5 to [::1]:9600,
#            5 to 127.0.0.1:9700 (v4-mapped on the server), held; 600 to 9500,
#            each closed first, so the TIME_WAIT is on this side
# Each prints "ready" and holds until its stdin closes.
cat >"$TT_TMP/pop.py" <<'PY'
import os, socket, struct, sys, threading

with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
role = sys.argv[2]
held = []

def listener(family, addr, port, v6only=True):
    s = socket.socket(family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    s.listen(1024)
    held.append(s)
    return s

def hold_all(s):
    while True:
        c, _ = s.accept()
        held.append(c)

def close_at_eof(s):
    while True:
        c, _ = s.accept()
        while c.recv(4096):
            pass
        c.close()

def serve(target, s):
    threading.Thread(target=target, args=(s,), daemon=True).start()

def connect(family, addr, port):
    c = socket.socket(family)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    c.connect((addr, port))
    return c

if role == "leak":
    serve(hold_all, listener(socket.AF_INET, "127.0.0.1", 9300))
elif role == "healthy":
    serve(hold_all, listener(socket.AF_INET, "127.0.0.1", 9400))
    serve(close_at_eof, listener(socket.AF_INET, "127.0.0.1", 9500))
    serve(hold_all, listener(socket.AF_INET6, "::1", 9600))
    serve(hold_all, listener(socket.AF_INET6, "::", 9700, v6only=False))
elif role == "client":
    for i in range(300):
        c = connect(socket.AF_INET, "127.0.0.1", 9300)
        c.shutdown(socket.SHUT_WR)
        held.append(c)
    for i in range(200):
        held.append(connect(socket.AF_INET, "127.0.0.1", 9400))
    for i in range(5):
        held.append(connect(socket.AF_INET6, "::1", 9600))
        held.append(connect(socket.AF_INET, "127.0.0.1", 9700))
    for i in range(600):
        connect(socket.AF_INET, "127.0.0.1", 9500).close()
else:
    sys.exit("unknown role " + role)
print("ready", flush=True)
sys.stdin.read()
PY

# Start one population in cgroup $1 (not in a subshell: $! is python, as
# nsenter execs it); wait for its ready line.
bd_start() {
	local cg=$1 in="$TT_TMP/$1.in" out="$TT_TMP/$1.out" fd line
	mkfifo "$in" "$out"
	nsenter --net="$TT_NETNS_FILE" python3 "$TT_TMP/pop.py" "$cgmnt$cgrel/$cg/cgroup.procs" "$cg" \
		<"$in" >"$out" &
	TT_PIDS+=($!)
	exec {fd}>"$in"
	read -r line <"$out" || fail "the $cg population did not start"
	assert_eq "$line" ready "the $cg population's first line"
	assert_eq "$(cat "$cgmnt$cgrel/$cg/cgroup.procs")" "$!" "the $cg cgroup's processes"
}
ss_n() {
	in_nsn ss -Htan "$@" | wc -l
}
# Port 9500's closes done: its listener, and each of the 600 client sockets
# in TIME_WAIT, or, rarely, left in FIN_WAIT2 (for tcp_fin_timeout, 60 s) by
# a race on loopback (seen once in some 20 runs: 1 of the 600); nothing else.
closed_9500() {
	in_nsn ss -Htan '( sport = :9500 or dport = :9500 )' | awk '
		$1 == "LISTEN" { l++; next }
		($1 == "TIME-WAIT" || $1 == "FIN-WAIT-2") && $5 ~ /:9500$/ { done++; next }
		{ other++ }
		END { exit !(l == 1 && done == 600 && other == 0) }'
}
# Every socket where it should be: the clients' close handshakes done.
settled() {
	[ "$(ss_n state close-wait 'sport = :9300')" = 300 ] &&
	[ "$(ss_n state fin-wait-2 'dport = :9300')" = 300 ] &&
	[ "$(ss_n state established '( sport = :9400 or dport = :9400 )')" = 400 ] &&
	[ "$(ss_n state established '( sport = :9600 or dport = :9600 )')" = 10 ] &&
	[ "$(ss_n state established '( sport = :9700 or dport = :9700 )')" = 10 ] &&
	closed_9500
}

echo "--- populations"
bd_start leak
leak_pid=$!
bd_start healthy
bd_start client
wait_for 20 settled || {
	in_nsn ss -tan | awk 'NR > 1 { print $1 }' | sort | uniq -c
	in_nsn nstat -as 2>/dev/null | grep -E '^Tcp(OutRsts|ActiveOpens|ExtTW)' || true
	fail "the populations did not settle (the ss counts above)"
}

TT_DB="$TT_TMP/b.db"
host=it-breakdown
cfg="$TT_TMP/tcptally.yaml"
# interval 10s, not 1s: check is UNKNOWN once the newest sample is 3 intervals
# old, and the samples are --once ones, taken a few seconds before it runs.
cat >"$cfg" <<YAML
database: $TT_DB
interval: 10s
host: $host
breakdown:
  cgroups: 20
  peers: 20
groups:
  - { name: leak-srv, local_ports: [9300] }
  - { name: tw-peer, remote_ports: [9500] }
YAML
"$COLLECTOR" -c "$cfg" --check-config >/dev/null || fail "the test's config is refused"
# The ss filter of each group, for ss_breakdown.
declare -A filter=([all]="" [leak-srv]="sport = :9300" [tw-peer]="dport = :9500")

# What the breakdown view should hold for the ss filter given ($1, "" = every
# socket), one line per row, sorted: kind|key|direction|state|count|port_share
# cgroup: the path ss prints (cgroup:/...), or (kernel) where it prints none
# (TIME_WAIT, SYN_RECV). peer: by the local port in ip_local_port_range, out
# to REMOTE:RPORT, else in from REMOTE:LPORT; LISTEN is in, from 0.0.0.0 or
# [::]; v4-mapped IPv6 as IPv4. port_share for out: the sockets toward that
# peer in any state / the range's size; "-" for in and for cgroups.
ss_breakdown() {
	local f=()
	[ -z "$1" ] || f=("$1")
	{
		in_nsn ss -Htan -4 --cgroup "${f[@]}" | sed 's/^/4 /'
		in_nsn ss -Htan -6 --cgroup "${f[@]}" | sed 's/^/6 /'
	} | awk -v lo="$port_lo" -v hi="$port_hi" -v ssn="${SS_STATES[*]}" -v ttn="${TT_STATES[*]}" '
	BEGIN { n = split(ssn, a, " "); split(ttn, b, " "); for (i = 1; i <= n; i++) name[a[i]] = b[i] }
	function host(s, fam) {
		if (s == "*")
			return fam == 6 ? "[::]" : "0.0.0.0"
		if (s ~ /^\[::ffff:[0-9.]+\]$/)
			return substr(s, 9, length(s) - 9)
		return s
	}
	# $1 family, $2 state, $5 local, $6 peer, $7 cgroup:PATH if any
	{
		fam = $1
		st = name[$2]
		if (st == "") { print "ss state " $2 " unknown" > "/dev/stderr"; exit 1 }
		i = match($5, /:[^:]*$/); lport = substr($5, i + 1)
		i = match($6, /:[^:]*$/); raddr = host(substr($6, 1, i - 1), fam); rport = substr($6, i + 1)
		cg = $7 ~ /^cgroup:/ ? substr($7, 8) : "(kernel)"
		c["cgroup|" cg "|-|" st]++
		if (st != "LISTEN" && lport + 0 >= lo && lport + 0 <= hi) {
			k = raddr ":" rport
			c["peer|" k "|out|" st]++
			out[k]++
		} else
			c["peer|" raddr ":" lport "|in|" st]++
	}
	END {
		for (r in c) {
			split(r, p, "|")
			share = "-"
			if (p[3] == "out")
				share = sprintf("%.6f", out[p[2]] / (hi - lo + 1))
			print r "|" c[r] "|" share
		}
	}' | LC_ALL=C sort
}
snapshot() {
	local g
	for g in all leak-srv tw-peer; do
		ss_breakdown "${filter[$g]}" | sed "s/^/$g|/"
	done
}
# The same rows from the database: group $1 at sample $2, the non-zero ones.
db_breakdown() {
	q "SELECT kind || '|' || key || '|' || coalesce(direction, '-') || '|' || state || '|' || count
		|| '|' || CASE WHEN port_share IS NULL THEN '-' ELSE printf('%.6f', port_share) END
		FROM breakdown WHERE ts = $2 AND host = '$host' AND grp = '$1' AND count > 0" | LC_ALL=C sort
}

echo "--- three samples"
TT_IN=in_nsn	# once_while_still's collector under nsenter (see the top)
once_while_still "$cfg"
sleep 1
once_while_still "$cfg"
sleep 1
once_while_still "$cfg"
still=$TT_STILL
last=$(q "SELECT max(ts) FROM sample WHERE (flags & 4) = 0")
assert_eq "$(q "SELECT count(*) FROM sample WHERE (flags & 4) = 0")" 3 "samples stored"

# ss, as the newest sample saw it (the snapshot held before and after it)
echo "--- ss -tan --cgroup in the namespace, per cgroup and state (group all)"
echo "$still" | awk -F'|' '$1 == "all" && $2 == "cgroup" { printf "    %-28s %-12s %6d\n", $3, $5, $6 }'
# ss's count for group $1, kind $2, key $3, direction $4, state $5
ss_row() {
	echo "$still" | awk -F'|' -v g="$1" -v kind="$2" -v k="$3" -v d="$4" -v s="$5" \
		'$1 == g && $2 == kind && $3 == k && $4 == d && $5 == s { print $6 }'
}
# The populations as asked: the comparisons below are not vacuous.
assert_eq "$(ss_row all cgroup "$cgrel/leak" - CLOSE_WAIT)" 300 "ss: CLOSE_WAIT of the leak cgroup"
assert_eq "$(ss_row all peer 127.0.0.1:9300 in CLOSE_WAIT)" 300 "ss: CLOSE_WAIT from 127.0.0.1 to port 9300"
assert_eq "$(ss_row all peer 127.0.0.1:9300 out FIN_WAIT2)" 300 "ss: FIN_WAIT2 toward 127.0.0.1:9300"
[ "$(ss_row all cgroup "$cgrel/client" - FIN_WAIT2)" -ge 300 ] || fail "ss: FIN_WAIT2 of the client cgroup below 300"
assert_eq "$(ss_row all cgroup "$cgrel/healthy" - ESTABLISHED)" 210 "ss: ESTABLISHED of the healthy cgroup"
assert_eq "$(ss_row all cgroup "$cgrel/client" - ESTABLISHED)" 210 "ss: ESTABLISHED of the client cgroup"
assert_eq "$(ss_row all cgroup "$cgrel/healthy" - LISTEN)" 4 "ss: LISTEN of the healthy cgroup"
assert_eq "$(ss_row all cgroup "$cgrel/leak" - LISTEN)" 1 "ss: LISTEN of the leak cgroup"
tw=$(ss_row all peer 127.0.0.1:9500 out TIME_WAIT)
assert_eq "$(ss_row all cgroup "(kernel)" - TIME_WAIT)" "$tw" "ss: every TIME_WAIT is toward 127.0.0.1:9500"
[ "${tw:-0}" -ge 550 ] || fail "ss: only ${tw:-0} of the 600 sockets toward 127.0.0.1:9500 in TIME_WAIT"
# The port share counts them in any state: the rare FIN_WAIT2 too (closed_9500)
out_any=$(echo "$still" | awk -F'|' '$1 == "all" && $2 == "peer" && $3 == "127.0.0.1:9500" && $4 == "out" { n += $6 }
	END { print n + 0 }')
assert_eq "$out_any" 600 "ss: outbound sockets toward 127.0.0.1:9500 in any state"

echo "--- every group x state: the breakdown rows of each kind add up to state_counts, at every sample"
mism=$(q "WITH b AS (SELECT ts, grp, state, kind, sum(count) AS n FROM breakdown
		WHERE host = '$host' GROUP BY ts, grp, state, kind)
	SELECT s.ts || ' ' || s.grp || ' ' || s.state || ' ' || k.kind || ': state_counts ' || s.count
		|| ', breakdown rows ' || coalesce(b.n, 0)
	FROM state_counts s CROSS JOIN (SELECT 'cgroup' AS kind UNION ALL SELECT 'peer') k
	LEFT JOIN b ON b.ts = s.ts AND b.grp = s.grp AND b.state = s.state AND b.kind = k.kind
	WHERE s.host = '$host' AND s.count != coalesce(b.n, 0)")
[ -z "$mism" ] || fail "breakdown rows do not add up to state_counts:
$mism"
checked=$(q "SELECT count(*) FROM state_counts WHERE host = '$host'")
assert_eq "$checked" $((3 * 3 * 11)) "state_counts rows checked (3 samples x 3 groups x 11 states)"
assert_eq "$(q "SELECT count(DISTINCT ts || grp) FROM breakdown WHERE host = '$host' AND count > 0")" 9 \
	"samples x groups with breakdown rows"
assert_eq "$(q "SELECT count(*) FROM breakdown b WHERE host = '$host' AND NOT EXISTS (SELECT 1
	FROM state_counts s WHERE s.ts = b.ts AND s.host = b.host AND s.grp = b.grp AND s.state = b.state)")" 0 \
	"breakdown rows of no group x state"
assert_eq "$(q "SELECT count(*) FROM breakdown WHERE host = '$host' AND err != 0")" 0 \
	"rows with err != 0 (a small population is counted exactly)"
assert_eq "$(q "SELECT count(*) FROM breakdown WHERE host = '$host' AND key != '(other)' AND NOT (
	(kind = 'cgroup' AND direction IS NULL AND port_share IS NULL) OR
	(kind = 'peer' AND direction = 'in' AND port_share IS NULL) OR
	(kind = 'peer' AND direction = 'out'))")" 0 "rows with a kind, direction or port_share out of place"
echo "    $checked group x state x sample counts, each equal to its cgroup rows and its peer rows"

echo "--- the newest sample's breakdown equals ss's, per group"
for g in all leak-srv tw-peer; do
	want=$(echo "$still" | awk -F'|' -v g="$g" '$1 == g' | cut -d'|' -f2- | LC_ALL=C sort)
	got=$(db_breakdown "$g" "$last")
	if [ "$got" != "$want" ]; then
		echo "ss (kind|key|direction|state|count|port_share):" >&2
		echo "$want" | sed 's/^/    /' >&2
		echo "breakdown:" >&2
		echo "$got" | sed 's/^/    /' >&2
		echo "diff (< ss, > breakdown):" >&2
		diff <(echo "$want") <(echo "$got") >&2 || true
		fail "group $g: the breakdown differs from ss"
	fi
	echo "    $g: $(echo "$want" | wc -l) rows equal"
done
echo "$still" | awk -F'|' '$1 == "all" && $2 == "peer" {
	printf "    %-22s %-4s %-12s %6d  %s\n", $3, $4, $5, $6, $7 }'

# The first row of the table whose header's first word is $1 (not the title
# above it, "cgroups of CLOSE_WAIT in group all: ...").
first_row() {
	awk -v h="$1" 'seen && NF { print; exit } $1 == h { seen = 1 }'
}

echo "--- who --state CLOSE_WAIT: the leak cgroup first, 300 now"
"$REPORT" -c "$cfg" who --state CLOSE_WAIT >"$TT_TMP/who.out" || fail "who exited $?"
sed 's/^/    /' "$TT_TMP/who.out"
read -r wcg wnow wpeak _ <<<"$(first_row cgroup <"$TT_TMP/who.out")"
assert_eq "$wcg $wnow $wpeak" "$cgrel/leak 300 300" "who --state CLOSE_WAIT: first row's cgroup, now, peak"
assert_eq "$(grep -c "^$cgrel/" "$TT_TMP/who.out")" 1 "who --state CLOSE_WAIT: cgroups listed"

echo "--- who (the default state is CLOSE_WAIT) and who --group leak-srv: the same first row"
"$REPORT" -c "$cfg" who >"$TT_TMP/who-default.out" || fail "who (no options) exited $?"
read -r wcg wnow _ <<<"$(first_row cgroup <"$TT_TMP/who-default.out")"
assert_eq "$wcg $wnow" "$cgrel/leak 300" "who, default state: first row"
"$REPORT" -c "$cfg" who --group leak-srv --since 10m >"$TT_TMP/who-group.out" || fail "who --group exited $?"
read -r wcg wnow _ <<<"$(first_row cgroup <"$TT_TMP/who-group.out")"
assert_eq "$wcg $wnow" "$cgrel/leak 300" "who --group leak-srv: first row"

echo "--- who --state TIME_WAIT: (kernel) owns them"
"$REPORT" -c "$cfg" who --state TIME_WAIT >"$TT_TMP/who-tw.out" || fail "who --state TIME_WAIT exited $?"
sed 's/^/    /' "$TT_TMP/who-tw.out"
read -r wcg wnow _ <<<"$(first_row cgroup <"$TT_TMP/who-tw.out")"
assert_eq "$wcg $wnow" "(kernel) $tw" "who --state TIME_WAIT: first row"

echo "--- peers --state TIME_WAIT --direction out: 127.0.0.1:9500 first, $tw now"
"$REPORT" -c "$cfg" peers --state TIME_WAIT --direction out >"$TT_TMP/peers.out" || fail "peers exited $?"
sed 's/^/    /' "$TT_TMP/peers.out"
read -r ppeer pdir pnow _ <<<"$(first_row peer <"$TT_TMP/peers.out")"
assert_eq "$ppeer $pdir $pnow" "127.0.0.1:9500 out $tw" "peers: first row's peer, direction, now"
echo "--- peers --state ESTABLISHED (both directions)"
"$REPORT" -c "$cfg" peers --state ESTABLISHED >"$TT_TMP/peers-est.out" || fail "peers --state ESTABLISHED exited $?"
sed 's/^/    /' "$TT_TMP/peers-est.out"
awk '$1 == "127.0.0.1:9400" && $2 == "in" && $3 == 200 && $4 == 200 { n++ } END { exit n != 1 }' \
	"$TT_TMP/peers-est.out" || fail "peers --state ESTABLISHED: no inbound row for 127.0.0.1:9400, 200 now and at peak"
awk '$1 == "127.0.0.1:9400" && $2 == "out" && $3 == 200 && $4 == 200 { n++ } END { exit n != 1 }' \
	"$TT_TMP/peers-est.out" || fail "peers --state ESTABLISHED: no outbound row for 127.0.0.1:9400, 200 now and at peak"

echo "--- port shares: $out_any of the 1000 ports toward 127.0.0.1:9500 ($tw in TIME_WAIT)"
share=$(q "SELECT port_share FROM breakdown WHERE ts = $last AND host = '$host' AND grp = 'all'
	AND kind = 'peer' AND key = '127.0.0.1:9500' AND direction = 'out' AND state = 'TIME_WAIT'")
echo "    breakdown: port_share $share (ss: $out_any / 1000)"
assert_eq "$(q "SELECT abs(port_share - $out_any / 1000.0) < 1e-12 FROM breakdown WHERE ts = $last
	AND host = '$host' AND grp = 'all' AND kind = 'peer' AND key = '127.0.0.1:9500' AND direction = 'out'
	AND state = 'TIME_WAIT'")" 1 "breakdown: port_share of 127.0.0.1:9500 ($share) is $out_any/1000"
q "SELECT peer, sockets, port_share FROM port_shares WHERE ts = $last AND host = '$host' AND grp = 'all'
	ORDER BY sockets DESC" | tr '|' ' ' >"$TT_TMP/shares"
sed 's/^/    port_shares: /' "$TT_TMP/shares"
read -r speer ssock _ <"$TT_TMP/shares" || fail "port_shares has no row for the newest sample"
assert_eq "$speer $ssock" "127.0.0.1:9500 $out_any" "port_shares: the top peer and its sockets"
assert_eq "$(q "SELECT abs(port_share - $out_any / 1000.0) < 1e-12 FROM port_shares WHERE ts = $last
	AND host = '$host' AND grp = 'all' AND peer = '127.0.0.1:9500'")" 1 "port_shares: port_share of 127.0.0.1:9500"
# Every peer it lists: ss's outbound sockets toward it, in any state
while read -r speer ssock _; do
	n=$(echo "$still" | awk -F'|' -v k="$speer" '$1 == "all" && $2 == "peer" && $3 == k && $4 == "out" { n += $6 }
		END { print n + 0 }')
	assert_eq "$ssock" "$n" "port_shares: sockets toward $speer"
done <"$TT_TMP/shares"

# The check rule on port shares. Its threshold lives in a config of its own
# (the base config plus thresholds:), which only the report reads.
check_port_share_rule() {
	local ccfg="$TT_TMP/check.yaml" rc=0
	{
		cat "$cfg"
		echo "thresholds:"
		echo "  - { name: ports, peer_port_share_above: 0.5, for: 0, severity: critical }"
	} >"$ccfg"
	echo "--- check: peer_port_share_above 0.5 is CRITICAL for 127.0.0.1:9500"
	"$REPORT" -c "$ccfg" check >"$TT_TMP/check.out" 2>&1 || rc=$?
	sed 's/^/    /' "$TT_TMP/check.out"
	assert_eq "$rc" 2 "check exit code (ports is critical)"
	grep -qE "^CRITICAL ports: .*127\.0\.0\.1:9500" "$TT_TMP/check.out" ||
		fail "check: no CRITICAL line for the rule ports naming 127.0.0.1:9500"
	grep -q "peer_port_share" "$TT_TMP/check.out" || fail "check: peer_port_share is not named"
}
check_port_share_rule

# The owners trigger: the leak's 300 CLOSE_WAIT pass close_wait_above 100, and
# one scan of /proc names the process that holds them, as root; run as an
# unprivileged user, the collector says once what it lacks and goes on.
echo "--- owners: close_wait_above 100 names the leaking process"
ocfg="$TT_TMP/owners.yaml"
{ sed "s#^database: .*#database: $TT_TMP/o.db#" "$cfg"; echo "owners: { close_wait_above: 100, top: 5 }"; } >"$ocfg"
in_nsn "$COLLECTOR" -c "$ocfg" --once -q 2>"$TT_TMP/owners.err" || fail "--once with owners exited $?"
! grep -q "CAP_SYS_PTRACE" "$TT_TMP/owners.err" || fail "as root, owners complained: $(cat "$TT_TMP/owners.err")"
"$REPORT" -c "$ocfg" owners >"$TT_TMP/owners.out" || fail "owners exited $?"
sed 's/^/    /' "$TT_TMP/owners.out"
got=$(sqlite3 -batch "$TT_TMP/o.db" "SELECT pid, comm, cgroup, count FROM owners WHERE grp = 'all' ORDER BY count DESC LIMIT 1")
assert_eq "$got" "$leak_pid|python3|$cgrel/leak|300" "owners: the leaking process, its cgroup and its CLOSE_WAIT"
assert_eq "$(sqlite3 -batch "$TT_TMP/o.db" "SELECT count(*) FROM owners WHERE grp = 'leak-srv' AND pid = $leak_pid AND count = 300")" 1 \
	"owners of group leak-srv"
assert_eq "$(sqlite3 -batch "$TT_TMP/o.db" "SELECT count(*) FROM owners WHERE grp = 'tw-peer'")" 0 \
	"owners of group tw-peer (no CLOSE_WAIT: not triggered)"
nob=$(mktemp -d /tmp/tt-owners.XXXXXX)
chown nobody "$nob"
sed "s#^database: .*#database: $nob/o.db#" "$ocfg" >"$nob/owners.yaml"
chmod 644 "$nob/owners.yaml"
rc=0
in_nsn setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
	"$COLLECTOR" -c "$nob/owners.yaml" --once -q 2>"$TT_TMP/owners-nobody.err" || rc=$?
assert_eq "$rc" 0 "--once as nobody with owners"
n=$(grep -c "needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH" "$TT_TMP/owners-nobody.err" || true)
assert_eq "$n" 1 "as nobody: one line on what owners needs ($(cat "$TT_TMP/owners-nobody.err"))"
grep "CAP_SYS_PTRACE" "$TT_TMP/owners-nobody.err" | sed 's/^/    /'
assert_eq "$(sqlite3 -batch "$nob/o.db" "SELECT count(*) FROM owners")" 0 "as nobody: no owner named"
assert_eq "$(sqlite3 -batch "$nob/o.db" "SELECT count FROM state_counts WHERE grp = 'all' AND state = 'CLOSE_WAIT'")" 300 \
	"as nobody: the sample is stored all the same"
rm -rf "$nob"

echo "OK: breakdown by cgroup and peer equals ss; $tw TIME_WAIT toward 127.0.0.1:9500 (share $share)"
