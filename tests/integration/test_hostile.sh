#!/usr/bin/env bash
# A database file the report reads is hostile input: each case is one sqlite3
# command on a copy of a real database, as an attacker holding a fleet host
# would write it. Every one is refused with the file's name and the reason,
# or read correctly; nothing crashes, hangs, runs a function from a view or
# prints a raw control character. Then: a fleet with bad files judges the
# others, a snapshot made as the README says is read by `nobody` from a
# directory it cannot write, and hundreds of files fit under ulimit -n 1024.
# Needs no namespace.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
: "${HISTGEN:?HISTGEN must point at tcptally-histgen}"
command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"

T=$(($(date +%s) / 60 * 60))
SCHEMA=$(ls "$here"/../../schema/[0-9]*.sql | wc -l)	# what the migrations make
base="$TT_TMP/base.db"
printf 'database: %s\ninterval: 60s\n' "$base" >"$TT_TMP/c.yaml"
"$HISTGEN" --days 4 --interval 60 --groups 2 --host web-01 --end $T >"$TT_TMP/a.csv"
"$COLLECTOR" -c "$TT_TMP/c.yaml" --import "$TT_TMP/a.csv" 2>/dev/null || fail "import"
cat >"$TT_TMP/r.yaml" <<YAML
interval: 60s
thresholds:
  - { name: tw, state: TIME_WAIT, above: 100, severity: critical }
  - { name: stuck, state: CLOSE_WAIT, oldest_above: 10m }
YAML

# Run the report on a file; print "rc<TAB>output" (stdout and stderr), at most 60 s.
report() {
	local rc=0 out
	out=$(timeout 60 "$REPORT" -c "$TT_TMP/r.yaml" "$@" 2>&1) || rc=$?
	printf '%s\t%s' "$rc" "$out"
}

# hostile NAME 'SQL' EXPECTED-MESSAGE [report args...]: a copy with SQL applied,
# then now, check and trend on it (or the commands in CMDS, ';' between, that read
# what the attack changed); each must refuse it with the message.
ncases=0
hostile() {
	local name=$1 sql=$2 want=$3 db="$TT_TMP/h-$1.db" got rc cmd
	shift 3
	cp "$base" "$db"
	rm -f "$db-wal" "$db-shm"
	printf '%s\n' "$sql" | sqlite3 -batch "$db" >/dev/null 2>"$TT_TMP/sql.err" ||
		fail "$name: the attack itself failed: $(cat "$TT_TMP/sql.err")"
	local cmds
	IFS=';' read -r -a cmds <<<"${CMDS:-now;check;trend --since 1d}"
	for cmd in "${cmds[@]}"; do
		got=$(report -d "$db" $cmd "$@")
		rc=${got%%$'\t'*}
		[ "$rc" -lt 124 ] || fail "$name: $cmd crashed or hung (exit $rc): ${got#*$'\t'}"
		case $cmd in check) [ "$rc" = 3 ] ;; *) [ "$rc" = 1 ] ;; esac ||
			fail "$name: $cmd exit $rc: ${got#*$'\t'}"
		grep -qF -- "$db: $want" <<<"$got" ||
			fail "$name: $cmd: want '$db: $want' in: ${got#*$'\t'}"
		if grep -qP '[\x00-\x08\x0b-\x1f\x7f]' <<<"$got"; then
			fail "$name: $cmd printed a control character"
		fi
	done
	printf '  %-22s %s\n' "$name" "$want"
	ncases=$((ncases + 1))
}

# Forge a value a STRICT table would never hold: loosen its CREATE text,
# write with triggers off, put the text back.
forge() {	# column value
	printf "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql=replace(sql, ') STRICT, WITHOUT ROWID', ') WITHOUT ROWID') WHERE name='counts';\n"
	printf "PRAGMA writable_schema=RESET;\n"
	printf ".dbconfig enable_trigger off\n"
	printf "UPDATE counts SET %s = %s WHERE ts = (SELECT max(ts) FROM counts);\n" "$1" "$2"
	printf "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql=replace(sql, ') WITHOUT ROWID', ') STRICT, WITHOUT ROWID') WHERE name='counts';\n"
}

echo "--- hostile files: each refused with its name and reason"
hostile view-host-null "DROP TABLE host; CREATE VIEW host (id, name) AS SELECT 1, NULL" \
	"not a tcptally database: unexpected view 'host'"
hostile counts-cte-hang "DROP TRIGGER counts_to_hourly; DROP TRIGGER counts_to_hourly_update;
	DROP VIEW state_counts; DROP TABLE counts; CREATE VIEW counts AS
	WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS ts FROM r" \
	"not a tcptally database: unexpected view 'counts'"
hostile printf-bomb "DROP VIEW samples; CREATE VIEW samples AS SELECT printf('%.*c', 500000000, 'A') AS ts" \
	"not a tcptally database: view 'samples' is not what schema $SCHEMA makes"
hostile functions "CREATE VIEW v AS SELECT sqlite_version(), random(), randomblob(16)" \
	"not a tcptally database: unexpected view 'v'"
hostile extra-trigger "CREATE TRIGGER evil AFTER INSERT ON sample BEGIN SELECT 1; END" \
	"not a tcptally database: unexpected trigger 'evil'"
hostile extra-index "CREATE INDEX i ON counts (established)" \
	"not a tcptally database: unexpected index 'i'"
hostile forged-ids "DROP TRIGGER counts_to_hourly; CREATE TRIGGER counts_to_hourly AFTER INSERT ON counts BEGIN SELECT random(); END" \
	"not a tcptally database: trigger 'counts_to_hourly' is not what schema $SCHEMA makes"
hostile count-max ".dbconfig enable_trigger off
UPDATE counts SET established = 9223372036854775807 WHERE ts = (SELECT max(ts) FROM counts)" \
	"a sample at ts $T, group all: a value that is not a time or a count from 0 to 1000000000000"
hostile count-negative ".dbconfig enable_trigger off
UPDATE counts SET close_wait = -1 WHERE ts = (SELECT max(ts) FROM counts)" \
	"a sample at ts $T, group all: a value that is not a time or a count"
hostile count-text "$(forge established "'abc'")" \
	"a sample at ts $T, group all: a value that is not a time or a count"
hostile count-inf "$(forge time_wait 9e999)" \
	"a sample at ts $T, group all: a value that is not a time or a count"
CMDS="trend --since 3d --step 1h" hostile hourly-zero \
	"UPDATE hourly SET samples = 0 WHERE ts = (SELECT max(ts) FROM hourly)" \
	"an hourly rollup at ts $((T / 3600 * 3600)), group all: not an hour's start, 1 to 3600 samples"
hostile many-hosts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
	INSERT INTO host (name) SELECT 'h' || i FROM n" \
	"holds two hosts, 'web-01' and 'h1'; one file holds one host"
# schema 5: a host row per network namespace, all of one host, each labelled
hostile many-netns "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
	INSERT INTO host (name, netns) SELECT 'web-01', 'ns' || i FROM n" \
	"holds more than 4096 network namespaces of host web-01"
hostile netns-escape "INSERT INTO host (name, netns) VALUES ('web-01', 'a' || char(27) || '[2J' || char(13) || char(10) || 'TCPTALLY OK: forged')" \
	"host web-01: a network namespace label (host row 2) that is not 1 to 255 bytes of printable UTF-8"
hostile host-escape "UPDATE host SET name = 'web-01' || char(27) || '[2J' || char(13) || char(10) || 'TCPTALLY OK: forged'" \
	"its host name is not 1 to 255 bytes of printable UTF-8"
hostile group-quote "UPDATE grp SET name = 'a'';x=1;' WHERE name = 'web'" \
	"a group name that is not 1 to 63 of A-Z a-z 0-9 _ . - (row 2)"
# the accept queues and the kernel's context (schema 3): read by listeners,
# export and (the context) now
LAST="WHERE ts = (SELECT max(ts) FROM sample)"
CMDS="now;listeners;export --format csv" hostile kernel-negative \
	"INSERT INTO sample_kernel (ts, host, interval, ListenOverflows) VALUES ($T, 1, 60, -5)" \
	"the kernel's context of the sample at ts $T: a value that is not a time, an interval of 1 to 3600 s or a counter"
CMDS="now;listeners" hostile kernel-interval \
	"INSERT INTO sample_kernel (ts, host, interval, tcp_tw) VALUES ($T, 1, 0, 5)" \
	"the kernel's context of the sample at ts $T: a value that is not a time, an interval of 1 to 3600 s or a counter"
# (now shows no queues, so reads none: listeners and export do)
CMDS="listeners;export --format json" hostile fill-huge \
	"UPDATE counts SET listeners = 1, queued = 0, backlog = 0, max_fill = 1e300, full = 0 $LAST" \
	"a sample at ts $T, group all: a value that is not a time or a count"
CMDS="now" hostile limit-unknown "INSERT INTO sample_kernel (ts, host, interval, tcp_tw) VALUES ($T, 1, 60, 5);
	INSERT INTO klimit VALUES ($T, 1, 'evil', 5)" \
	"a limit that is not one tcptally keeps, or not a number"
# the breakdowns (schema 4): read by who, peers and the rules on them
ALL="(SELECT id FROM grp WHERE name = 'all')"
bk() {	# kind key direction state count err [port_range]
	printf "INSERT INTO sample_breakdown VALUES ($T, 1, %s);
	INSERT INTO bkey (id, kind, key, direction) VALUES (99, '%s', %s, '%s');
	INSERT INTO breakdown_count VALUES ($T, 1, $ALL, %s, 99, %s, %s);
	INSERT INTO peer_load VALUES ($T, 1, $ALL, 99, %s, 0);" "${7:-1000}" "$1" "$2" "$3" "$4" "$5" "$6" "$5"
}
BKROW="breakdown row at ts $T: a value that is not a time, a key of 1 to 255 printable bytes, a direction (in, out) or a count"
CMDS="who;at now" hostile bk-key-escape "$(bk cgroup "'/a' || char(27) || '[2J'" '' 8 5 0)" "$BKROW"
CMDS="who" hostile bk-key-long "$(bk cgroup "printf('/%.300c', 'a')" '' 8 5 0)" "$BKROW"
CMDS="who;daily" hostile bk-count-negative "$(bk cgroup "'/a'" '' 8 -1 0)" "$BKROW"
CMDS="who" hostile bk-err-over "$(bk cgroup "'/a'" '' 8 5 6)" "$BKROW"
CMDS="peers --state CLOSE_WAIT" hostile bk-direction "$(bk peer "'10.0.0.1:80'" sideways 8 5 0)" "$BKROW"
CMDS="peers --state CLOSE_WAIT" hostile bk-port-range "$(bk peer "'10.0.0.1:80'" out 8 5 0 0)" "$BKROW"
CMDS="owners" hostile owner-comm "INSERT INTO owner VALUES ($T, 1, $ALL, 42, 'a' || char(10) || 'b', '/x', 5)" \
	"owner row at ts $T: a value that is not a time, a group, a pid, a name of printable bytes or a count"
CMDS="check" hostile cw-age-negative "INSERT INTO close_wait_age VALUES ($T, 1, $ALL, -5, 0, 0)" \
	"close_wait_age at ts $T: a value that is not a time, a count, an age or a port range of 1 to 65536"
hostile app-id "PRAGMA application_id = 7" "not a tcptally database (application_id 0x7)"
hostile newer "PRAGMA user_version = 9" "database schema version 9 is newer than this tcptally"
hostile states "UPDATE state SET name = 'OPEN' WHERE id = 1" "its table of states is not the kernel's 11"

# A file that is not SQLite, one cut short, a device.
head -c 70000 /dev/urandom >"$TT_TMP/h-random.db"
got=$(report -d "$TT_TMP/h-random.db" now)
grep -qF "$TT_TMP/h-random.db: not an SQLite database" <<<"$got" || fail "random bytes: $got"
head -c $(($(stat -c %s "$base") / 2)) "$base" >"$TT_TMP/h-cut.db"
got=$(report -d "$TT_TMP/h-cut.db" trend --since 4d)
[ "${got%%$'\t'*}" = 1 ] && grep -qF "$TT_TMP/h-cut.db: " <<<"$got" || fail "a file cut short: $got"
got=$(report -d /dev/zero now)
assert_eq "$got" "1	tcptally-report: /dev/zero: not a database file (not a regular file)" "-d /dev/zero"
echo "  not SQLite, cut short, /dev/zero: refused"

echo "--- a file past its time budget is given up on, with its name"
got=$(TCPTALLY_TEST_FILE_BUDGET_MS=1 report -d "$base" trend --since 4d --step 1m --format csv)
grep -qF "$base: gave up after 0.001 s (its time budget)" <<<"$got" || fail "budget: $got"

echo "--- what a database legitimately gains is read: ANALYZE's tables"
cp "$base" "$TT_TMP/analyzed.db"
sqlite3 "$TT_TMP/analyzed.db" "ANALYZE"
got=$(report -d "$TT_TMP/analyzed.db" now --format csv)
assert_eq "${got%%$'\t'*}" 0 "an analyzed database: ${got#*$'\t'}"
echo "--- the README's snapshot, read by nobody from a directory it cannot write"
chmod 711 "$TT_TMP"
snap="$TT_TMP/snap" snap2="$TT_TMP/snap2"
mkdir -m 755 "$snap" "$snap2"
# as the README says: VACUUM INTO a new file (a rollback-mode copy)
sqlite3 "$base" "VACUUM INTO '$snap/web-01.db'"
# and the other way, .backup (a WAL copy): the report reads it too
sqlite3 "$base" ".backup '$snap2/web-01.db'"
chmod 644 "$snap"/*.db "$snap2"/*.db
want=$("$REPORT" -d "$base" now --format csv)
for args in "-d $snap/web-01.db" "-d $snap2/web-01.db" "-d $snap" "-d $snap2"; do
	got=$(su nobody -s /bin/sh -c "$REPORT $args now --format csv" 2>&1) ||
		fail "nobody: now $args: $got"
	assert_eq "$got" "$want" "nobody: now $args"
done
ls "$snap" "$snap2" | grep -E -- '-(wal|shm|journal)$' && fail "the reader made files in a snapshot directory"
echo "  nobody read both snapshots; nothing was created beside them"

echo "--- 300 files under ulimit -n 1024; a limit too small is named"
fleet="$TT_TMP/fleet"
mkdir "$fleet"
for ((i = 1; i <= 300; i++)); do
	sqlite3 "$base" "VACUUM INTO '$fleet/h$i.db'"
	sqlite3 "$fleet/h$i.db" "UPDATE host SET name = 'h$i'"
done
got=$(bash -c "ulimit -n 1024; '$REPORT' -d '$fleet' now --format csv --group all" | tail -n +2 | wc -l)
assert_eq "$got" 300 "now over 300 files in a directory under ulimit -n 1024"
each=()
for f in "$fleet"/*.db; do each+=(-d "$f"); done
got=$(bash -c 'ulimit -n 1024; "$0" "$@" now --format csv --group all' "$REPORT" "${each[@]}" |
	tail -n +2 | wc -l)
assert_eq "$got" 300 "now over 300 files named one by one under ulimit -n 1024"
ls "$fleet" | grep -E -- '-(wal|shm)$' >/dev/null && fail "the reader made -wal or -shm files in a fleet directory"
rc=0
bash -c 'ulimit -n 200; "$0" "$@" now' "$REPORT" "${each[@]}" >/dev/null 2>"$TT_TMP/ulimit.err" || rc=$?
assert_eq "$rc" 1 "300 files under ulimit -n 200"
grep -q "300 databases need up to [0-9]* open files, and the limit is 200 (ulimit -n; hard limit 200)" \
	"$TT_TMP/ulimit.err" || fail "the message names the limit: $(cat "$TT_TMP/ulimit.err")"
echo "  $(sed 's/^tcptally-report: //' "$TT_TMP/ulimit.err")"

echo "OK: $ncases hostile files refused by now, check and trend"
