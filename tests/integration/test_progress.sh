#!/usr/bin/env bash
# Progress lines of --import and export: \r-updated on a terminal (script(1)
# gives a pty) once the work has run for a second, erased at the end; never
# when stderr is not a terminal. Needs no namespace.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v script >/dev/null || skip_or_fail "script (util-linux) not installed"

cfg="$TT_TMP/tcptally.yaml"
printf 'database: %s\ninterval: 60s\n' "$TT_TMP/p.db" >"$cfg"
# About 4 MB: 132,000 rows, 12,000 samples of one host.
awk 'BEGIN {
	split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", s, " ")
	print "ts,host,group,state,count"
	for (i = 0; i < 12000; i++)
		for (k = 1; k <= 11; k++)
			printf "%d,progress-host,all,%s,%d\n", 1795132800 + 60 * i, s[k], (i * k) % 1000
}' >"$TT_TMP/in.csv"
split_at=20000

echo "--- stderr not a terminal: no progress text"
"$COLLECTOR" -c "$cfg" --import - 2>"$TT_TMP/imp.err" \
	< <(head -n $split_at "$TT_TMP/in.csv"; sleep 1.5; tail -n +$((split_at + 1)) "$TT_TMP/in.csv") ||
	fail "import: $(cat "$TT_TMP/imp.err")"
assert_eq "$(cat "$TT_TMP/imp.err")" \
	"imported 12000 samples (12000 new, 0 already present) from stdin into $TT_TMP/p.db" "import's stderr"
"$REPORT" -d "$TT_TMP/p.db" export --format csv 2>"$TT_TMP/exp.err" | { sleep 1.5; cat; } >"$TT_TMP/out.csv" ||
	fail "export: $(cat "$TT_TMP/exp.err")"
cmp -s "$TT_TMP/in.csv" "$TT_TMP/out.csv" || fail "export differs from the import"
[ ! -s "$TT_TMP/exp.err" ] || fail "export wrote to stderr: $(cat "$TT_TMP/exp.err")"

# The text a terminal got, \r and all, from a command run under script(1).
on_tty() {
	script -qec "$1" /dev/null </dev/null >"$2" 2>&1 || fail "under script: $1 exited $?: $(cat -A "$2" | tail -5)"
}
# Progress lines shown, then erased (\r, spaces, \r) before anything else.
assert_progress() {	# typescript, what
	local cr=$'\r'
	grep -aq "$cr$2: [0-9.]*k* rows, [0-9.]*[kM]* rows/s" "$1" ||
		fail "no progress line for $2 in: $(cat -A "$1" | head -c 600)"
	tr '\r' '\n' <"$1" | grep -aq "^ \{20,\}$" || fail "the progress line was not erased: $(cat -A "$1" | tail -c 300)"
}

echo "--- import on a terminal, input slow for 1.5 s: progress, then erased"
rm -f "$TT_TMP/p.db"
on_tty "{ head -n $split_at '$TT_TMP/in.csv'; sleep 1.5; tail -n +$((split_at + 1)) '$TT_TMP/in.csv'; } |
	'$COLLECTOR' -c '$cfg' --import -" "$TT_TMP/imp.tty"
assert_progress "$TT_TMP/imp.tty" import
tr '\r' '\n' <"$TT_TMP/imp.tty" | grep -q "^imported 12000 samples (12000 new" ||
	fail "no summary after the progress: $(cat -A "$TT_TMP/imp.tty" | tail -c 300)"
echo "  $(tr '\r' '\n' <"$TT_TMP/imp.tty" | grep -a 'rows/s' | head -n 1)"

echo "--- export on a terminal, its reader slow for 1.5 s: progress, then erased"
on_tty "'$REPORT' -d '$TT_TMP/p.db' export --format csv | { sleep 1.5; cat >'$TT_TMP/out2.csv'; }" "$TT_TMP/exp.tty"
assert_progress "$TT_TMP/exp.tty" export
cmp -s "$TT_TMP/in.csv" "$TT_TMP/out2.csv" || fail "export under a terminal differs"
echo "  $(tr '\r' '\n' <"$TT_TMP/exp.tty" | grep -a 'rows/s' | head -n 1)"

echo "OK: progress"
