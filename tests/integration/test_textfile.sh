#!/usr/bin/env bash
# The node_exporter textfile: its values equal the stored sample and ss, promtool
# accepts it without lint warnings, it is replaced atomically (never read half
# written, no temporary file left), and an unwritable directory is logged once
# while samples go on being stored, until it is writable again.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tt_netns
tt_populate --listen 3 --established 40 --close-wait 6 --time-wait 5 --v6 25
echo "population: $TT_READY"
TT_DB="$TT_TMP/t.db"
cfg="$TT_TMP/tcptally.yaml"
prom="$TT_TMP/node-exporter/tcptally.prom"
mkdir -p "$(dirname "$prom")"
write_cfg() {	# database, textfile
	cat >"$cfg" <<YAML
database: $1
interval: 1s
host: it-textfile
textfile: $2
groups:
  - name: srv
    local_ports: ["8000-8015"]
  - name: v6
    family: ipv6
YAML
}
write_cfg "$TT_DB" "$prom"
GROUPS_=(all srv v6)

# Parse a textfile strictly; print "group s1 .. s11" per group, then
# "sockets N", "duration D", "interval I", "ts T", then per group "lq GROUP
# listeners queued backlog fill full" and per kernel value "k NAME VALUE".
# Fails on anything else.
parse_prom() {
	awk -v names="${TT_STATES[*]}" -v ngroups=${#GROUPS_[@]} '
	BEGIN { n = split(names, st, " "); for (i = 1; i <= n; i++) idx[st[i]] = i; bad = "" }
	function die(why) { if (bad == "") bad = "line " NR ": " why ": " $0 }
	/^# HELP tcptally_[a-z_]+ [^ ]/ { help[$3]++; next }
	/^# TYPE tcptally_[a-z_]+ gauge$/ { type[$3]++; if (!($3 in help)) die("TYPE before HELP"); next }
	/^# TYPE tcptally_kernel_total counter$/ { type[$3]++; if (!($3 in help)) die("TYPE before HELP"); next }
	/^tcptally_(listen_queue_fill|listen_queued|listeners|listen_full|listen_backlog)\{group="[A-Za-z0-9_.-]+"\} [0-9.e+-]+$/ {
		split($0, p, "\""); fam = substr(p[1], 10, length(p[1]) - 16)
		if ((p[2], fam) in lq) die("repeated")
		lq[p[2], fam] = $2; nlq++; next
	}
	/^tcptally_(kernel_total|sockstat|kernel_limit)\{name="[A-Za-z0-9_]+"\} [0-9]+$/ {
		split($0, p, "\""); if (p[2] in kv) die("repeated"); kv[p[2]] = $2; next
	}
	/^tcptally_sockets\{group="[A-Za-z0-9_.-]+",state="[A-Z_0-9]+"\} [0-9]+$/ {
		split($0, p, "\""); g = p[2]; s = p[4]
		if (!(s in idx)) die("unknown state")
		if (!(g in seen)) { order[++ng] = g; seen[g] = 1 }
		if ((g, s) in c) die("repeated")
		c[g, s] = $2; nsock++; next
	}
	/^tcptally_close_wait_oldest_seconds\{group="[A-Za-z0-9_.-]+"\} [0-9]+$/ {
		split($0, p, "\""); if (p[2] in age) die("repeated"); age[p[2]] = $2; next
	}
	/^tcptally_peer_port_share\{group="[A-Za-z0-9_.-]+",peer="[^"]+:[0-9]+"\} [0-9.e+-]+$/ {
		split($0, p, "\""); if (p[2] in share) die("repeated")
		if ($2 <= 0 || $2 > 1) die("a share not in (0, 1]"); share[p[2]] = $2; next
	}
	/^tcptally_sample_sockets [0-9]+$/ { v["sockets"] = $2; next }
	/^tcptally_sample_duration_seconds [0-9]+\.[0-9]+$/ { v["duration"] = $2; next }
	/^tcptally_sample_interval_seconds [0-9]+$/ { v["interval"] = $2; next }
	/^tcptally_sample_timestamp_seconds [0-9]+$/ { v["ts"] = $2; last = NR; next }
	{ die("unexpected line") }
	END {
		if (bad == "" && nsock != ngroups * n) bad = nsock " tcptally_sockets lines, want " ngroups * n
		if (bad == "" && length(help) != 15) bad = length(help) " HELP lines"
		if (bad == "" && length(type) != 15) bad = length(type) " TYPE lines"
		# the age of the oldest CLOSE_WAIT: for every group holding some
		for (k = 1; k <= ng && bad == ""; k++)
			if ((c[order[k], "CLOSE_WAIT"] > 0) != (order[k] in age))
				bad = "group " order[k] ": CLOSE_WAIT " c[order[k], "CLOSE_WAIT"] ", but " \
				    ((order[k] in age) ? "an age" : "no age")
		if (bad == "" && nlq != ngroups * 5) bad = nlq " accept queue lines, want " ngroups * 5
		if (bad == "" && length(v) != 4) bad = "missing sample gauges"
		if (bad == "" && last != NR) bad = "the timestamp is not the last line"
		if (bad != "") { print bad > "/dev/stderr"; exit 1 }
		for (k = 1; k <= ng; k++) {
			line = order[k]
			for (i = 1; i <= n; i++) line = line " " c[order[k], st[i]]
			print line
		}
		print "sockets " v["sockets"]; print "duration " v["duration"]
		print "interval " v["interval"]; print "ts " v["ts"]
		for (k = 1; k <= ng; k++)
			print "lq", order[k], lq[order[k], "listeners"], lq[order[k], "listen_queued"],
			    lq[order[k], "listen_backlog"], lq[order[k], "listen_queue_fill"],
			    lq[order[k], "listen_full"]
		for (n in kv) print "k", n, kv[n] | "sort"
	}' "$1"
}

declare -A filter=([all]="" [srv]="( sport >= :8000 and sport <= :8015 )" [v6]="-6")
snapshot() {
	local g f
	for g in "${GROUPS_[@]}"; do
		f=${filter[$g]}
		case $f in
		-6) echo "$g $(ss_counts -6)" ;;
		"") echo "$g $(ss_counts)" ;;
		*) echo "$g $(ss_counts "$f")" ;;
		esac
	done
}

echo "--- --once: the textfile equals the stored sample and ss"
once_while_still "$cfg"
[ -f "$prom" ] || fail "no textfile written at $prom"
assert_eq "$(stat -c %a "$prom")" 644 "textfile mode"
parsed=$(parse_prom "$prom") || fail "textfile does not parse: $(cat "$prom")"
assert_eq "$(echo "$parsed" | head -n ${#GROUPS_[@]})" "$TT_STILL" "textfile counts against ss"
for g in "${GROUPS_[@]}"; do
	assert_eq "$(echo "$parsed" | awk -v g="$g" '$1 == g { $1 = ""; print substr($0, 2) }')" \
		"$(db_counts "$g")" "textfile counts against the database, group $g"
done
pv() { echo "$parsed" | awk -v k="$1" '$1 == k { print $2 }'; }
assert_eq "$(pv ts)" "$(q "SELECT max(ts) FROM sample")" "tcptally_sample_timestamp_seconds"
assert_eq "$(pv sockets)" "$(q "SELECT sockets FROM sample WHERE ts = (SELECT max(ts) FROM sample)")" \
	"tcptally_sample_sockets"
assert_eq "$(pv interval)" 1 "tcptally_sample_interval_seconds"
# The file's duration adds the store to the stored dump + tally time.
awk -v d="$(pv duration)" -v us="$(q "SELECT duration_us FROM sample ORDER BY ts DESC LIMIT 1")" \
	'BEGIN { exit !(d > 0 && d < 5 && d * 1e6 + 1 >= us) }' ||
	fail "tcptally_sample_duration_seconds $(pv duration) against duration_us in the database"
# the accept queues and the kernel's context equal what the sample stored
last=$(q "SELECT max(ts) FROM sample")
assert_eq "$(echo "$parsed" | awk '$1 == "lq" { $1 = ""; print substr($0, 2) }')" \
	"$(q "SELECT grp, listeners, queued, backlog, max_fill, full FROM listen_queues
	    WHERE ts = $last ORDER BY grp = 'all' DESC, grp" | tr '|' ' ' | sed 's/ 0\.0 / 0 /')" \
	"textfile accept queues against the database"
assert_eq "$(echo "$parsed" | awk '$1 == "lq" && $2 == "all" { print $3 }')" \
	"$(in_ns ss -Hltn | wc -l)" "textfile listeners against ss -ltn"
assert_eq "$(echo "$parsed" | awk '$1 == "k" { print $2, $3 }')" \
	"$(q "SELECT name, value FROM kernel_counters WHERE ts = $last
	    UNION ALL SELECT l.name, l.value FROM kernel_limits AS l WHERE l.ts =
	    (SELECT max(ts) FROM kernel_limits AS m WHERE m.name = l.name)" | tr '|' ' ' | sort)" \
	"textfile kernel values against the database"
cp "$prom" "$TT_TMP/once.prom"
echo "$parsed" | sed 's/^/  /'

echo "--- at 1s: 200 reads while it is replaced, each one complete"
log="$TT_TMP/collector.log"
ip netns exec "$TT_NS" "$COLLECTOR" -c "$cfg" -q >"$log" 2>&1 &
COLL=$!
TT_PIDS+=("$COLL")
declare -A stamps=()
for ((i = 0; i < 200; i++)); do
	cp "$prom" "$TT_TMP/read.prom" 2>/dev/null || fail "read $i: the textfile vanished"
	parsed=$(parse_prom "$TT_TMP/read.prom") ||
		fail "read $i: incomplete or bad: $(tail -c 300 "$TT_TMP/read.prom")"
	stamps[$(echo "$parsed" | awk '$1 == "ts" { print $2 }')]=1
	sleep 0.025
done
[ ${#stamps[@]} -ge 3 ] || fail "only ${#stamps[@]} different samples seen in 200 reads"
kill -TERM "$COLL"
wait "$COLL" || fail "collector exit $? after SIGTERM: $(cat "$log")"
leftover=$(find "$(dirname "$prom")" -name '*.tmp.*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"
assert_eq "$(ls "$(dirname "$prom")")" "tcptally.prom" "the textfile directory's content"
parsed=$(parse_prom "$prom") || fail "final textfile does not parse"
assert_eq "$(echo "$parsed" | awk '$1 == "ts" { print $2 }')" "$(q "SELECT max(ts) FROM sample")" \
	"the final textfile is the newest sample"
! grep textfile "$log" || fail "the collector logged textfile errors"
echo "  ${#stamps[@]} samples seen over 200 complete reads"

echo "--- a read-only textfile directory: logged once, samples still stored, then recovers"
command -v unshare >/dev/null && command -v nsenter >/dev/null ||
	skip_or_fail "unshare/nsenter (util-linux) not installed"
ro="$TT_TMP/ro"
mkdir "$ro"
TT_DB="$TT_TMP/ro.db"
write_cfg "$TT_DB" "$ro/tcptally.prom"
# A private mount namespace with the directory bound read-only: as systemd's
# ProtectSystem= does when the unit lacks ReadWritePaths= for it.
ip netns exec "$TT_NS" unshare -m --propagation private sh -c \
	'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" -c "$3" -q' \
	sh "$ro" "$COLLECTOR" "$cfg" >"$log" 2>&1 &
COLL=$!
TT_PIDS+=("$COLL")
samples() { q "SELECT count(*) FROM sample WHERE (flags & 4) = 0" 2>/dev/null || echo 0; }
has_samples() { [ "$(samples)" -ge "$1" ]; }
wait_for 15 has_samples 4 || fail "samples stopped with an unwritable textfile: $(cat "$log")"
assert_eq "$(grep -c "textfile $ro/tcptally.prom: cannot create a temporary file next to it: Read-only file system; samples are still stored" "$log")" \
	1 "one error logged for $(samples) failed writes ($(cat "$log"))"
[ ! -e "$ro/tcptally.prom" ] || fail "a textfile appeared in the read-only directory"
nsenter -t "$COLL" -m mount -o remount,bind,rw "$ro" || fail "cannot make $ro writable again"
wait_for 10 test -s "$ro/tcptally.prom" || fail "no textfile after the directory became writable"
wait_for 5 grep -q "textfile $ro/tcptally.prom: writing works again" "$log" ||
	fail "no recovery message: $(cat "$log")"
kill -TERM "$COLL"
wait "$COLL" || fail "collector exit $? after SIGTERM"
assert_eq "$(grep -c textfile "$log")" 2 "textfile log lines (one failure, one recovery)"
parse_prom "$ro/tcptally.prom" >/dev/null || fail "textfile after recovery does not parse"

echo "--- promtool check metrics: no errors, no lint warnings"
if [ -n "${PROMTOOL:-}" ] || command -v promtool >/dev/null; then
	promtool=${PROMTOOL:-promtool}
	for f in "$TT_TMP/once.prom" "$prom"; do
		out=$("$promtool" check metrics <"$f" 2>&1) || fail "promtool check metrics: $out"
		[ -z "$out" ] || fail "promtool check metrics warns: $out"
	done
	echo "  promtool: accepted, no warnings"
else
	skip_or_fail "promtool not found (contrib/dev test fetches it from Debian's prometheus package)"
fi
echo "OK: textfile"
