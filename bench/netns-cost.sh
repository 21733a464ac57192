#!/usr/bin/env bash
# The cost of sampling several network namespaces from one collector.
#
#   sudo bench/netns-cost.sh [BUILD_DIR]      (default: build)
#
# Every sock_diag dump walks the kernel's TCP hash, which all namespaces
# share unless a namespace was made with its own (net.ipv4.
# tcp_child_ehash_entries set in the namespace that creates it, Linux 6.1+),
# and skips the sockets of other namespaces. So N namespaces cost about N
# walks of the host's total. This measures it with TOTAL sockets (default
# 100,000: ESTABLISHED and CLOSE_WAIT/FIN_WAIT2 pairs, which stay put):
#
#   host alone   all of them in the collector's own namespace, `namespaces:
#                [host]`: the reference;
#   N spread     N namespaces (1, 4, 16) holding TOTAL/N each, the
#                collector sampling them from an empty namespace of its own
#                (`namespaces: ["name:..."]`);
#   N in one     the same N namespaces, TOTAL in the first, the rest empty;
#
# each with the shared hash, then again with tcp_child_ehash_entries set
# (EHASH, default 65536) when the namespaces are made. Prints the median CPU
# seconds per sample (ROUNDS, default 7, of tcptally-collector --once) and the
# ratio to the host alone, and checks the counts against ss in every
# namespace. The phases follow each other (each needs its own population):
# compare the ratios, and take them as a few per cent apart on a shared box.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
TOTAL=${TOTAL:-100000} ROUNDS=${ROUNDS:-7} EHASH=${EHASH:-65536} COUNTS=${COUNTS:-"1 4 16"}
COLLECTOR=$build/tcptally-collector POPULATE=$build/bench/tcptally-populate
RUNCOST=$build/bench/tcptally-runcost

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
sysctl -n net.ipv4.tcp_child_ehash_entries >/dev/null 2>&1 ||
	{ echo "this kernel has no net.ipv4.tcp_child_ehash_entries (Linux 6.1+)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/tt-nsbench.XXXXXX)
pfx=ttb-$$
home=$pfx-home
made=() pops=()
ehash0=$(sysctl -n net.ipv4.tcp_child_ehash_entries)
teardown() {
	local p n
	for p in "${pops[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pops[@]}"; do wait "$p" 2>/dev/null || true; done
	for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	pops=() made=()
}
cleanup() {
	teardown
	sysctl -qw net.ipv4.tcp_child_ehash_entries="$ehash0"
	rm -rf "$tmp"
}
trap cleanup EXIT

mkns() {
	ip netns add "$1"
	made+=("$1")
	ip -n "$1" link set lo up
}

popn=0
populate() {	# namespace, sockets: half ESTABLISHED, a quarter each CLOSE_WAIT, FIN_WAIT2
	local n=$2 est cw line
	[ "$n" -gt 0 ] || return 0
	cw=$((n / 4)) est=$(((n - 2 * (n / 4)) / 2 * 2))
	popn=$((popn + 1))
	mkfifo "$tmp/in$popn" "$tmp/out$popn"
	ip netns exec "$1" "$POPULATE" --hold --established "$est" --close-wait "$cw" --v6 0 \
		<"$tmp/in$popn" >"$tmp/out$popn" &
	pops+=($!)
	exec {fd}>"$tmp/in$popn"
	read -r line <"$tmp/out$popn"
}

cfg() {	# name, namespaces
	printf 'database: %s/%s.db\ninterval: 10s\nhost: bench\nnamespaces: %s\n' "$tmp" "$1" "$2" \
		>"$tmp/$1.yaml"
	"$COLLECTOR" -c "$tmp/$1.yaml" --check-config >/dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

measure() {	# config name -> median cpu s of ROUNDS --once samples from the home namespace
	local r
	rm -f "$tmp/$1.cost"
	for ((r = 1; r <= ROUNDS; r++)); do
		ip netns exec "$home" "$RUNCOST" "$COLLECTOR" -q -c "$tmp/$1.yaml" --once \
			>>"$tmp/$1.cost" 2>/dev/null
		sleep 1	# --once stores nothing in a second that already has a sample
	done
	median <"$tmp/$1.cost"
}

check() {	# config name, namespaces...: the newest sample of each equals ss
	local db="$tmp/$1.db" n label want got
	shift
	for n in "$@"; do
		label=$n
		[ "$n" = "$home" ] && label=host
		want=$(ip netns exec "$n" ss -Htan | wc -l)
		got=$(sqlite3 "$db" "SELECT sum(count) FROM state_counts WHERE netns = '$label' AND grp = 'all'
			AND ts = (SELECT max(s.ts) FROM sample AS s JOIN host AS h ON h.id = s.host
			WHERE h.netns = '$label')")
		[ "$want" = "$got" ] || { echo "MISMATCH $label: collector $got, ss $want" >&2; return 1; }
	done
}

printf '%-34s %10s %8s %s\n' "sample" "cpu s" "x host" "sockets per namespace"
# The reference: every socket in the collector's own namespace.
sysctl -qw net.ipv4.tcp_child_ehash_entries=0
mkns "$home"
populate "$home" "$TOTAL"
cfg host "[host]"
ref=$(measure host)
check host "$home"
printf '%-34s %10.4f %8.2f %s\n' "host alone" "$ref" 1 "$TOTAL"
teardown

for hash in shared own; do
	for n in $COUNTS; do
		for how in spread one; do
			[ "$n" = 1 ] && [ "$how" = one ] && continue
			sysctl -qw net.ipv4.tcp_child_ehash_entries=0
			mkns "$home"
			[ "$hash" = own ] && sysctl -qw net.ipv4.tcp_child_ehash_entries="$EHASH"
			names=()
			for ((i = 1; i <= n; i++)); do
				mkns "$pfx-$i"
				names+=("$pfx-$i")
			done
			sysctl -qw net.ipv4.tcp_child_ehash_entries=0
			for ((i = 1; i <= n; i++)); do
				if [ "$how" = spread ]; then
					populate "$pfx-$i" $((TOTAL / n))
				elif [ "$i" = 1 ]; then
					populate "$pfx-$i" "$TOTAL"
				fi
			done
			cfg "$hash-$n-$how" "[\"name:$pfx-*\"]"
			cpu=$(measure "$hash-$n-$how")
			check "$hash-$n-$how" "${names[@]}"
			per=$([ "$how" = spread ] && echo "$((TOTAL / n)) in each of $n" || echo "$TOTAL in 1, 0 in $((n - 1))")
			label="$n namespace$([ "$n" = 1 ] || echo s), $how, $hash hash"
			printf '%-34s %10.4f %8.2f %s\n' "$label" "$cpu" "$(calc "$cpu / $ref")" "$per"
			teardown
		done
	done
done
echo "counts: every namespace's newest sample equals ss (all of them, each phase)"
