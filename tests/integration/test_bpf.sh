#!/usr/bin/env bash
# The BPF iterator backend (backend: bpf) against sock_diag and ss.
#
# On one population (IPv4, IPv6 and v4-mapped IPv6; LISTEN, ESTABLISHED,
# CLOSE_WAIT, FIN_WAIT2, TIME_WAIT) and 16 groups of every kind, the two
# backends store identical state_counts, equal to ss with each group's
# filter; and the same listeners, CLOSE_WAIT ages and breakdowns. The
# iterator sees only the namespace it is opened in: a second namespace's
# sockets are not counted, and sampled through `namespaces:` they are
# counted under their own label. samples.backend says which backend took
# each sample. Fallbacks: without privilege `auto` counts with sock_diag and
# says why in one line; `bpf` exits 1 with the reason and stores nothing.
# With CAP_BPF and CAP_PERFMON alone (not root) the BPF backend runs.
# A build without the backend (meson -Dbpf=disabled; HAVE_BPF=0) runs the
# fallback part only: `bpf` exits 1 naming the build, `auto` counts = ss.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${HAVE_BPF:?HAVE_BPF must say whether the build has the BPF backend (1 or 0)}"
est=${TT_ESTABLISHED:-20000} cw=${TT_CLOSE_WAIT:-3000} tw=${TT_TIME_WAIT:-3000}

tt_netns
OTHER="" MAPPED_PID=""
cleanup_bpf() {
	[ -n "$MAPPED_PID" ] && kill "$MAPPED_PID" 2>/dev/null
	[ -n "$OTHER" ] && ip netns del "$OTHER" 2>/dev/null
	tt_cleanup
}
trap cleanup_bpf EXIT

write_cfg() {	# file database backend [extra yaml line]
	cat >"$1" <<YAML
database: $2
interval: 1s
host: it-bpf
backend: $3
${4:-}
groups:
  - { name: web, local_ports: [80, 443, "8000-8099"] }
  - { name: srv-8000, local_ports: [8000] }
  - { name: clients, remote_ports: ["8000-8015"] }
  - { name: v4, family: ipv4 }
  - { name: v6, family: ipv6 }
  - { name: alt4, remote_addrs: ["127.1.0.0/16"] }
  - { name: alt6, local_addrs: ["fd00::2"] }
  - { name: rfc1918, remote_addrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }
  - { name: loop4, local_addrs: ["127.0.0.0/8"] }
  - { name: loop6, local_addrs: ["::1"] }
  - { name: combo, family: ipv4, local_ports: ["8000-8015"], remote_addrs: ["127.1.0.0/16", "192.0.2.0/24"] }
  - { name: mapped6, remote_addrs: ["::ffff:0:0/96"] }
  - { name: nest, remote_addrs: ["127.0.0.0/8", "127.1.0.0/16", "::/0"] }
  - { name: ephemeral, local_ports: ["32768-60999"] }
  - { name: idle, local_ports: ["20000-20999"] }
  - { name: mapped-srv, local_ports: [9100], remote_addrs: ["127.0.0.0/8"] }
YAML
}

# ss's filter for each group. (Port 9100's sockets are all v4-mapped IPv6:
# mapped-srv's IPv4 prefix holds them, in ss as in the collector.)
declare -A filter=(
	[all]=""
	[web]="( sport = :80 or sport = :443 or ( sport >= :8000 and sport <= :8099 ) )"
	[srv-8000]="sport = :8000"
	[clients]="( dport >= :8000 and dport <= :8015 )"
	[v4]="-4"
	[v6]="-6"
	[alt4]="dst 127.1.0.0/16"
	[alt6]="src [fd00::2]"
	[rfc1918]="( dst 10.0.0.0/8 or dst 172.16.0.0/12 or dst 192.168.0.0/16 )"
	[loop4]="src 127.0.0.0/8"
	[loop6]="src [::1]"
	[combo]="-4 ( sport >= :8000 and sport <= :8015 ) and ( dst 127.1.0.0/16 or dst 192.0.2.0/24 )"
	[mapped6]="dst ::ffff:0:0/96"
	[nest]="( dst 127.0.0.0/8 or dst ::/0 )"
	[ephemeral]="( sport >= :32768 and sport <= :60999 )"
	[idle]="( sport >= :20000 and sport <= :20999 )"
	[mapped-srv]="sport = :9100 and dst 127.0.0.0/8"
)
count_states() {
	awk -v names="${SS_STATES[*]}" '
		BEGIN { n = split(names, s, " "); for (i = 1; i <= n; i++) c[s[i]] = 0 }
		{ c[$1]++ }
		END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), c[s[i]]; print "" }'
}
ss_for() {	# group [netns]
	local f=${filter[$1]} ns=${2:-$TT_NS} fam=()
	case $f in -4*|-6*) fam=("${f%% *}"); f=${f#-?} ;; esac
	# shellcheck disable=SC2086
	ip netns exec "$ns" ss -Htan "${fam[@]}" $f | count_states
}
snapshot() {	# [netns]
	local g
	for g in "${!filter[@]}"; do
		echo "$g $(ss_for "$g" "${1:-}")"
	done | sort
}
db_group() {	# database group: its counts at the newest sample, in SS_STATES order
	local st out=""
	for st in "${TT_STATES[@]}"; do
		out+="$(sqlite3 -batch "$1" "SELECT count FROM state_counts WHERE grp = '$2' AND state = '$st'
			AND netns = '${3:-host}' AND ts = (SELECT max(ts) FROM samples WHERE NOT missed
			AND netns = '${3:-host}')") "
	done
	echo "${out% }"
}
compare_db() {	# database label [netns]: every group's newest counts against TT_STILL
	local g counts n=0
	while read -r g counts; do
		assert_eq "$(db_group "$1" "$g" "${3:-}")" "$counts" "$2: group $g (${TT_STATES[*]})"
		n=$((n + 1))
	done <<<"$TT_STILL"
	assert_eq "$n" 17 "$2: groups compared"
}
newest_backend() {	# database [netns]
	sqlite3 -batch "$1" "SELECT backend FROM samples WHERE netns = '${2:-host}'
		ORDER BY ts DESC LIMIT 1"
}

echo "--- a population: IPv4, IPv6 and v4-mapped IPv6; five states"
tt_populate --listen 40 --established "$est" --close-wait "$cw" --time-wait "$tw" --v6 20 \
	--port-base 8000 --src4 127.0.0.1,127.1.0.1 --src6 ::1,fd00::2
echo "    $TT_READY"
# Dual-stack sockets: AF_INET6 with v4-mapped addresses at both ends.
mkfifo "$TT_TMP/m.in" "$TT_TMP/m.out"
cat >"$TT_TMP/mapped.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", port))
l.listen(1024)
keep = []
for i in range(n):
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.connect(("::ffff:127.0.0.1", port))
    s, _ = l.accept()
    if i % 3 == 0:
        s.shutdown(socket.SHUT_WR)     # c: CLOSE_WAIT, s: FIN_WAIT2
    keep += [c, s]
print("ready", flush=True)
sys.stdin.read()
PY
ip netns exec "$TT_NS" python3 "$TT_TMP/mapped.py" 9100 60 <"$TT_TMP/m.in" >"$TT_TMP/m.out" &
MAPPED_PID=$!
exec {mfd}>"$TT_TMP/m.in"
read -r line <"$TT_TMP/m.out" || fail "the v4-mapped helper did not start"

if [ "$HAVE_BPF" != 1 ]; then
	echo "--- a build without the BPF backend (meson -Dbpf=disabled)"
	write_cfg "$TT_TMP/bpf.yaml" "$TT_TMP/bpf.db" bpf
	rc=0
	in_ns "$COLLECTOR" -c "$TT_TMP/bpf.yaml" --once 2>"$TT_TMP/bpf.err" || rc=$?
	assert_eq "$rc" 1 "backend: bpf in a build without it exits"
	grep -q "backend bpf: cannot use the BPF iterator: this tcptally-collector was built without it" \
		"$TT_TMP/bpf.err" || fail "backend bpf: no reason given: $(cat "$TT_TMP/bpf.err")"
	[ ! -s "$TT_TMP/bpf.db" ] || [ "$(sqlite3 "$TT_TMP/bpf.db" "SELECT count(*) FROM sample")" = 0 ] ||
		fail "backend bpf stored a sample"
	sed 's/^/    /' "$TT_TMP/bpf.err"
	write_cfg "$TT_TMP/auto.yaml" "$TT_TMP/auto.db" auto
	TT_STILL=$(snapshot)
	in_ns "$COLLECTOR" -c "$TT_TMP/auto.yaml" --once 2>"$TT_TMP/auto.err" || fail "auto --once"
	assert_eq "$(grep -c "backend auto: the BPF iterator is not available (this tcptally-collector was built without it" \
		"$TT_TMP/auto.err")" 1 "auto: one line on the fallback"
	grep "backend auto" "$TT_TMP/auto.err" | sed 's/^/    /'
	[ "$(snapshot)" = "$TT_STILL" ] || fail "the population moved"
	compare_db "$TT_TMP/auto.db" "auto without BPF"
	assert_eq "$(newest_backend "$TT_TMP/auto.db")" sock_diag "samples.backend"
	echo "OK: no BPF in this build: bpf exits 1 with the reason; auto counts with sock_diag, 17 groups x 11 states = ss"
	exit 0
fi

echo "--- both backends, 16 groups, the same population"
write_cfg "$TT_TMP/sd.yaml" "$TT_TMP/sd.db" sock_diag
write_cfg "$TT_TMP/bpf.yaml" "$TT_TMP/bpf.db" bpf
write_cfg "$TT_TMP/bpf-nobk.yaml" "$TT_TMP/bpf-nobk.db" bpf "breakdown: { cgroups: 0, peers: 0 }"
both() {	# both backends' --once, in the same second's neighbours
	in_ns "$COLLECTOR" -c "$TT_TMP/sd.yaml" --once -q || fail "sock_diag --once exited $?"
	in_ns "$COLLECTOR" -c "$TT_TMP/bpf.yaml" --once -q || fail "bpf --once exited $?"
	in_ns "$COLLECTOR" -c "$TT_TMP/bpf-nobk.yaml" --once -q || fail "bpf (no breakdowns) --once exited $?"
}
TT_IN=in_ns
for attempt in 1 2 3; do
	TT_STILL=$(snapshot)
	both
	[ "$(snapshot)" = "$TT_STILL" ] && break
	[ "$attempt" = 3 ] && fail "the population never held still"
	sleep 1
done
total=$(echo "$TT_STILL" | awk '$1 == "all" { for (i = 2; i <= NF; i++) t += $i } END { print t }')
read -r _ e _ _ _ fw2 tws _ cws _ l _ <<<"$(echo "$TT_STILL" | grep '^all ')"
# (0.5% fewer TIME_WAIT allowed: the kernel may end one early; counts are held to ss)
[ "$e" -ge "$est" ] && [ "$cws" -ge "$cw" ] && [ "$fw2" -ge "$cw" ] && [ "$tws" -ge $((tw * 995 / 1000)) ] &&
	[ "$l" -ge 40 ] || fail "population too small: $(echo "$TT_STILL" | grep '^all ')"
[ "$(echo "$TT_STILL" | awk '$1 == "mapped-srv" { print $2 }')" -ge 40 ] ||
	fail "no v4-mapped sockets: $(echo "$TT_STILL" | grep '^mapped-srv ')"
compare_db "$TT_TMP/sd.db" "sock_diag"
compare_db "$TT_TMP/bpf.db" "bpf, breakdowns on (every socket copied)"
compare_db "$TT_TMP/bpf-nobk.db" "bpf, breakdowns off (counted in the kernel)"
assert_eq "$(newest_backend "$TT_TMP/sd.db")" sock_diag "samples.backend (sock_diag)"
assert_eq "$(newest_backend "$TT_TMP/bpf.db")" bpf "samples.backend (bpf)"
echo "$TT_STILL" | sed 's/^/    /'

echo "--- what is built on the dump is the same from both"
view() {	# database view columns
	sqlite3 -batch "$1" "SELECT $3 FROM $2 WHERE ts = (SELECT max(ts) FROM samples WHERE NOT missed) ORDER BY 1, 2, 3"
}
for v in "listen_queues:grp, listeners, queued, backlog, max_fill, full" \
	"oldest_close_wait:grp, age, lower_bound" \
	"breakdown:grp, kind, key, direction, state, count, err" \
	"port_shares:grp, peer, sockets, err, port_share"; do
	name=${v%%:*} cols=${v#*:}
	a=$(view "$TT_TMP/sd.db" "$name" "$cols") b=$(view "$TT_TMP/bpf.db" "$name" "$cols")
	[ -n "$a" ] || fail "$name: no rows from sock_diag"
	assert_eq "$b" "$a" "$name from bpf against sock_diag"
	echo "    $name: $(echo "$a" | wc -l) rows the same"
done
# Without breakdowns the kernel counts; listeners and CLOSE_WAIT still come whole.
for v in "listen_queues:grp, listeners, queued, backlog, max_fill, full" \
	"oldest_close_wait:grp, age, lower_bound"; do
	name=${v%%:*} cols=${v#*:}
	assert_eq "$(view "$TT_TMP/bpf-nobk.db" "$name" "$cols")" "$(view "$TT_TMP/sd.db" "$name" "$cols")" \
		"$name from bpf without breakdowns"
done

echo "--- more distinct group masks than the kernel's slots: counted group by group"
# Group b takes the local ports of 32768-65535 with bit b set (b = 4..13):
# the clients' ephemeral ports make up to 1024 masks, beyond 256 slots.
for c in sd bpf; do
	{
		echo "database: $TT_TMP/bits-$c.db"
		echo "host: it-bpf"
		echo "backend: $( [ $c = sd ] && echo sock_diag || echo bpf )"
		echo "breakdown: { cgroups: 0, peers: 0 }"
		echo "groups:"
		for b in 4 5 6 7 8 9 10 11 12 13; do
			printf '  - name: bit%d\n    local_ports: [' "$b"
			awk -v b="$b" 'BEGIN { w = 2 ^ b; sep = ""
				for (p = 32768 + w; p < 65536; p += 2 * w) { printf "%s\"%d-%d\"", sep, p, p + w - 1; sep = ", " } }'
			echo "]"
		done
	} >"$TT_TMP/bits-$c.yaml"
done
sleep 1
n=0
for attempt in 1 2 3; do
	before=$(ip netns exec "$TT_NS" ss -Htan | wc -l)
	in_ns "$COLLECTOR" -c "$TT_TMP/bits-sd.yaml" --once -q || fail "bits, sock_diag"
	in_ns "$COLLECTOR" -c "$TT_TMP/bits-bpf.yaml" --once -q || fail "bits, bpf"
	a=$(sqlite3 "$TT_TMP/bits-sd.db" "SELECT grp, state, count FROM state_counts WHERE ts = (SELECT max(ts) FROM sample)")
	b=$(sqlite3 "$TT_TMP/bits-bpf.db" "SELECT grp, state, count FROM state_counts WHERE ts = (SELECT max(ts) FROM sample)")
	[ "$(ip netns exec "$TT_NS" ss -Htan | wc -l)" = "$before" ] && break
	sleep 1
done
assert_eq "$b" "$a" "10 bit groups, bpf against sock_diag"
masks=$(ip netns exec "$TT_NS" ss -Htan | awk '{ n = split($4, a, ":"); p = a[n]
	if (p >= 32768) { m[int(p / 16) % 1024] = 1 } } END { print length(m) }')
[ "$masks" -gt 256 ] || fail "only $masks distinct masks: the slots did not overflow"
echo "    $masks distinct masks of 10 groups (256 slots): $(echo "$a" | wc -l) group x state counts the same"

echo "--- the iterator sees only the namespace it is opened in"
OTHER="tt-it-bpf-other-$$"
ip netns add "$OTHER"
ip -n "$OTHER" link set lo up
saved=$TT_NS
TT_NS=$OTHER
tt_populate --listen 3 --established 500 --close-wait 70 --time-wait 30 --v6 50 --port-base 8000
TT_NS=$saved
other=$(ip netns exec "$OTHER" ss -Htan | count_states)
sleep 1
TT_STILL=$(snapshot)
in_ns "$COLLECTOR" -c "$TT_TMP/bpf.yaml" --once -q || fail "bpf --once"
[ "$(snapshot)" = "$TT_STILL" ] || fail "the population moved"
compare_db "$TT_TMP/bpf.db" "bpf beside another namespace"
# ... and sampled there through namespaces:, under its own label
write_cfg "$TT_TMP/ns.yaml" "$TT_TMP/ns.db" bpf "namespaces: [host, \"name:$OTHER\"]"
in_ns "$COLLECTOR" -c "$TT_TMP/ns.yaml" --once -q || fail "bpf --once with namespaces"
assert_eq "$(db_group "$TT_TMP/ns.db" all "$OTHER")" "$other" "bpf in $OTHER (its own label)"
assert_eq "$(db_group "$TT_TMP/ns.db" all)" "$(echo "$TT_STILL" | awk '$1 == "all" { $1 = ""; print substr($0, 2) }')" \
	"bpf in the collector's own namespace"
assert_eq "$(newest_backend "$TT_TMP/ns.db" "$OTHER")" bpf "samples.backend in $OTHER"
echo "    $OTHER: $other (ss there); the collector's own: $(db_group "$TT_TMP/ns.db" all)"

echo "--- privilege: nobody without capabilities; nobody with CAP_BPF and CAP_PERFMON"
nob="$TT_TMP/nobody"
mkdir -p "$nob"
chown nobody "$nob"
chmod 755 "$TT_TMP"
as_nobody() {	# caps-args... -- args
	local caps=()
	while [ "$1" != -- ]; do caps+=("$1"); shift; done
	shift
	in_ns setpriv --reuid=nobody --regid=nogroup --clear-groups "${caps[@]}" "$COLLECTOR" "$@"
}
write_cfg "$nob/bpf.yaml" "$nob/bpf.db" bpf
write_cfg "$nob/auto.yaml" "$nob/auto.db" auto
rc=0
as_nobody --inh-caps=-all --bounding-set=-all -- -c "$nob/bpf.yaml" --once 2>"$TT_TMP/nob-bpf.err" || rc=$?
assert_eq "$rc" 1 "backend: bpf as nobody exits"
assert_eq "$(grep -c "backend bpf: cannot use the BPF iterator: no privilege: loading it needs CAP_BPF and CAP_PERFMON" \
	"$TT_TMP/nob-bpf.err")" 1 "backend: bpf as nobody: the reason ($(cat "$TT_TMP/nob-bpf.err"))"
[ ! -e "$nob/bpf.db" ] || assert_eq "$(sqlite3 "$nob/bpf.db" "SELECT count(*) FROM sample")" 0 \
	"backend: bpf as nobody stores nothing"
sed 's/^/    /' "$TT_TMP/nob-bpf.err"
sleep 1
TT_STILL=$(snapshot)
as_nobody --inh-caps=-all --bounding-set=-all -- -c "$nob/auto.yaml" --once 2>"$TT_TMP/nob-auto.err" ||
	fail "auto as nobody exited $?"
[ "$(snapshot)" = "$TT_STILL" ] || fail "the population moved"
assert_eq "$(grep -c "backend auto:" "$TT_TMP/nob-auto.err")" 1 "auto as nobody: one line"
grep -q "backend auto: the BPF iterator is not available (no privilege: loading it needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)); counting with sock_diag" \
	"$TT_TMP/nob-auto.err" || fail "auto as nobody: $(cat "$TT_TMP/nob-auto.err")"
grep "backend auto:" "$TT_TMP/nob-auto.err" | sed 's/^/    /'
compare_db "$nob/auto.db" "auto as nobody"
assert_eq "$(newest_backend "$nob/auto.db")" sock_diag "samples.backend as nobody"
sleep 1
TT_STILL=$(snapshot)
as_nobody --inh-caps=-all,+bpf,+perfmon --ambient-caps=+bpf,+perfmon -- -c "$nob/auto.yaml" --once -q ||
	fail "auto as nobody with CAP_BPF, CAP_PERFMON exited $?"
[ "$(snapshot)" = "$TT_STILL" ] || fail "the population moved"
compare_db "$nob/auto.db" "auto as nobody with CAP_BPF and CAP_PERFMON"
assert_eq "$(newest_backend "$nob/auto.db")" bpf "samples.backend as nobody with CAP_BPF and CAP_PERFMON"

echo "--- a daemon: every sample by bpf, equal to sock_diag's of the same slots"
write_cfg "$TT_TMP/d.yaml" "$TT_TMP/d.db" bpf
in_ns "$COLLECTOR" -c "$TT_TMP/d.yaml" -q --samples 3 || fail "bpf --samples 3"
assert_eq "$(sqlite3 "$TT_TMP/d.db" "SELECT group_concat(backend) FROM samples")" "bpf,bpf,bpf" "three samples by bpf"
assert_eq "$(sqlite3 "$TT_TMP/d.db" "SELECT count(DISTINCT sockets) FROM samples")" 1 "the same sockets each time"

echo "OK: $total sockets (IPv4, IPv6, v4-mapped): 17 groups x 11 states from bpf (kernel counts and whole records) = sock_diag = ss; listeners, ages, breakdowns the same; only its namespace; fallbacks"
