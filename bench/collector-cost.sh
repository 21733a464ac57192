#!/usr/bin/env bash
# Collector cost against the kernel's floor, in one run on one population.
#
#   sudo bench/collector-cost.sh [BUILD_DIR]      (default: build)
#
# Builds a population in a private namespace (default 270k sockets: 200k
# ESTABLISHED, 25k CLOSE_WAIT + 25k FIN_WAIT2, 20k TIME_WAIT, 272 idle LISTEN,
# 20% IPv6; override with EST, CW, TW, LISTEN, V6, ROUNDS), then times in
# interleaved rounds: the bare reference dump (tcptally-refcount, one legacy
# walk; as root, and without CAP_NET_ADMIN, which the collector drops because
# the kernel then sends less per socket), the v2 dump (two walks), tcptally-collector --once with the default
# config and with 16 groups (both with `context: on` and breakdowns by cgroup
# and peer, top 20 each: the defaults), 16 groups without breakdowns, and
# without breakdowns or context, `ss -tan | awk` and `netstat -n | awk`.
# Then a second population of the same size whose clients come from 12,000
# addresses (PEERS_SRC): about 100k distinct peers, more than the collector
# keeps exactly, for the breakdowns' cost and memory when keys overflow.
# The BPF backend (backend: bpf) on the default config, 16 groups, and 16
# groups without breakdowns: --once (which pays for loading the program, once
# a process), and per sample in a running collector: (--samples 5 - --samples
# 1) / 4, beside sock_diag's. Its counts equal sock_diag's, every group and
# state, and ss's.
# Prints the median CPU seconds, the ratio to the reference and peak RSS, and
# checks that the collector's counts equal ss at that size.
# BASELINE=DIR adds the collector of another build (say, before a change) to
# the same rounds on the same population, for a before/after in one run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
EST=${EST:-200000} CW=${CW:-25000} TW=${TW:-20000} LISTEN=${LISTEN:-272} V6=${V6:-20}
ROUNDS=${ROUNDS:-7}
BASELINE=${BASELINE:+$(cd "$BASELINE" && pwd)}
COLLECTOR=$build/tcptally-collector POPULATE=$build/bench/tcptally-populate
REFCOUNT=$build/bench/tcptally-refcount RUNCOST=$build/bench/tcptally-runcost

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
if ! command -v netstat >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq net-tools >/dev/null
fi

tmp=$(mktemp -d /tmp/tt-bench.XXXXXX)
ns="" pop=""
cleanup() {
	[ -n "$pop" ] && kill "$pop" 2>/dev/null && wait "$pop" 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

new_ns() {
	[ -n "$pop" ] && { kill "$pop"; wait "$pop" 2>/dev/null || true; pop=""; }
	[ -n "$ns" ] && ip netns del "$ns"
	ns=tt-bench-$$-$RANDOM
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" -6 addr add fd00::2/128 dev lo nodad
}

populate() {	# args for tcptally-populate; prints the ready line
	rm -f "$tmp/in" "$tmp/out"
	mkfifo "$tmp/in" "$tmp/out"
	ip netns exec "$ns" "$POPULATE" --hold --src4 127.0.0.1,127.1.0.1 --src6 ::1,fd00::2 \
		"$@" <"$tmp/in" >"$tmp/out" &
	pop=$!
	exec 7>"$tmp/in"
	read -r line <"$tmp/out"
	echo "$line"
}

write_configs() {
	printf 'database: %s/default.db\ninterval: 10s\nhost: bench\nbackend: sock_diag\n' "$tmp" \
	    >"$tmp/default.yaml"
	cat >"$tmp/groups.yaml" <<YAML
database: $tmp/groups.db
interval: 10s
host: bench
backend: sock_diag
groups:
  - { name: web, local_ports: [80, 443, "8000-8099"] }
  - { name: srv-8000, local_ports: [8000] }
  - { name: clients, remote_ports: ["8000-8015"] }
  - { name: v4, family: ipv4 }
  - { name: v6, family: ipv6 }
  - { name: alt4, remote_addrs: ["127.1.0.0/16"] }
  - { name: alt6, local_addrs: ["fd00::2"] }
  - { name: rfc1918, remote_addrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }
  - { name: db, remote_ports: [5432, 3306, 6379, 27017, "9042-9043"] }
  - { name: many-ports, local_ports: ["1000-1999", "3000-3999", "5000-5999", 7001, 7003, 7005] }
  - { name: ephemeral, local_ports: ["32768-60999"] }
  - { name: loop4, local_addrs: ["127.0.0.0/8"] }
  - { name: loop6, local_addrs: ["::1"] }
  - { name: combo, family: ipv4, local_ports: ["8000-8015"], remote_addrs: ["127.1.0.0/16"] }
  - { name: mapped, remote_addrs: ["::ffff:0:0/96"] }
  - { name: idle, local_ports: ["20000-20999"] }
YAML
	# Pre-create both databases, so that every timed run is a steady-state sample.
	"$COLLECTOR" -c "$tmp/default.yaml" --check-config >/dev/null
	"$COLLECTOR" -c "$tmp/groups.yaml" --check-config >/dev/null
	sed "s#/groups.db#/nobk.db#; s#^host: bench#host: bench\nbreakdown: { cgroups: 0, peers: 0 }#" \
	    "$tmp/groups.yaml" >"$tmp/nobk.yaml"
	"$COLLECTOR" -c "$tmp/nobk.yaml" --check-config >/dev/null
	sed "s#/nobk.db#/noctx.db#; s#^host: bench#host: bench\ncontext: off#" "$tmp/nobk.yaml" \
	    >"$tmp/noctx.yaml"
	"$COLLECTOR" -c "$tmp/noctx.yaml" --check-config >/dev/null
	# The BPF backend, on the same three configs.
	for c in default groups nobk; do
		sed "s#/$c.db#/$c-bpf.db#; s#^backend: sock_diag#backend: bpf#" "$tmp/$c.yaml" \
		    >"$tmp/$c-bpf.yaml"
		"$COLLECTOR" -c "$tmp/$c-bpf.yaml" --check-config >/dev/null
	done
	# A running collector's cost per sample: interval 1s, for --samples N.
	for c in groups nobk groups-bpf nobk-bpf; do
		sed "s#/$c.db#/run-$c.db#; s#^interval: 10s#interval: 1s#" "$tmp/$c.yaml" >"$tmp/run-$c.yaml"
		"$COLLECTOR" -c "$tmp/run-$c.yaml" --check-config >/dev/null
	done
	# The baseline build writes its own databases.
	sed "s#/default.db#/base.db#" "$tmp/default.yaml" >"$tmp/base.yaml"
	sed "s#/groups.db#/base16.db#" "$tmp/groups.yaml" >"$tmp/base16.yaml"
}

declare -A CMD=(
	[ref]="$REFCOUNT"
	[ref-nocap]="setpriv --inh-caps=-net_admin --bounding-set=-net_admin $REFCOUNT"
	[ref-v2]="$REFCOUNT --v2"
	[once]="$COLLECTOR -q -c $tmp/default.yaml --once"
	[once-16]="$COLLECTOR -q -c $tmp/groups.yaml --once"
	[once-16-nobk]="$COLLECTOR -q -c $tmp/nobk.yaml --once"
	[once-16-noctx]="$COLLECTOR -q -c $tmp/noctx.yaml --once"
	[once-bpf]="$COLLECTOR -q -c $tmp/default-bpf.yaml --once"
	[once-16-bpf]="$COLLECTOR -q -c $tmp/groups-bpf.yaml --once"
	[once-16-nobk-bpf]="$COLLECTOR -q -c $tmp/nobk-bpf.yaml --once"
	[ss]="sh -c 'ss -tan | awk \"NR > 1 {++S[\\\$1]} END {for (a in S) print a, S[a]}\" >/dev/null'"
	[netstat]="sh -c 'netstat -n | awk \"/^tcp/ {++S[\\\$NF]} END {for (a in S) print a, S[a]}\" >/dev/null'"
)
ORDER=(ref ref-nocap ref-v2 once once-16 once-16-nobk once-16-noctx once-bpf once-16-bpf
	once-16-nobk-bpf ss netstat)
LABEL=([0]="reference: one legacy TCPDIAG_GETSOCK walk" "the same without CAP_NET_ADMIN"
	"sock_diag v2, one dump per family"
	"tcptally-collector --once, default config" "tcptally-collector --once, 16 groups"
	"the same, breakdowns off" "the same, breakdowns and context off"
	"backend bpf: --once, default config" "backend bpf: --once, 16 groups"
	"backend bpf: the same, breakdowns off"
	"ss -tan | awk" "netstat -n | awk")
if [ -n "$BASELINE" ]; then
	CMD[base]="$BASELINE/tcptally-collector -q -c $tmp/base.yaml --once"
	CMD[base-16]="$BASELINE/tcptally-collector -q -c $tmp/base16.yaml --once"
	ORDER+=(base base-16)
	LABEL+=("baseline build: --once, default config" "baseline build: --once, 16 groups")
fi

measure() {	# key -> appends "cpu rss" to $tmp/key
	eval "ip netns exec \"$ns\" \"$RUNCOST\" ${CMD[$1]}" >>"$tmp/$1.cost" 2>/dev/null
}

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxcol2() { awk '$2 > m { m = $2 } END { print m + 0 }'; }

# The collector's counts for `all` at its newest sample, against ss, by state.
check_counts() {	# database [config]
	local db=$1 cfg=${2:-$tmp/default.yaml} want got
	want=$(ip netns exec "$ns" ss -Htan | awk '{ c[$1]++ } END {
		split("ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT UNCONN CLOSE-WAIT LAST-ACK LISTEN CLOSING", s, " ");
		for (i = 1; i <= 11; i++) printf "%d ", c[s[i]] }')
	ip netns exec "$ns" "$COLLECTOR" -q -c "$cfg" --once
	got=$(sqlite3 "$db" "SELECT c.established, c.syn_sent, c.syn_recv, c.fin_wait1, c.fin_wait2,
		c.time_wait, c.close, c.close_wait, c.last_ack, c.listen, c.closing FROM counts c
		JOIN grp g ON g.id = c.grp WHERE g.name = 'all' ORDER BY c.ts DESC LIMIT 1" | tr '|' ' ')
	got="$got "
	after=$(ip netns exec "$ns" ss -Htan | wc -l)
	if [ "$want" = "$got" ]; then
		echo "counts: collector ($(sqlite3 "$db" "SELECT backend FROM samples ORDER BY ts DESC LIMIT 1")) == ss for all 11 states ($want)"
	else
		echo "counts: MISMATCH collector [$got] ss [$want] (ss after: $after sockets)"
		return 1
	fi
}

# Both backends' newest samples, every group and state, against each other,
# and `all` against ss: default config and 16 groups.
same_backends() {
	local c a b n
	for c in default groups; do
		ip netns exec "$ns" "$COLLECTOR" -q -c "$tmp/$c.yaml" --once
		ip netns exec "$ns" "$COLLECTOR" -q -c "$tmp/$c-bpf.yaml" --once
		a=$(sqlite3 "$tmp/$c.db" "SELECT grp, state, count FROM state_counts WHERE ts = (SELECT max(ts) FROM sample)")
		b=$(sqlite3 "$tmp/$c-bpf.db" "SELECT grp, state, count FROM state_counts WHERE ts = (SELECT max(ts) FROM sample)")
		n=$(echo "$a" | wc -l)
		if [ "$a" = "$b" ] && [ -n "$a" ]; then
			echo "counts, $c config: bpf == sock_diag, $n group x state counts, $(sqlite3 "$tmp/$c-bpf.db" \
			    "SELECT sockets FROM samples ORDER BY ts DESC LIMIT 1") sockets ($(sqlite3 "$tmp/$c-bpf.db" \
			    "SELECT backend FROM samples ORDER BY ts DESC LIMIT 1"))"
		else
			echo "counts, $c config: MISMATCH bpf against sock_diag:"
			diff <(echo "$a") <(echo "$b") | head
			return 1
		fi
	done
	check_counts "$tmp/default-bpf.db" "$tmp/default-bpf.yaml"
}

# A running collector's CPU per sample, without what starting costs (the
# BPF backend loads its program once): (--samples 5 - --samples 1) / 4.
steady() {
	local c k r
	echo "== a running collector, per sample: (--samples 5 - --samples 1) / 4, ${STEADY_ROUNDS:=5} rounds"
	rm -f "$tmp/ref.cost"
	for ((r = 1; r <= STEADY_ROUNDS; r++)); do
		measure ref
		for c in nobk nobk-bpf groups groups-bpf; do
			for k in 1 5; do
				ip netns exec "$ns" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/run-$c.yaml" --samples $k \
				    >>"$tmp/run-$c-$k.cost" 2>/dev/null
			done
		done
		printf '.'
	done
	echo
	ref=$(median <"$tmp/ref.cost")
	for c in nobk nobk-bpf groups groups-bpf; do
		paste "$tmp/run-$c-1.cost" "$tmp/run-$c-5.cost" | awk '{ print ($3 - $1) / 4 }' >"$tmp/run-$c.per"
	done
	printf 'per sample, 16 groups, breakdowns off: sock_diag %.3fx the reference, bpf %.3fx (bound 0.70)\n' \
		"$(calc "$(median <"$tmp/run-nobk.per") / $ref")" "$(calc "$(median <"$tmp/run-nobk-bpf.per") / $ref")"
	printf 'per sample, 16 groups, breakdowns on: sock_diag %.3fx the reference, bpf %.3fx\n' \
		"$(calc "$(median <"$tmp/run-groups.per") / $ref")" "$(calc "$(median <"$tmp/run-groups-bpf.per") / $ref")"
	printf 'peak RSS of --samples 5: sock_diag %.1f MB, bpf %.1f MB; breakdowns on: %.1f MB, %.1f MB\n' \
		"$(calc "$(maxcol2 <"$tmp/run-nobk-5.cost") / 1024")" "$(calc "$(maxcol2 <"$tmp/run-nobk-bpf-5.cost") / 1024")" \
		"$(calc "$(maxcol2 <"$tmp/run-groups-5.cost") / 1024")" "$(calc "$(maxcol2 <"$tmp/run-groups-bpf-5.cost") / 1024")"
}

write_configs

echo "== peak RSS at a small population (1k sockets)"
new_ns
populate --established 800 --close-wait 50 --time-wait 50 --listen 20 --v6 "$V6" >/dev/null
sleep 1
small_rss=$(ip netns exec "$ns" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/groups.yaml" --once | awk '{ print $2 }')
small_rss_def=$(ip netns exec "$ns" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/default.yaml" --once | awk '{ print $2 }')
echo "   collector, 16 groups: $small_rss KiB; default config: $small_rss_def KiB"
# What loading the BPF program costs a process: --once at 1k sockets, each backend.
for ((r = 1; r <= 5; r++)); do
	ip netns exec "$ns" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/nobk.yaml" --once >>"$tmp/load-sd.cost"
	ip netns exec "$ns" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/nobk-bpf.yaml" --once >>"$tmp/load-bpf.cost"
	sleep 1
done

echo "== population"
new_ns
t0=$(date +%s.%N)
populate --established "$EST" --close-wait "$CW" --time-wait "$TW" --listen "$LISTEN" --v6 "$V6"
total=$(ip netns exec "$ns" ss -Htan | wc -l)
printf '   %s sockets per ss, built in %.1f s\n' "$total" "$(calc "$(date +%s.%N) - $t0")"
sleep 1
check_counts "$tmp/default.db"

echo "== $ROUNDS interleaved rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	for k in "${ORDER[@]}"; do
		measure "$k"
	done
	printf '.'
done
echo
ref=$(median <"$tmp/ref.cost")
printf '%-46s %10s %8s %10s\n' "counter" "cpu s" "x ref" "peak RSS"
for i in "${!ORDER[@]}"; do
	k=${ORDER[$i]}
	cpu=$(median <"$tmp/$k.cost")
	rss=$(maxcol2 <"$tmp/$k.cost")
	printf '%-46s %10.4f %8.2f %7.1f MB\n' "${LABEL[$i]}" "$cpu" "$(calc "$cpu / $ref")" \
		"$(calc "$rss / 1024")"
done
once=$(median <"$tmp/once.cost")
printf 'collector --once: %.2fx the reference without CAP_NET_ADMIN; ss -tan | awk costs %.2fx it, netstat -n | awk %.2fx\n' \
	"$(calc "$once / $(median <"$tmp/ref-nocap.cost")")" "$(calc "$(median <"$tmp/ss.cost") / $once")" \
	"$(calc "$(median <"$tmp/netstat.cost") / $once")"
g16=$(median <"$tmp/once-16.cost")
nobk=$(median <"$tmp/once-16-nobk.cost")
printf '16 groups, breakdowns (cgroups 20, peers 20) and context on: %.3fx the reference (bound 1.20); breakdowns cost %+.4f s a sample\n' \
	"$(calc "$g16 / $ref")" "$(calc "$g16 - $nobk")"
printf '16 groups, breakdowns off, context on: %.3fx the reference (bound 1.15), %.3fx with context off too; context costs %+.4f s a sample\n' \
	"$(calc "$nobk / $ref")" "$(calc "$(median <"$tmp/once-16-noctx.cost") / $ref")" \
	"$(calc "$nobk - $(median <"$tmp/once-16-noctx.cost")")"
big_rss=$(maxcol2 <"$tmp/once-16.cost")
printf 'collector RSS, 16 groups: %.1f MB at %s sockets, %.1f MB at 1k: ratio %.2f\n' \
	"$(calc "$big_rss / 1024")" "$total" "$(calc "$small_rss / 1024")" \
	"$(calc "$big_rss / $small_rss")"
check_counts "$tmp/default.db"
printf 'peak RSS, 16 groups and context on: %.1f MB (bound 8 MB)\n' "$(calc "$big_rss / 1024")"
printf 'peak RSS, 16 groups, breakdowns off: %.1f MB\n' "$(calc "$(maxcol2 <"$tmp/once-16-nobk.cost") / 1024")"

echo "== the BPF backend"
same_backends
bpf16=$(median <"$tmp/once-16-nobk-bpf.cost")
printf 'backend bpf, --once (a process that loads the program: about %.0f ms of it), 16 groups, breakdowns off: %.3fx the reference; breakdowns on %.3fx; default config %.3fx\n' \
	"$(calc "1000 * ($(median <"$tmp/load-bpf.cost") - $(median <"$tmp/load-sd.cost"))")" \
	"$(calc "$bpf16 / $ref")" "$(calc "$(median <"$tmp/once-16-bpf.cost") / $ref")" \
	"$(calc "$(median <"$tmp/once-bpf.cost") / $ref")"
printf 'peak RSS, backend bpf, --once: 16 groups %.1f MB, breakdowns off %.1f MB (the kernel BTF libbpf reads to load it)\n' \
	"$(calc "$(maxcol2 <"$tmp/once-16-bpf.cost") / 1024")" \
	"$(calc "$(maxcol2 <"$tmp/once-16-nobk-bpf.cost") / 1024")"
steady
# Bytes in use (dbstat: page bytes less their unused space) per sample of
# the default config, in the tables of each: the breakdowns against the rest.
used() { sqlite3 "$tmp/default.db" "SELECT sum(pgsize - unused) / (SELECT count(*) FROM sample) FROM dbstat WHERE name IN ($1)"; }
printf 'storage per sample, default config: %s B without breakdowns (sample, counts, kernel context), %s B more with them (%s rows a sample)\n' \
	"$(used "'sample', 'counts', 'sample_kernel'")" "$(used "'breakdown_count', 'peer_load', 'sample_breakdown'")" \
	"$(sqlite3 "$tmp/default.db" "SELECT ((SELECT count(*) FROM breakdown_count) + (SELECT count(*) FROM peer_load)) / (SELECT count(*) FROM sample_breakdown)")"

# Many peers: every client from its own address among PEERS_SRC, so that
# the server sides alone hold about 100k (client address, server port) keys.
echo "== many peers: clients from ${PEERS_SRC:=12000} addresses, IPv4 only"
new_ns
populate --established "$EST" --close-wait "$CW" --time-wait "$TW" --listen "$LISTEN" --v6 0 \
	--src4 "127.2.0.0+$PEERS_SRC" >/dev/null
sleep 1
ip netns exec "$ns" ss -Htan | awk -v lo=10000 -v hi=65000 '
	{ n = split($4, l, ":"); lp = l[n]; r = $5; m = split(r, rr, ":"); ra = substr(r, 1, length(r) - length(rr[m]) - 1)
	  if ($1 != "LISTEN" && lp >= lo && lp <= hi) k = r " out"; else k = ra ":" lp " in"
	  if (!(k in seen)) { seen[k] = 1; nk++ } }
	END { printf "   %d sockets, %d distinct peers (address and port, by direction)\n", NR, nk }'
rm -f "$tmp/ref.cost" "$tmp/once-16.cost" "$tmp/once-16-nobk.cost"
for ((r = 1; r <= ROUNDS; r++)); do
	for k in ref once-16 once-16-nobk; do
		measure "$k"
	done
	printf '.'
	sleep 1	# --once stores nothing in a second that already has a sample
done
echo
ref=$(median <"$tmp/ref.cost")
g16=$(median <"$tmp/once-16.cost")
printf 'many peers, 16 groups, breakdowns on: %.3fx the reference (bound 1.20), breakdowns off %.3fx; peak RSS %.1f MB (bound 8 MB)\n' \
	"$(calc "$g16 / $ref")" "$(calc "$(median <"$tmp/once-16-nobk.cost") / $ref")" \
	"$(calc "$(maxcol2 <"$tmp/once-16.cost") / 1024")"
printf 'many peers: the largest error bound stored at the last sample: %s; the rows of each group x state add up to its count: %s\n' \
	"$(sqlite3 "$tmp/groups.db" "SELECT max(err) FROM breakdown_count WHERE ts = (SELECT max(ts) FROM breakdown_count)")" \
	"$(sqlite3 "$tmp/groups.db" "SELECT CASE WHEN count(*) = 0 THEN 'yes' ELSE count(*) || ' do not' END FROM (
		SELECT b.grp, b.state, sum(b.count) AS n, k.kind FROM breakdown_count b JOIN bkey k ON k.id = b.bkey
		WHERE b.ts = (SELECT max(ts) FROM breakdown_count) GROUP BY b.grp, b.state, k.kind) AS s
		JOIN state_counts AS sc ON sc.ts = (SELECT max(ts) FROM breakdown_count)
		JOIN grp g ON g.id = s.grp AND g.name = sc.grp JOIN state st ON st.id = s.state AND st.name = sc.state
		WHERE s.n != sc.count")"
