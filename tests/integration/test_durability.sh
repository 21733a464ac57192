#!/usr/bin/env bash
# Durability: the history survives SIGKILL and a full disk, and readers never
# hurt the writer.
#  1. SIGKILL at random moments while the collector samples (1 s, a few thousand
#     sockets): integrity ok, every sample it logged (the log line follows the
#     COMMIT) is stored, no sample without its counts, the next start goes on.
#  2. SIGKILL at random moments during --import of a large CSV: the database is
#     either unchanged or fully imported, integrity ok, and a re-import completes.
#  5. SIGKILL at random moments while retention drains a backlog of 60 days
#     (raw kept 1 day): integrity ok, every logged sample stored, nothing within
#     retention lost, rollups untouched, and the next start goes on draining.
#  3. Disk full: the database on a small tmpfs in the collector's own mount
#     namespace, filled up twice: it keeps running, logs the failure once per
#     episode, records the slots it could not store as missed, says when storing
#     works again; integrity ok; `tcptally-report now` works throughout.
#  4. Readers: report commands in two tight loops against a collector at 1 s:
#     0 missed slots, no SQLITE_BUSY on either side, the WAL stays bounded.
# CI runs the short form; the long run is
#   TT_TRIALS=200 TT_READER_SECS=60 COLLECTOR=... REPORT=... POPULATE=... bash test_durability.sh
# (TT_PARTS="3 4" runs only those parts.)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
# Absolute paths: nsenter -m starts commands in the target's root directory.
COLLECTOR=$(realpath "$COLLECTOR")
REPORT=$(realpath "$REPORT")
POPULATE=$(realpath "$POPULATE")
TRIALS=${TT_TRIALS:-20}
READER_SECS=${TT_READER_SECS:-15}

[ "$(id -u)" = 0 ] || skip_or_fail "needs root (network and mount namespaces)"
command -v nsenter >/dev/null || skip_or_fail "nsenter (util-linux) not installed"
command -v unshare >/dev/null || skip_or_fail "unshare (util-linux) not installed"
tt_netns
tt_populate --listen 4 --established 3000 --close-wait 300 --time-wait 300 --v6 20
echo "    population: $TT_READY"
T_START=$SECONDS

now_ns() { date +%s%N; }
# sleep for $1 milliseconds
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# ' sample 2026-11-23T20:39:03Z: ...' lines of a collector log, as unix seconds
logged_ts() {
	sed -n 's/.* sample \(20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z\): .*/\1/p' "$1" |
		date -u -f - +%s
}
integrity() { sqlite3 -batch "$1" "PRAGMA integrity_check"; }
# Check a copy of a crashed database (the main file, the WAL and a hot journal
# (a new database's switch to WAL mode has one), not the -shm, so that the
# copy recovers as the next opener would), leaving the original as the crash
# left it for the next start.
snapshot() {	# db, copy
	local x
	rm -f "$2" "$2-wal" "$2-shm" "$2-journal"
	cp "$1" "$2"
	for x in wal journal; do
		[ ! -e "$1-$x" ] || cp "$1-$x" "$2-$x"
	done
}

chk="$TT_TMP/chk.db"

# Every sample time in file $1 (logged as taken) is stored in db $2; else fail
# with the label $3 and the missing times.
assert_logged_stored() {
	local lost
	sort -u "$1" >"$TT_TMP/logged"
	sqlite3 -batch "$2" "SELECT ts FROM sample WHERE (flags & 4) = 0" | sort -u >"$TT_TMP/stored"
	lost=$(comm -23 "$TT_TMP/logged" "$TT_TMP/stored" | tr '\n' ' ')
	[ -z "$lost" ] || fail "$3: samples logged as taken but not stored: $lost"
}

part1() {
	echo "--- 1. SIGKILL during sampling: $TRIALS trials"
	TT_DB="$TT_TMP/kill.db"
	kcfg="$TT_TMP/kill.yaml"
	printf 'database: %s\ninterval: 1s\nhost: it-kill\ngroups:\n  - name: web\n    local_ports: ["8000-8099"]\n' \
		"$TT_DB" >"$kcfg"
	: >"$TT_TMP/logged.all"
	early=0 boundary=0 at_slot_logged=0 at_slot_unlogged=0 at_slot_none=0
	prev_max=0	# the newest stored sample, from the checked copy: the original stays as the kill left it
	for ((t = 1; t <= TRIALS; t++)); do
		klog="$TT_TMP/kill.$t.log"
		ip netns exec "$TT_NS" "$COLLECTOR" -c "$kcfg" >"$klog" 2>&1 &
		coll=$!
		TT_PIDS+=("$coll")
		slot=""
		if ((t % 3 == 0)); then
			# At a slot boundary: 0-6 ms after the second that starts at least
			# 1 s from now, while that slot is dumped, tallied and committed.
			boundary=$((boundary + 1))
			ns=$(now_ns)
			slot=$((ns / 1000000000 + 2))
			delay=$(((slot * 1000000000 - ns) / 1000000 + RANDOM % 7))
		else
			delay=$((RANDOM % 2501))
		fi
		sleep_ms "$delay"
		kill -KILL "$coll" 2>/dev/null || fail "trial $t: the collector had exited: $(cat "$klog")"
		rc=0
		wait "$coll" 2>/dev/null || rc=$?	# (no "Killed" notice)
		assert_eq "$rc" 137 "trial $t: exit status (killed by SIGKILL while running)"
		! grep -Eiq 'cannot|warn|locked|busy|already|behind|missed|error' "$klog" ||
			fail "trial $t: the collector complained: $(cat "$klog")"
		logged_ts "$klog" >"$TT_TMP/logged.run"
		cat "$TT_TMP/logged.run" >>"$TT_TMP/logged.all"
		# This start went on from where the last one was killed: it sampled
		# (given the time to reach a slot) and only after what was stored.
		[ "$delay" -lt 1300 ] || [ -s "$TT_TMP/logged.run" ] ||
			fail "trial $t: no sample in $delay ms after the restart: $(cat "$klog")"
		assert_eq "$(awk -v m="$prev_max" '$1 <= m' "$TT_TMP/logged.run" | wc -l)" 0 \
			"trial $t: samples at or before the last stored one ($prev_max)"
		[ -e "$TT_DB" ] || continue	# killed before it created the database
		snapshot "$TT_DB" "$chk"
		assert_eq "$(integrity "$chk")" ok "trial $t: integrity_check"
		if [ "$(sqlite3 -batch "$chk" "PRAGMA user_version")" = 0 ]; then
			# Killed while it created the database: nothing, not half a schema.
			assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) FROM sqlite_master")" 0 \
				"trial $t: schema objects in a database whose migration did not commit"
			[ ! -s "$TT_TMP/logged.all" ] || fail "trial $t: the database lost its schema"
			early=$((early + 1))
			continue
		fi
		assert_logged_stored "$TT_TMP/logged.all" "$chk" "trial $t (log: $(cat "$klog"))"
		assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) FROM sample s WHERE (s.flags & 4) = 0 AND
			(SELECT count(*) FROM counts c WHERE c.ts = s.ts AND c.host = s.host) != 2")" 0 \
			"trial $t: samples without their 2 counts rows (all, web)"
		assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) FROM counts c WHERE NOT EXISTS
			(SELECT 1 FROM sample s WHERE s.ts = c.ts AND s.host = c.host)")" 0 \
			"trial $t: counts rows without their sample"
		prev_max=$(sqlite3 -batch "$chk" "SELECT coalesce(max(ts), 0) FROM sample")
		if [ -n "$slot" ]; then
			if grep -qx "$slot" "$TT_TMP/logged"; then
				at_slot_logged=$((at_slot_logged + 1))
			elif grep -qx "$slot" "$TT_TMP/stored"; then
				at_slot_unlogged=$((at_slot_unlogged + 1))	# killed between COMMIT and the log line
			else
				at_slot_none=$((at_slot_none + 1))	# killed before the COMMIT
			fi
		fi
	done
	checked=$(sort -u "$TT_TMP/logged.all" | wc -l)
	[ "$checked" -ge $((TRIALS / 2)) ] || fail "only $checked samples were logged over $TRIALS trials"
	echo "--- the next start after the last kill: --samples 2 completes and adds 2 samples"
	before=$(q "SELECT count(*) FROM sample" 2>/dev/null || echo 0)	# (no schema yet if killed early)
	ip netns exec "$TT_NS" "$COLLECTOR" -c "$kcfg" --samples 2 >"$TT_TMP/kill.last.log" 2>&1 ||
		fail "--samples 2 after the kills: $(cat "$TT_TMP/kill.last.log")"
	assert_eq "$(q "SELECT count(*) FROM sample")" $((before + 2)) "samples added by the next start"
	assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the last start"
	assert_eq "$(q "SELECT count(*) FROM sample WHERE flags & 4")" 0 "missed slots within runs"
	echo "    $TRIALS trials; $checked logged samples, each found stored after every later kill;" \
		"$early kills before the new database's schema was committed"
	dur=$(cat "$TT_TMP"/kill.*.log | sed -n 's/.* sockets in \([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%s ms median, %s ms max", v[int((NR + 1) / 2)], v[NR] }')
	echo "    a sample (dump, tally, COMMIT) took $dur"
	echo "    kills at a slot boundary: $boundary (slot logged: $at_slot_logged," \
		"committed but not yet logged: $at_slot_unlogged, not committed: $at_slot_none)"
	FIG_KILL="sampling: $TRIALS trials, $checked logged samples checked, 0 lost"
}

part2() {
	echo "--- 2. SIGKILL during --import: $TRIALS trials"
	icfg="$TT_TMP/imp.yaml"
	idb="$TT_TMP/imp.db"
	printf 'database: %s\ninterval: 60s\nhost: it-import\n' "$idb" >"$icfg"
	# 27000 samples at 60 s, groups all and web: 594000 rows in the export format.
	gen_csv() {	# first sample, number of samples
		awk -v first="$1" -v n="$2" 'BEGIN {
			split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", s, " ")
			print "ts,host,group,state,count"
			for (i = first; i < first + n; i++)
				for (g = 1; g <= 2; g++) for (k = 1; k <= 11; k++)
					printf "%d,h1,%s,%s,%d\n", 1790000000 + 60 * i, (g == 1 ? "all" : "web"), s[k], (i * 7 + k * 13 + g * 5) % 5003
		}'
	}
	gen_csv 0 27000 >"$TT_TMP/big.csv"
	gen_csv 0 1000 >"$TT_TMP/small.csv"	# already there before: re-imported rows are left alone
	rows=$(($(wc -l <"$TT_TMP/big.csv") - 1))
	sum_q="SELECT (SELECT count(*) FROM sample) || ' ' || (SELECT total(sockets) FROM sample) || ' ' ||
		(SELECT count(*) FROM counts) || ' ' || (SELECT total((ts % 100003) * (established + 2 * syn_sent
		+ 3 * syn_recv + 5 * fin_wait1 + 7 * fin_wait2 + 11 * time_wait + 13 * close + 17 * close_wait
		+ 19 * last_ack + 23 * listen + 29 * closing) + grp) FROM counts) || ' ' ||
		(SELECT group_concat(name) FROM (SELECT name FROM host ORDER BY id))"
	"$COLLECTOR" -c "$icfg" --import "$TT_TMP/small.csv" 2>/dev/null || fail "import of the first 1000 samples"
	# The WAL is kept (for readers that cannot create it) but checkpointed and
	# cut back to journal_size_limit, 4 MiB.
	[ "$(stat -c %s "$idb-wal" 2>/dev/null || echo 0)" -le 4194304 ] ||
		fail "the import left a WAL of $(stat -c %s "$idb-wal") bytes"
	cp "$idb" "$TT_TMP/imp.before"
	sum_before=$(sqlite3 -batch "$idb" "$sum_q")
	t0=$(now_ns)
	"$COLLECTOR" -c "$icfg" --import "$TT_TMP/big.csv" 2>"$TT_TMP/imp.log" || fail "clean import: $(cat "$TT_TMP/imp.log")"
	full_ms=$((($(now_ns) - t0) / 1000000))
	sum_full=$(sqlite3 -batch "$idb" "$sum_q")
	[ "$sum_full" != "$sum_before" ] || fail "the clean import changed nothing"
	assert_eq "$(sqlite3 -batch "$idb" "SELECT count(*) FROM counts")" 54000 "counts rows after a clean import"
	echo "    $rows rows; a clean import takes $full_ms ms; kills spread over 0..$((full_ms * 13 / 10)) ms"
	mid=0 mid_wal=0 after=0 done_first=0
	for ((t = 1; t <= TRIALS; t++)); do
		rm -f "$idb" "$idb-wal" "$idb-shm"
		cp "$TT_TMP/imp.before" "$idb"
		"$COLLECTOR" -c "$icfg" --import "$TT_TMP/big.csv" 2>"$TT_TMP/imp.log" &
		imp=$!
		TT_PIDS+=("$imp")
		sleep_ms $((RANDOM % (full_ms * 13 / 10 + 1)))
		kill -KILL "$imp" 2>/dev/null || true
		rc=0
		wait "$imp" 2>/dev/null || rc=$?
		wal=0
		[ ! -e "$idb-wal" ] || wal=$(stat -c %s "$idb-wal")
		snapshot "$idb" "$chk"
		assert_eq "$(integrity "$chk")" ok "import trial $t (exit $rc): integrity_check"
		sum=$(sqlite3 -batch "$chk" "$sum_q")
		case "$rc:$sum" in
		0:"$sum_full") done_first=$((done_first + 1)) ;;
		137:"$sum_before")
			mid=$((mid + 1))
			[ "$wal" = 0 ] || mid_wal=$((mid_wal + 1)) ;;
		137:"$sum_full") after=$((after + 1)) ;;
		*) fail "import trial $t (exit $rc): neither unchanged nor fully imported: '$sum'; want '$sum_before' or '$sum_full'" ;;
		esac
		"$COLLECTOR" -c "$icfg" --import "$TT_TMP/big.csv" 2>"$TT_TMP/imp.log" ||
			fail "import trial $t: the re-import after the kill failed: $(cat "$TT_TMP/imp.log")"
		assert_eq "$(sqlite3 -batch "$idb" "$sum_q")" "$sum_full" "import trial $t: after the re-import"
		assert_eq "$(integrity "$idb")" ok "import trial $t: integrity after the re-import"
	done
	echo "    killed before the COMMIT (unchanged): $mid, $mid_wal of them with uncommitted pages in the WAL;"
	echo "    killed after the COMMIT (complete): $after; finished before the kill: $done_first"
	[ "$mid" -ge $((TRIALS / 4)) ] || fail "only $mid of $TRIALS kills landed inside the import"
	FIG_IMPORT="import: $TRIALS trials ($mid mid-import, $after after commit, $done_first finished), 0 partial"
}

part3() {
	echo "--- 3. disk full: the database on a tmpfs in the collector's own mount namespace"
	fsdir="$TT_TMP/fs"
	mkdir "$fsdir"
	fdb="$fsdir/full.db"
	fcfg="$TT_TMP/full.yaml"
	flog="$TT_TMP/full.log"
	printf 'database: %s\ninterval: 1s\nhost: it-full\ngroups:\n  - name: web\n    local_ports: ["8000-8099"]\n' \
		"$fdb" >"$fcfg"
	# 4 MiB: the database and a WAL that grows (about 8 KiB a sample, no checkpoint
	# before 1000 pages) for the length of this part; the filler takes the rest.
	: >"$flog"	# (before the background start: its redirection may come late)
	ip netns exec "$TT_NS" unshare -m --propagation private sh -c \
		'mount -t tmpfs -o size=4m,mode=0755 tt-full "$0" && exec "$@"' \
		"$fsdir" "$COLLECTOR" -c "$fcfg" >"$flog" 2>&1 &
	fpid=$!
	TT_PIDS+=("$fpid")
	mntpid=$fpid
	inm() { nsenter -m -t "$mntpid" "$@"; }
	nlines() { grep -c "$1" "$flog" || true; }
	nlogged() { [ "$(nlines ' sample 20')" -ge "$1" ]; }
	wait_for 10 nlogged 3 || fail "no samples on the tmpfs: $(cat "$flog")"
	# Hold the mount namespace so that the database can be checked after the collector exits.
	nsenter -m -t "$fpid" sleep 600 &
	holder=$!
	TT_PIDS+=("$holder")
	in_mntns() { [ "$(readlink "/proc/$holder/ns/mnt")" = "$(readlink "/proc/$fpid/ns/mnt")" ]; }
	wait_for 5 in_mntns || fail "the holder did not enter the collector's mount namespace"
	mntpid=$holder
	[ "$(inm stat -f -c %T "$fsdir")" = tmpfs ] || fail "the database is not on the tmpfs"
	[ "$(stat -f -c %T "$fsdir")" != tmpfs ] || [ -z "$(ls -A "$fsdir")" ] || fail "the tmpfs leaked out of the mount namespace"
	nows=0
	report_now() {	# the report works on what is there
		inm "$REPORT" -d "$fdb" now >"$TT_TMP/now.out" 2>&1 || fail "report now exited $?: $(cat "$TT_TMP/now.out")"
		grep -q ESTABLISHED "$TT_TMP/now.out" || fail "report now: $(cat "$TT_TMP/now.out")"
		nows=$((nows + 1))
	}
	FULL_SECS=5
	for ep in 1 2; do
		report_now
		# Fill it: dd stops at ENOSPC.
		inm dd if=/dev/zero of="$fsdir/filler" bs=4k >/dev/null 2>&1 || true
		assert_eq "$(inm stat -f -c %a "$fsdir")" 0 "episode $ep: free blocks after the filler"
		failed() { [ "$(nlines 'cannot store samples')" -ge "$ep" ]; }
		wait_for 30 failed || fail "episode $ep: no storage failure logged: $(tail -5 "$flog")"
		t_full=$SECONDS
		while ((SECONDS - t_full < FULL_SECS)); do
			kill -0 "$fpid" 2>/dev/null || fail "episode $ep: the collector died on a full disk: $(tail -5 "$flog")"
			report_now
			sleep 0.5
		done
		assert_eq "$(nlines 'cannot store samples')" "$ep" "storage failures logged after $ep episode(s) of $FULL_SECS s or more"
		grep 'cannot store samples' "$flog" | tail -n 1 | grep -q 'disk is full' ||
			fail "the failure does not say the disk is full: $(grep 'cannot store samples' "$flog" | tail -n 1)"
		inm rm "$fsdir/filler"
		works() { [ "$(nlines 'storing works again')" -ge "$ep" ]; }
		wait_for 10 works || fail "episode $ep: did not resume: $(tail -5 "$flog")"
		n=$(nlines ' sample 20')
		wait_for 10 nlogged $((n + 2)) || fail "episode $ep: no samples after the disk emptied"
		report_now
	done
	kill -TERM "$fpid"
	wait "$fpid" || fail "the collector exited $? after SIGTERM (want 0): $(tail -5 "$flog")"
	fq() { inm sqlite3 -batch "$fdb" "$1"; }
	assert_eq "$(fq "PRAGMA integrity_check")" ok "integrity after two disk-full episodes"
	missed=$(fq "SELECT count(*) FROM samples WHERE missed")
	recorded=$(sed -n 's/.*recorded \([0-9]*\) missed slot.*/\1/p' "$flog" | awk '{ n += $1 } END { print n + 0 }')
	assert_eq "$missed" "$recorded" "missed slots stored vs logged as recorded"
	[ "$missed" -ge $((2 * FULL_SECS)) ] || fail "only $missed missed slots for two episodes of $FULL_SECS s or more"
	assert_eq "$(fq "SELECT max(ts) - min(ts) + 1 - count(*) FROM sample")" 0 "slots neither stored nor recorded as missed"
	assert_eq "$(fq "SELECT count(*) FROM samples WHERE NOT missed")" "$(nlines ' sample 20')" "stored samples vs logged"
	assert_eq "$(fq "SELECT count(*) FROM sample s WHERE (s.flags & 4) = 0 AND
		(SELECT count(*) FROM counts c WHERE c.ts = s.ts) != 2")" 0 "samples without their counts"
	assert_eq "$(fq "SELECT count(*) FROM counts c JOIN sample s USING (ts) WHERE s.flags & 4")" 0 "missed slots with counts"
	report_now
	kill "$holder" 2>/dev/null || true
	episodes=$(nlines 'cannot store samples')
	echo "    2 episodes: $episodes failure lines, $(nlines 'storing works again') 'works again' lines;" \
		"$missed slots recorded as missed; report now ok $nows times"
	FIG_FULL="disk full: 2 episodes, $episodes failure log lines (1 per episode), $missed slots recorded missed"
}

part4() {
	echo "--- 4. readers: report commands in 2 tight loops for $READER_SECS s against a collector at 1 s"
	TT_DB="$TT_TMP/read.db"
	rcfg="$TT_TMP/read.yaml"
	rlog="$TT_TMP/read.log"
	cat >"$rcfg" <<-YAML
	database: $TT_DB
	interval: 1s
	host: it-readers
	groups:
	  - name: web
	    local_ports: ["8000-8099"]
	thresholds:
	  - name: tw-flood
	    state: TIME_WAIT
	    above: 1000000
	    for: 5s
	  - name: cw-leak
	    state: CLOSE_WAIT
	    growth: 1000000/min
	    window: 1m
	    severity: critical
	  - name: web-gone
	    group: web
	    state: LISTEN
	    below: 1
	YAML
	: >"$rlog"
	ip netns exec "$TT_NS" "$COLLECTOR" -c "$rcfg" >"$rlog" 2>&1 &
	rcoll=$!
	TT_PIDS+=("$rcoll")
	rlogged() { [ "$(grep -c ' sample 20' "$rlog" || true)" -ge "$1" ]; }
	wait_for 10 rlogged 2 || fail "no samples: $(cat "$rlog")"
	reader() {	# loop number; until the deadline in $TT_TMP/deadline
		local n=$1 c rc
		local cmds=("now" "trend --since 10m" "check" "export --format csv --from -1m")
		while [ "$(date +%s)" -lt "$(cat "$TT_TMP/deadline")" ]; do
			for c in "${cmds[@]}"; do
				rc=0
				# shellcheck disable=SC2086
				"$REPORT" -c "$rcfg" $c >"$TT_TMP/reader$n.out" 2>>"$TT_TMP/reader$n.err" || rc=$?
				echo "$rc $c" >>"$TT_TMP/reader$n.rc"
			done
		done
	}
	echo $(($(date +%s) + READER_SECS)) >"$TT_TMP/deadline"
	reader 1 &
	r1=$!
	reader 2 &
	r2=$!
	TT_PIDS+=("$r1" "$r2")
	# The collector checkpoints only once the WAL holds 1000 pages (4 MiB),
	# some 5 minutes of samples here: longer than this part. So a probe does a
	# PASSIVE checkpoint each second, as the collector would at 1000 pages.
	# Once all is backfilled the collector's next write starts the WAL over
	# from its beginning, unless a reader still holds a snapshot in it. The
	# file keeps its high-water size, which therefore stays put when readers
	# let go of the WAL and grows by some 16 KiB a second if they pin it.
	wal_max=0 probes=0 probes_all=0 i=0
	while kill -0 "$r1" 2>/dev/null || kill -0 "$r2" 2>/dev/null; do
		w=$(stat -c %s "$TT_DB-wal" 2>/dev/null || echo 0)
		((w <= wal_max)) || wal_max=$w
		if ((++i % 10 == 0)); then
			ck=$(sqlite3 -batch "$TT_DB" "PRAGMA wal_checkpoint(PASSIVE)") ||
				fail "the checkpoint probe failed: $ck"
			probes=$((probes + 1))
			IFS='|' read -r _ ck_log ck_done <<<"$ck"
			[ "$ck_log" != "$ck_done" ] || probes_all=$((probes_all + 1))
		fi
		sleep 0.1
	done
	wait "$r1" "$r2"
	n=$(grep -c ' sample 20' "$rlog" || true)
	wait_for 5 rlogged $((n + 1)) || fail "no sample after the readers stopped"
	kill -TERM "$rcoll"
	wait "$rcoll" || fail "the collector exited $? after SIGTERM"
	runs=$(cat "$TT_TMP"/reader[12].rc | wc -l)
	bad=$(awk '$1 != 0' "$TT_TMP"/reader[12].rc | sort | uniq -c | head -5)
	[ -z "$bad" ] || fail "report invocations that did not exit 0: $bad; stderr: $(sort -u "$TT_TMP"/reader[12].err | head -5)"
	! grep -Eiq 'locked|busy' "$TT_TMP"/reader[12].err "$rlog" ||
		fail "SQLITE_BUSY: $(grep -Eih 'locked|busy' "$TT_TMP"/reader[12].err "$rlog" | head -3)"
	[ ! -s "$TT_TMP/reader1.err" ] && [ ! -s "$TT_TMP/reader2.err" ] ||
		fail "the report wrote to stderr: $(sort -u "$TT_TMP"/reader[12].err | head -5)"
	! grep -Eiq 'cannot|missed|warn|behind' "$rlog" || fail "the collector complained: $(grep -Ei 'cannot|missed|warn|behind' "$rlog" | head -3)"
	assert_eq "$(q "SELECT count(*) FROM samples WHERE missed")" 0 "missed slots with readers"
	assert_eq "$(q "SELECT max(ts) - min(ts) + 1 - count(*) FROM sample")" 0 "holes in the slot sequence"
	slots=$(q "SELECT count(*) FROM sample")
	[ "$slots" -ge "$READER_SECS" ] || fail "only $slots samples in $READER_SECS s"
	# The migrations and the first sample leave about 150 KiB of WAL; a sample
	# writes up to 8 pages (its sample, counts, hourly and hourly_kernel rows,
	# and since schema 4 its breakdown_count, peer_load, sample_breakdown and
	# close_wait_age rows: 32 KiB), so 15 s with one reader pinning the WAL
	# add about 480 KiB, some 630 KiB in all (measured with schema 3: 156 KiB
	# after the first sample, 197 KiB at most with the readers; schema 4:
	# 306 KiB at most with the readers).
	WAL_BOUND=$((512 * 1024))
	((wal_max < WAL_BOUND)) || fail "the WAL grew to $wal_max bytes (bound $WAL_BOUND):" \
		"readers keep it from being checkpointed and started over"
	assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the readers"
	echo "    $runs report runs (now, trend, check, export), all exit 0; $slots slots, 0 missed;" \
		"WAL max $wal_max bytes; $probes checkpoint probes, $probes_all of them backfilled every frame"
	FIG_READ="readers: $READER_SECS s, $runs report runs, $slots slots, 0 missed, WAL max $wal_max bytes"
}

part5() {
	: "${HISTGEN:?HISTGEN must point at tcptally-histgen}"
	echo "--- 5. SIGKILL during retention work: $TRIALS trials"
	local tmpl="$TT_TMP/backlog.db" rcfg="$TT_TMP/ret.yaml" end t klog coll delay rc
	local within hours cut old mid=0 before=0 drained=0 ns slot
	end=$(( $(date +%s) / 10 * 10 - 1800 ))
	printf 'database: %s\ninterval: 1s\nhost: it-ret\nretention:\n  raw: 1d\n  hourly: 0\n' \
		"$tmpl" >"$TT_TMP/tmpl.yaml"
	"$HISTGEN" --days 60 --groups 2 --host it-ret --end "$end" |
		"$COLLECTOR" -c "$TT_TMP/tmpl.yaml" --import - 2>/dev/null || fail "import of the backlog"
	TT_DB="$TT_TMP/ret.db"
	printf 'database: %s\ninterval: 1s\nhost: it-ret\nretention:\n  raw: 1d\n  hourly: 0\ngroups:\n  - name: web\n    local_ports: ["8000-8099"]\n' \
		"$TT_DB" >"$rcfg"
	cut=$(( $(date +%s) - 86400 + 900 ))	# well inside retention for the whole part
	within=$(sqlite3 -batch "$tmpl" "SELECT count(*) FROM counts WHERE ts >= $cut")
	hours=$(sqlite3 -batch "$tmpl" "SELECT count(*) || ' ' || total(samples) FROM hourly WHERE ts < $end - $end % 3600")
	old=$(sqlite3 -batch "$tmpl" "SELECT count(*) FROM counts WHERE ts < strftime('%s', 'now') - 86400 - 5")
	for ((t = 1; t <= TRIALS; t++)); do
		rm -f "$TT_DB" "$TT_DB-wal" "$TT_DB-shm"
		cp "$tmpl" "$TT_DB"
		klog="$TT_TMP/ret.$t.log"
		ip netns exec "$TT_NS" "$COLLECTOR" -c "$rcfg" -v -v >"$klog" 2>&1 &
		coll=$!
		TT_PIDS+=("$coll")
		# Aim inside the retention work: it starts just after a slot and
		# lasts up to 250 ms; a third of the kills anywhere in 0.1-1.5 s.
		if ((t % 3 == 0)); then
			delay=$((100 + RANDOM % 1401))
		else
			ns=$(now_ns)
			slot=$((ns / 1000000000 + 1 + RANDOM % 2))
			delay=$(((slot * 1000000000 - ns) / 1000000 + 5 + RANDOM % 250))
		fi
		sleep_ms "$delay"
		kill -KILL "$coll" 2>/dev/null || fail "trial $t: the collector had exited: $(cat "$klog")"
		rc=0
		wait "$coll" 2>/dev/null || rc=$?
		assert_eq "$rc" 137 "trial $t: exit status (killed by SIGKILL while running)"
		! grep -Eiq 'cannot|warn|locked|busy|behind|missed|error' "$klog" ||
			fail "trial $t: the collector complained: $(cat "$klog")"
		snapshot "$TT_DB" "$chk"
		assert_eq "$(integrity "$chk")" ok "trial $t: integrity_check"
		logged_ts "$klog" >"$TT_TMP/logged.run"
		assert_logged_stored "$TT_TMP/logged.run" "$chk" "trial $t"
		assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) FROM counts WHERE ts >= $cut AND ts <= $end")" \
			"$within" "trial $t: raw rows within retention"
		assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) || ' ' || total(samples) FROM hourly WHERE ts < $end - $end % 3600")" \
			"$hours" "trial $t: rollups of the backlog (retention.hourly 0 keeps them)"
		assert_eq "$(sqlite3 -batch "$chk" "SELECT count(*) FROM counts c WHERE NOT EXISTS
			(SELECT 1 FROM sample s WHERE s.ts = c.ts AND s.host = c.host)")" 0 \
			"trial $t: counts rows without their sample"
		left=$(sqlite3 -batch "$chk" "SELECT count(*) FROM counts WHERE ts < strftime('%s', 'now') - 86400 - 5")
		if [ "$left" = 0 ]; then
			drained=$((drained + 1))
		elif [ "$left" -ge "$old" ]; then
			before=$((before + 1))
		else
			mid=$((mid + 1))
		fi
		# The next start goes on: it samples and drains what is left.
		ip netns exec "$TT_NS" "$COLLECTOR" -c "$rcfg" -q --samples 2 >"$klog.2" 2>&1 ||
			fail "trial $t: the restart failed: $(cat "$klog.2")"
		[ "$(q "SELECT count(*) FROM counts WHERE ts < strftime('%s', 'now') - 86400 - 5")" -le "$left" ] ||
			fail "trial $t: the restart did not go on with retention"
		assert_eq "$(q "PRAGMA integrity_check")" ok "trial $t: integrity after the restart"
	done
	echo "    $TRIALS kills while draining $old old rows: $mid part-way (some deleted, some left)," \
		"$before before the first step committed, $drained after it drained; integrity ok," \
		"0 logged samples lost, $within rows within retention intact each time"
	FIG_RET="retention: $TRIALS kills ($mid part-way through the backlog), 0 lost, integrity ok"
}

FIG_KILL="sampling: skipped" FIG_IMPORT="import: skipped" FIG_FULL="disk full: skipped" FIG_READ="readers: skipped"
FIG_RET="retention: skipped"
for p in ${TT_PARTS:-1 2 3 4 5}; do
	"part$p"
done

echo "FIGURES: $FIG_KILL"
echo "FIGURES: $FIG_IMPORT"
echo "FIGURES: $FIG_FULL"
echo "FIGURES: $FIG_READ"
echo "FIGURES: $FIG_RET"
echo "OK: durability ($((SECONDS - T_START)) s after the population was built)"
