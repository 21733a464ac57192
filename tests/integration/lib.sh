# Shared by the integration tests: a private network namespace, the processes
# we start in it, and cleanup that runs however the test ends.
# Binaries come from the environment (set by meson): COLLECTOR, POPULATE.
set -euo pipefail

: "${COLLECTOR:?COLLECTOR must point at tcptally-collector}"
: "${POPULATE:?POPULATE must point at tcptally-populate}"
REPORT=${REPORT:-}

TT_NS=""
TT_PIDS=()
TT_TMP=$(mktemp -d /tmp/tt-it.XXXXXX)

tt_cleanup() {
	local pid
	for pid in "${TT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${TT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$TT_NS" ]; then
		ip netns del "$TT_NS" 2>/dev/null || true
	fi
	rm -rf "$TT_TMP"
}
trap tt_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Skip (77) when namespaces cannot be made, except in CI, where that is a failure.
skip_or_fail() {
	if [ "${CI:-}" = "true" ]; then
		fail "$* (CI=true: namespace tests must run, not skip)"
	fi
	echo "SKIP: $*" >&2
	exit 77
}

# A fresh namespace with lo up and a second IPv6 address on it.
tt_netns() {
	command -v ip >/dev/null || skip_or_fail "ip (iproute2) not installed"
	command -v ss >/dev/null || skip_or_fail "ss (iproute2) not installed"
	command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"
	TT_NS="tt-it-$$-$RANDOM"
	ip netns add "$TT_NS" 2>/dev/null || { TT_NS=""; skip_or_fail "cannot create a network namespace (run as root)"; }
	ip -n "$TT_NS" link set lo up
	ip -n "$TT_NS" -6 addr add fd00::2/128 dev lo nodad
}

# (To start one in the background, call ip netns exec directly, not this function:
# `in_ns ... &` would background a subshell, and $! would not be the command.)
in_ns() {
	ip netns exec "$TT_NS" "$@"
}

# Start the population tool (not in a subshell); waits for its ready line into
# TT_READY. Several may run at once; each holds until its stdin (a FIFO kept
# open here) closes, or SIGTERM.
TT_NPOP=0
tt_populate() {
	local out="$TT_TMP/pop$TT_NPOP.out" in="$TT_TMP/pop$TT_NPOP.in" line fd
	TT_NPOP=$((TT_NPOP + 1))
	mkfifo "$out" "$in"
	ip netns exec "$TT_NS" "$POPULATE" --hold "$@" <"$in" >"$out" &
	TT_PIDS+=($!)
	exec {fd}>"$in"
	read -r line <"$out" || fail "tcptally-populate did not start"
	TT_READY=$line
}

# sqlite3 on the test database
q() {
	sqlite3 -batch -noheader "$TT_DB" "$1"
}

# Counts per kernel state (ESTABLISHED..CLOSING order) as ss sees them, for an ss filter.
SS_STATES=(ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT UNCONN CLOSE-WAIT LAST-ACK LISTEN CLOSING)
TT_STATES=(ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING)
ss_counts() {
	in_ns ss -Htan "$@" | awk -v names="${SS_STATES[*]}" '
		BEGIN { n = split(names, s, " "); for (i = 1; i <= n; i++) c[s[i]] = 0 }
		{ c[$1]++ }
		END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), c[s[i]]; print "" }'
}

# The same, from the database, for group $1 at the newest sample.
db_counts() {
	local g=$1 st out=""
	for st in "${TT_STATES[@]}"; do
		out+="$(q "SELECT count FROM state_counts WHERE grp = '$g' AND state = '$st' AND ts = (SELECT max(ts) FROM sample WHERE (flags & 4) = 0)") "
	done
	echo "${out% }"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# One --once sample with config $1 while the population holds still: the
# caller's `snapshot` function prints the same before and after (three tries).
# Leaves that snapshot in TT_STILL. The collector runs through in_ns, or the
# function named in TT_IN (say, one that enters the namespace with nsenter).
once_while_still() {
	local attempt after
	for attempt in 1 2 3; do
		TT_STILL=$(snapshot)
		"${TT_IN:-in_ns}" "$COLLECTOR" -c "$1" --once -q || fail "tcptally-collector --once exited $?"
		after=$(snapshot)
		[ "$TT_STILL" = "$after" ] && return 0
		echo "population moved during the sample (attempt $attempt); sampling again" >&2
		sleep 1
	done
	fail "the population never held still"
}

# Wait until a command succeeds, at most $1 seconds.
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
