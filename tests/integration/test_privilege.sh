#!/usr/bin/env bash
# Least privilege and hostile input (issue 6):
#  - databases are created 0640, and a missing directory for them 0750, whatever
#    the umask;
#  - the report opens databases read-only (strace) and changes nothing (sha256),
#    and as an unprivileged user it reads a database whose file and directory
#    are read-only to everyone;
#  - host and group names reach SQL only as bound parameters;
#  - the collector works as `nobody` with no capabilities: its counts equal ss.
# That the collector, as root, refuses a config others can write is tested in
# test_daemon.sh ("a config others can write is refused as root").
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"

tt_netns
getent passwd nobody >/dev/null || skip_or_fail "no user nobody"
NOBODY_GROUP=$(id -gn nobody)
if command -v setpriv >/dev/null; then
	NOBODY=(setpriv --reuid=nobody --regid="$NOBODY_GROUP" --clear-groups --inh-caps=-all
		--bounding-set=-all)
else
	NOBODY=(runuser -u nobody --)
fi
# nobody must reach what we make under TT_TMP, and run the binaries.
chmod 0711 "$TT_TMP"
if ! "${NOBODY[@]}" test -x "$COLLECTOR" || ! "${NOBODY[@]}" test -x "$REPORT"; then
	mkdir -m 0755 "$TT_TMP/bin"
	cp "$COLLECTOR" "$REPORT" "$TT_TMP/bin/"
	COLLECTOR="$TT_TMP/bin/$(basename "$COLLECTOR")" REPORT="$TT_TMP/bin/$(basename "$REPORT")"
fi
H1="x'); DROP TABLE counts; --"
H2='x" OR 1=1 --'

echo "--- databases 0640, and the directory the collector makes for them 0750, whatever the umask"
tt_populate --listen 8 --established 3000 --close-wait 400 --time-wait 400 --v6 20
for m in 000 077; do
	base="$TT_TMP/umask$m"
	mkdir "$base"
	db="$base/var/t.db"
	printf 'database: %s\ninterval: 1s\nhost: it-priv\n' "$db" >"$base/c.yaml"
	(umask "$m" && in_ns "$COLLECTOR" -c "$base/c.yaml" --once -q) || fail "umask $m: --once exited $?"
	assert_eq "$(stat -c %a "$base/var")" 750 "umask $m: mode of the directory the collector made"
	assert_eq "$(stat -c %a "$db")" 640 "umask $m: mode of the database"
	# -wal and -shm: look while the collector runs (they are kept after it, too).
	(umask "$m" && exec ip netns exec "$TT_NS" "$COLLECTOR" -c "$base/c.yaml" --samples 3 -q) &
	pid=$!
	TT_PIDS+=("$pid")
	wal_modes() { WAL_MODES=$(stat -c %a "$db-wal" "$db-shm" 2>/dev/null | tr '\n' ' '); }
	wait_for 10 wal_modes || fail "umask $m: no -wal and -shm while the collector ran"
	wait "$pid" || fail "umask $m: --samples 3 exited $?"
	assert_eq "$WAL_MODES" "640 640 " "umask $m: modes of -wal and -shm"
	echo "    umask $m: directory $(stat -c %a "$base/var"), database $(stat -c %a "$db"), -wal -shm $WAL_MODES"
done
mkdir -m 0755 "$TT_TMP/keep"
printf 'database: %s\ninterval: 1s\n' "$TT_TMP/keep/t.db" >"$TT_TMP/keep.yaml"
(umask 077 && in_ns "$COLLECTOR" -c "$TT_TMP/keep.yaml" --once -q) || fail "keep: --once exited $?"
assert_eq "$(stat -c %a "$TT_TMP/keep") $(stat -c %a "$TT_TMP/keep/t.db")" "755 640" \
	"an existing directory keeps its mode"
printf 'database: %s\ninterval: 1s\n' "$TT_TMP/none/var/t.db" >"$TT_TMP/none.yaml"
rc=0
in_ns "$COLLECTOR" -c "$TT_TMP/none.yaml" --once -q >"$TT_TMP/none.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code when the directory's parent is missing"
grep -qF "$TT_TMP/none/var/t.db: cannot create the directory $TT_TMP/none/var: its parent does not exist; create it (mkdir -p -m 0750 $TT_TMP/none/var)" \
	"$TT_TMP/none.out" || fail "missing parent: $(cat "$TT_TMP/none.out")"
[ ! -e "$TT_TMP/none" ] || fail "the collector created $TT_TMP/none"
echo "    a missing grandparent: exit 1, $(cat "$TT_TMP/none.out")"

echo "--- as nobody, with no capabilities: all 11 state counts equal ss"
status=$(in_ns "${NOBODY[@]}" grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapBnd|CapAmb):' /proc/self/status)
printf '    %s\n' "${status//$'\n'/$'\n    '}"
echo "$status" | grep -qE "^Uid:\s+$(id -u nobody)\s" || fail "not running as nobody"
[ "$(echo "$status" | grep '^Cap' | grep -vc ':\s*0\{16\}$')" = 0 ] || fail "capabilities left: $status"
own="$TT_TMP/nobody"
mkdir -m 0700 "$own"
chown "nobody:$NOBODY_GROUP" "$own"
TT_DB="$own/var/t.db"	# var/ is made by the collector, as nobody
printf 'database: %s\ninterval: 10s\nhost: "%s"\n' "$TT_DB" "$H1" >"$TT_TMP/nobody.yaml"
for attempt in 1 2 3; do
	before=$(ss_counts)
	in_ns "${NOBODY[@]}" "$COLLECTOR" -c "$TT_TMP/nobody.yaml" --once -q ||
		fail "tcptally-collector --once as nobody exited $?"
	after=$(ss_counts)
	[ "$before" = "$after" ] && break
	echo "    population moved during the sample (attempt $attempt); sampling again" >&2
	sleep 1
done
[ "$before" = "$after" ] || fail "the population never held still"
total=$(echo "$before" | awk '{ for (i = 1; i <= NF; i++) t += $i } END { print t }')
[ "$total" -ge 3800 ] || fail "population too small: $total sockets"
assert_eq "$(db_counts all)" "$before" "nobody's counts of group all (${TT_STATES[*]}) against ss"
assert_eq "$(stat -c '%U %a' "$own/var" "$TT_DB" | tr '\n' ' ')" "nobody 750 nobody 640 " \
	"owner and mode of what nobody created"
assert_eq "$(q "SELECT name FROM host")" "$H1" "the host name, stored as given"
now_csv=$("${NOBODY[@]}" "$REPORT" -d "$TT_DB" --host "$H1" now --format csv | tail -n 1 | cut -d, -f3- | tr , ' ')
assert_eq "$now_csv" "$before" "report now --host '$H1' as nobody"
echo "    ss:        $before"
echo "    collector: $(db_counts all) ($total sockets, ${TT_STATES[*]})"

# One run of every report command; $1.. are global options.
REPORT_CMDS=("now" "trend --since 24h" "daily --date DATE" "at -2h" "diff --from -3h --to -2h"
	"check --at @END" "backtest" "export --format csv" "export --format json"
	"export --format openmetrics")
run_all() {	# prefix (an array name, or ""), label, report options...
	local -n pre=$1
	local label=$2 c rc
	shift 2
	for c in "${REPORT_CMDS[@]}"; do
		c=${c//DATE/$DAY}
		c=${c//END/$END}
		rc=0
		# shellcheck disable=SC2086
		"${pre[@]}" "$REPORT" "$@" $c >"$TT_TMP/run.out" 2>&1 || rc=$?
		[ "$rc" = 0 ] || fail "$label: tcptally-report $* $c exited $rc: $(head -n 3 "$TT_TMP/run.out")"
		grep -q . "$TT_TMP/run.out" || fail "$label: tcptally-report $* $c printed nothing"
	done
}
# shellcheck disable=SC2034	# run_all's prefix for root: none
ROOT=()

echo "--- hostile host names go into the SQL only as bound parameters"
# One file holds one host: the three hosts' histories in a database each, in
# one fleet directory, read together with -d DIR as a central host would.
inj="$TT_TMP/inj"
mkdir -p "$inj"
END=$(($(date +%s) / 60 * 60 - 60))
START=$((END - 49 * 3600))
DAY=$(date -d "@$END" +%F)
# 49 h at 60 s for three hosts: ESTABLISHED 100k + i % 7, CLOSE_WAIT k, LISTEN 10 + k.
awk -v t0=$START -v t1=$END -v h2="$H1" -v dir="$TT_TMP" 'BEGIN {
	split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", s, " ")
	h[1] = "plain"; h[2] = h2; h[3] = "\"x\"\" OR 1=1 --\""
	for (k = 1; k <= 3; k++) {
		f = dir "/inj" k ".csv"
		print "ts,host,group,state,count" > f
		for (t = t0; t <= t1; t += 60) {
			i = (t - t0) / 60
			for (j = 1; j <= 11; j++) {
				c = 0
				if (j == 1) c = 100 * k + i % 7
				if (j == 8) c = k
				if (j == 10) c = 10 + k
				printf "%d,%s,all,%s,%d\n", t, h[k], s[j], c > f
			}
		}
		close(f)
	}
}'
cat >"$TT_TMP/inj.yaml" <<YAML
interval: 60s
thresholds:
  - name: est
    state: ESTABLISHED
    above: 1000
YAML
yaml_host() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
k=0
for h in plain "$H1" "$H2"; do
	k=$((k + 1))
	printf 'database: %s\ninterval: 60s\nhost: "%s"\n' "$inj/$k.db" "$(yaml_host "$h")" >"$TT_TMP/inj$k.yaml"
	"$COLLECTOR" -c "$TT_TMP/inj$k.yaml" --import "$TT_TMP/inj$k.csv" 2>"$TT_TMP/imp.log" ||
		fail "import of host $k: $(cat "$TT_TMP/imp.log")"
done
db="$inj/2.db"	# H1's
TT_DB=$db
nsamples=$(((END - START) / 60 + 1))
tables=$(sqlite3 "$db" .tables)
schema=$(sqlite3 "$db" .schema | sha256sum)
fresh="$TT_TMP/fresh/t.db"
printf 'database: %s\ninterval: 60s\n' "$fresh" >"$TT_TMP/fresh.yaml"
echo "ts,host,group,state,count" | "$COLLECTOR" -c "$TT_TMP/fresh.yaml" --import - 2>/dev/null ||
	fail "creating an empty database"
assert_eq "$tables" "$(sqlite3 "$fresh" .tables)" "tables after the import"
# Group names are limited to [A-Za-z0-9_.-]: a hostile one is refused, nothing changes.
printf 'ts,host,group,state,count\n%s,plain,%s,ESTABLISHED,1\n' "$END" "x'); DROP TABLE --" >"$TT_TMP/grp.csv"
rc=0
"$COLLECTOR" -c "$TT_TMP/inj1.yaml" --import "$TT_TMP/grp.csv" 2>"$TT_TMP/grp.log" || rc=$?
assert_eq "$rc" 2 "import of a hostile group name"
grep -q "group name 'x'); DROP TABLE --' has invalid characters" "$TT_TMP/grp.log" ||
	fail "hostile group import: $(cat "$TT_TMP/grp.log")"
sums() { sha256sum "$inj"/[123].db | cut -d' ' -f1 | tr '\n' ' '; }
sum=$(sums)
for h in plain "$H1" "$H2"; do
	run_all ROOT "host $h" -c "$TT_TMP/inj.yaml" -d "$inj" --host "$h"
done
for g in "x'); DROP TABLE --" "x' OR '1'='1"; do
	for h in "" "$H1"; do
		rc=0
		"$REPORT" -c "$TT_TMP/inj.yaml" -d "$inj" ${h:+--host "$h"} now --group "$g" >"$TT_TMP/g.out" 2>&1 || rc=$?
		assert_eq "$rc" 2 "now --group \"$g\"${h:+ --host \"$h\"}"
		assert_eq "$(cat "$TT_TMP/g.out")" \
			"tcptally-report: unknown group '$g'; the database has: all" "now --group \"$g\""
	done
done
rc=0
"$REPORT" -c "$TT_TMP/inj.yaml" -d "$inj" trend --group "x'); DROP TABLE --" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "trend --group with a hostile name"
for k in 1 2 3; do
	assert_eq "$(sqlite3 "$inj/$k.db" .tables)" "$tables" "tables of $k.db after the reports"
	assert_eq "$(sqlite3 "$inj/$k.db" .schema | sha256sum)" "$schema" "schema of $k.db after the reports"
	assert_eq "$(sqlite3 "$inj/$k.db" "PRAGMA integrity_check")" ok "integrity of $k.db"
done
assert_eq "$(sums)" "$sum" "database bytes after every report command as root"
assert_eq "$(for k in 1 2 3; do sqlite3 "$inj/$k.db" "SELECT h.name, count(*), sum(c.established),
	sum(c.close_wait), sum(c.listen) FROM counts c JOIN host h ON h.id = c.host GROUP BY h.name"; done | tr '\n' '|')" \
	"$(awk -v n=$nsamples -v h2="$H2" -v h1="$H1" 'BEGIN {
		for (i = 0; i < n; i++) m += i % 7
		split("plain|" h1 "|" h2, h, "|")
		for (k = 1; k <= 3; k++)
			printf "%s|%d|%d|%d|%d|", h[k], n, 100 * k * n + m, k * n, (10 + k) * n
	}')" "rows and sums per host"
for k in 1 2 3; do
	case $k in 1) h=plain f=plain ;; 2) h=$H1 f=$H1 ;; 3) h=$H2 f='"x"" OR 1=1 --"' ;; esac
	"$REPORT" -d "$inj" --host "$h" export --format csv >"$TT_TMP/exp.csv" || fail "export --host '$h'"
	{ echo "ts,host,group,state,count"; grep -F ",$f,all," "$TT_TMP/inj$k.csv"; } >"$TT_TMP/want.csv"
	cmp -s "$TT_TMP/exp.csv" "$TT_TMP/want.csv" || fail "export --host '$h' differs from what was imported"
	assert_eq "$("$REPORT" -d "$inj" --host "$h" now --format csv | tail -n 1)" \
		"$f,all,$(date -u -d "@$END" +%Y-%m-%dT%H:%M:%SZ),$((100 * k + (nsamples - 1) % 7)),0,0,0,0,0,0,$k,0,$((10 + k)),0" \
		"now --host '$h'"
done
echo "    3 hosts x $nsamples samples, a file each; ${#REPORT_CMDS[@]} commands x 3 hosts and 6 hostile" \
	"--group runs; tables intact: $(tr -s " \n" " " <<<"$tables")"

echo "--- the report opens the database read-only (strace)"
if command -v strace >/dev/null; then
	: >"$TT_TMP/opens"
	for c in "now" "export --format csv" "check --at @$END"; do
		rc=0
		# shellcheck disable=SC2086
		strace -f -qq -e trace=openat -o "$TT_TMP/strace.out" \
			"$REPORT" -c "$TT_TMP/inj.yaml" -d "$db" --host "$H1" $c >/dev/null 2>"$TT_TMP/strace.err" || rc=$?
		if [ "$rc" != 0 ] && grep -qi "ptrace" "$TT_TMP/strace.err"; then
			echo "    strace cannot trace here: $(head -n 1 "$TT_TMP/strace.err")"
			break
		fi
		[ "$rc" = 0 ] || fail "strace tcptally-report $c exited $rc: $(cat "$TT_TMP/strace.err")"
		grep -F "\"$db" "$TT_TMP/strace.out" | sed 's/^[0-9]* *//' >>"$TT_TMP/opens"
	done
	if [ -s "$TT_TMP/opens" ]; then
		sort "$TT_TMP/opens" | uniq -c | sed 's/^/   /'
		main=$(grep -F "\"$db\"," "$TT_TMP/opens")
		[ -n "$main" ] || fail "strace saw no openat of $db"
		if echo "$main" | grep -vF "O_RDONLY" | grep -q . ||
			echo "$main" | grep -qE "O_RDWR|O_WRONLY|O_CREAT|O_TRUNC"; then
			fail "the report opened the database for writing: $main"
		fi
	fi
else
	echo "    strace not installed; skipping this part"
fi
assert_eq "$(sums)" "$sum" "database bytes after the traced runs"

echo "--- as nobody, on a database whose files (0444) and directory (0555) are read-only"
# The collector leaves the database checkpointed, with its -wal (cut back) and
# -shm kept (SQLITE_FCNTL_PERSIST_WAL), mode 0640 like the database: a reader
# that may not create files in the directory can still read it.
"$COLLECTOR" -c "$TT_TMP/inj2.yaml" --import "$TT_TMP/inj2.csv" 2>/dev/null || fail "re-import"
[ -e "$db-wal" ] && [ -e "$db-shm" ] || fail "-wal and -shm not kept after the collector exited"
assert_eq "$(stat -c %a "$db-wal" "$db-shm" | tr '\n' ' ')" "640 640 " "modes of the kept -wal and -shm"
chmod 0444 "$db" "$db-wal" "$db-shm"
chmod 0555 "$inj"
# A copy of the main file alone (a WAL database without its -shm) in a
# read-only directory: SQLite cannot make the -shm, so the report, seeing no
# -wal beside it (nobody writes it), reads it immutable; it creates nothing.
bare="$TT_TMP/bare"
mkdir -m 0755 "$bare"
cp "$db" "$bare/t.db"
chmod 0444 "$bare/t.db"
chmod 0555 "$bare"
bsum=$(sha256sum <"$bare/t.db")
"${NOBODY[@]}" "$REPORT" -d "$bare/t.db" --host "$H1" now >"$TT_TMP/ro.out" 2>&1 ||
	fail "report as nobody, bare WAL copy, read-only directory: $(cat "$TT_TMP/ro.out")"
echo "    a bare WAL copy without -wal/-shm in a read-only directory: now as nobody answers"
if [ -e "$bare/t.db-wal" ] || [ -e "$bare/t.db-shm" ]; then fail "the report created -wal or -shm"; fi
assert_eq "$(sha256sum <"$bare/t.db")" "$bsum" "the bare copy's bytes after the report"
chmod 0755 "$bare"

# With a collector running, the -wal and -shm exist, and the reader uses them.
printf 'database: %s\ninterval: 1s\nhost: "%s"\n' "$db" "$(yaml_host "$H1")" >"$TT_TMP/live.yaml"
ip netns exec "$TT_NS" "$COLLECTOR" -c "$TT_TMP/live.yaml" -q >"$TT_TMP/live.log" 2>&1 &
live=$!
TT_PIDS+=("$live")
live_samples() { [ "$(q "SELECT count(*) FROM counts WHERE ts > $END" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_for 20 live_samples 3 || fail "the live collector wrote no samples: $(cat "$TT_TMP/live.log")"
"${NOBODY[@]}" "$REPORT" -d "$db" --host "$H1" now --format csv >"$TT_TMP/live.out" 2>&1 ||
	fail "report as nobody beside a running collector: $(cat "$TT_TMP/live.out")"
echo "    a collector running (-wal, -shm $(stat -c %a "$db-shm")): now as nobody: $(tail -n 1 "$TT_TMP/live.out")"
run_all NOBODY "nobody, collector running" -c "$TT_TMP/inj.yaml" -d "$db" --host "$H1"
kill -TERM "$live"
wait "$live" || fail "live collector: exit $? after SIGTERM"
[ -e "$db-shm" ] || fail "-shm not kept after the live collector exited"

# Quiescent, the collector stopped, with the -wal and -shm it kept: every
# command answers, and nothing changes.
[ -e "$db-wal" ] || fail "the collector kept no -wal"
[ -e "$db-shm" ] || fail "the collector kept no -shm"
chmod 0444 "$db" "$db-wal" "$db-shm"
sum=$(sha256sum "$db" "$db-wal" "$db-shm" | cut -d' ' -f1)
dump=$(sqlite3 -readonly "file:$db?immutable=1" .dump | sha256sum)
run_all NOBODY "nobody, -wal and -shm kept" -c "$TT_TMP/inj.yaml" -d "$db" --host "$H1"
chmod 0444 "$inj/1.db" "$inj/3.db"
run_all NOBODY "nobody, a fleet directory" -c "$TT_TMP/inj.yaml" -d "$inj" --host "$H2"
assert_eq "$(sha256sum "$db" "$db-wal" "$db-shm" | cut -d' ' -f1)" "$sum" "db, -wal, -shm bytes after nobody's reports"
assert_eq "$(sqlite3 -readonly "file:$db?immutable=1" .dump | sha256sum)" "$dump" "content after nobody's reports"
echo "    -wal and -shm present (0444): ${#REPORT_CMDS[@]} commands answer, and over the fleet directory; db, -wal, -shm sha256 unchanged"

# A database in rollback-journal mode needs nothing beside it: checkpointing is
# not enough (the header still says WAL), journal_mode=DELETE is.
mkdir -m 0755 "$TT_TMP/del"
cp "$db" "$TT_TMP/del/t.db"
chmod 0644 "$TT_TMP/del/t.db"
assert_eq "$(sqlite3 "$TT_TMP/del/t.db" "PRAGMA journal_mode = DELETE")" delete "journal_mode"
chmod 0444 "$TT_TMP/del/t.db"
chmod 0555 "$TT_TMP/del"
"${NOBODY[@]}" "$REPORT" -d "$TT_TMP/del/t.db" --host "$H1" now >/dev/null 2>"$TT_TMP/del.err" ||
	fail "report as nobody on a journal_mode=DELETE copy: $(cat "$TT_TMP/del.err")"
echo "    journal_mode=DELETE copy, read-only file and directory: now as nobody answers"
chmod 0755 "$inj" "$TT_TMP/del"	# so that cleanup can remove them

echo "OK: modes 0640/0750 under umask 000 and 077; report read-only; bound names; nobody's counts equal ss"
