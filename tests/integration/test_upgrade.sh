#!/usr/bin/env bash
# Databases of the previous schemas, written by the releases before
# (fixtures/schema2.db, tcptally 0.1.0; fixtures/schema3.db, eea1e0d, the last
# before the breakdowns): the report reads each as it is, and the
# collector upgrades it in place on its next sample. Afterwards every old row
# reads the same through state_counts, the hourly rollups of the old hours are
# unchanged, the old samples have no accept queues, kernel context or
# breakdowns (NULL or no rows, not 0), and the new sample has all three.
# Since schema 5 every view ends in a `netns` column: old rows read the same
# with `host` there (old(): a view's rows with it checked and cut off). Since
# schema 6 `samples` ends in `backend` after it, checked on its own (cols5:
# the columns each view had before).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"

tt_netns
# A view's rows as schema 4 showed them: after schema 5, each must end in
# the namespace `host`, which is cut off.
old() {
	q "$1" | awk -v what="$1" '{ if (sub(/\|host$/, "") != 1) { print "no netns host: " $0 > "/dev/stderr"; exit 1 } print }'
}
# The columns view $1 had in schema 5, in order: all but samples.backend (schema 6).
cols5() {
	q "SELECT name FROM pragma_table_info('$1') WHERE NOT ('$1' = 'samples' AND name = 'backend')
		ORDER BY cid" | paste -sd, -
}
# How many rows of samples up to ts $1 have each backend (NULL: a missed slot).
backends() {
	q "SELECT backend, count(*) FROM samples WHERE ts <= $1 GROUP BY backend ORDER BY backend"
}
# The backend of the newest sample, and what its flags say it must be: bpf
# when the BPF iterator counted it (flags & 16, backend: auto may pick it), else sock_diag.
new_backend() {
	assert_eq "$(q "SELECT backend FROM samples WHERE ts = $1")" \
		"$(q "SELECT CASE WHEN flags & 16 THEN 'bpf' ELSE 'sock_diag' END FROM sample WHERE ts = $1")" \
		"the new sample's backend"
}
TT_DB="$TT_TMP/up.db"
cp "$here/fixtures/schema2.db" "$TT_DB"
chmod 600 "$TT_DB"
cfg="$TT_TMP/tcptally.yaml"
cat >"$cfg" <<YAML
database: $TT_DB
interval: 1s
host: old-release
groups:
  - name: web
    local_ports: [80, 443]
  - name: db
    local_ports: [5432]
YAML
HOURLY="ts, host, grp, samples, established_min, established_max, established_sum,
	time_wait_min, time_wait_max, time_wait_sum, close_wait_min, close_wait_max,
	close_wait_sum, listen_min, listen_max, listen_sum"
assert_eq "$(q "PRAGMA user_version")" 2 "the fixture's schema"
q "SELECT * FROM state_counts ORDER BY ts, host, grp, state" >"$TT_TMP/before.txt"
q "SELECT $HOURLY FROM hourly ORDER BY ts, host, grp" >"$TT_TMP/hourly-before.txt"
q "SELECT ts, host, flags, duration_us, sockets FROM sample ORDER BY ts" >"$TT_TMP/sample-before.txt"
old_last=$(q "SELECT max(ts) FROM sample")
nrows=$(wc -l <"$TT_TMP/before.txt")
[ "$nrows" -gt 9000 ] || fail "the fixture holds only $nrows state rows"

echo "--- the report reads the old schema as it is (a fleet upgrades host by host)"
"$REPORT" -d "$TT_DB" now --format csv >"$TT_TMP/now-old.csv" || fail "now on schema 2 exited $?"
assert_eq "$(q "PRAGMA user_version")" 2 "the report changed nothing"
rc=0
"$REPORT" -d "$TT_DB" listeners >"$TT_TMP/l.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "listeners on schema 2"
grep -q "no listener data between .*: samples stored before schema 3, and imported ones, have none" \
	"$TT_TMP/l.out" || fail "listeners on schema 2: $(cat "$TT_TMP/l.out")"

rc=0
"$REPORT" -d "$TT_DB" who >"$TT_TMP/w.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "who on schema 2"
grep -q "no sample with breakdowns between .*: breakdowns are off (breakdown: in the config), or the samples are from before schema 4 or imported" \
	"$TT_TMP/w.out" || fail "who on schema 2: $(cat "$TT_TMP/w.out")"

echo "--- the collector upgrades it on its next sample"
in_ns "$COLLECTOR" -c "$cfg" --once -q || fail "--once on the old database exited $?"
assert_eq "$(q "PRAGMA user_version")" 6 "the schema after the upgrade"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the upgrade"
assert_eq "$(old "SELECT * FROM state_counts WHERE ts <= $old_last ORDER BY ts, host, grp, state")" \
	"$(cat "$TT_TMP/before.txt")" "every old row through state_counts ($nrows rows)"
assert_eq "$(q "SELECT $HOURLY FROM hourly WHERE ts <= $old_last / 3600 * 3600 - 3600
	ORDER BY ts, host, grp")" \
	"$(grep -v "^$((old_last / 3600 * 3600))|" "$TT_TMP/hourly-before.txt")" \
	"the hourly rollups of the old hours"
assert_eq "$(q "SELECT ts, host, flags, duration_us, sockets FROM sample WHERE ts <= $old_last
	ORDER BY ts")" "$(cat "$TT_TMP/sample-before.txt")" "the old sample rows"
assert_eq "$(q "SELECT count(*) FROM counts WHERE ts <= $old_last AND (listeners IS NOT NULL
	OR queued IS NOT NULL OR max_fill IS NOT NULL)")" 0 "old rows: no accept queues (NULL)"
assert_eq "$(q "SELECT count(*) FROM sample_kernel WHERE ts <= $old_last")" 0 \
	"old samples: no kernel context"
assert_eq "$(q "SELECT count(*) FROM listen_queues WHERE ts <= $old_last")" 0 \
	"listen_queues leaves the old samples out"
new=$(q "SELECT max(ts) FROM sample")
[ "$new" -gt "$old_last" ] || fail "no new sample"
assert_eq "$(q "SELECT count(*) FROM listen_queues WHERE ts = $new")" 3 \
	"the new sample's accept queues, a row per group"
[ "$(q "SELECT count(*) FROM kernel_counters WHERE ts = $new")" -ge 17 ] ||
	fail "the new sample's kernel counters: $(q "SELECT count(*) FROM kernel_counters WHERE ts = $new")"
assert_eq "$(q "SELECT count(*) FROM kernel_limits WHERE name = 'somaxconn'")" 1 "somaxconn stored"
assert_eq "$(q "SELECT count(*) FROM breakdown WHERE ts <= $old_last")" 0 "old samples: no breakdowns"
# the namespace holds no socket: a sample with breakdowns, and no rows in them
assert_eq "$(q "SELECT port_range FROM sample_breakdown WHERE ts = $new")" 28232 \
	"the new sample's breakdowns, with the namespace's port range"
assert_eq "$(backends "$old_last")" "$(printf 'import|288\nsock_diag|3')" \
	"samples.backend of the old rows: the day imported, three sampled"
new_backend "$new"

echo "--- the report reads both: old rows as before, the new sample with its context"
"$REPORT" -d "$TT_DB" trend --since 2d --step 1h --format csv >"$TT_TMP/trend.csv" ||
	fail "trend after the upgrade exited $?"
"$REPORT" -d "$TT_DB" listeners --since 2d >"$TT_TMP/l.out" || fail "listeners after the upgrade"
grep -qx "no group had a listener" "$TT_TMP/l.out" &&
	grep -qx "the kernel's ListenOverflows and ListenDrops: no rate yet (it takes two samples at most 3 intervals apart)" \
	"$TT_TMP/l.out" || fail "listeners after the upgrade: $(cat "$TT_TMP/l.out")"
"$REPORT" -d "$TT_DB" now >"$TT_TMP/now.out" || fail "now after the upgrade"
grep -q "^the kernel (the whole host" "$TT_TMP/now.out" || fail "now: no kernel section: $(cat "$TT_TMP/now.out")"
echo "    $nrows state rows and $(wc -l <"$TT_TMP/hourly-before.txt") hourly rows of schema 2 read" \
	"the same after the upgrade to schema 6"

# The release before the breakdowns (fixtures/schema3.db, written by eea1e0d:
# a day imported, then three samples with accept queues and the kernel's
# context): every row of every view reads the same after the upgrade.
echo "--- schema 3: the report reads it as it is; --once upgrades it to 6"
TT_DB="$TT_TMP/up3.db"
cp "$here/fixtures/schema3.db" "$TT_DB"
chmod 600 "$TT_DB"
sed -i "s#^database: .*#database: $TT_DB#" "$cfg"
assert_eq "$(q "PRAGMA user_version")" 3 "the schema-3 fixture's schema"
# (hourly_kernel is left out: the fixture's context is all in the hour the new sample joins)
VIEWS3="state_counts samples state_counts_hourly listen_queues kernel_counters kernel_rates kernel_limits"
old3=$(q "SELECT max(ts) FROM sample")
# a view's old rows: the samples so far; of the rollups, the hours before the
# newest's, which the new sample may join
upto() { case $1 in *hourly*) echo "ts < $old3 - $old3 % 3600" ;; *) echo "ts <= $old3" ;; esac; }
for v in $VIEWS3; do
	q "SELECT * FROM $v WHERE $(upto $v) ORDER BY 1, 2, 3, 4" >"$TT_TMP/v3-$v.txt"
done
[ "$(q "SELECT count(*) FROM sample_kernel")" -ge 3 ] || fail "the schema-3 fixture has no kernel context"
"$REPORT" -d "$TT_DB" listeners --since 36500d >"$TT_TMP/l3.out" || fail "listeners on schema 3 exited $?"
grep -q "^web .* 1\.00 .* 1\$" "$TT_TMP/l3.out" || fail "listeners on schema 3: $(cat "$TT_TMP/l3.out")"
rc=0
"$REPORT" -d "$TT_DB" who --since 36500d >"$TT_TMP/w3.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "who on schema 3"
assert_eq "$(q "PRAGMA user_version")" 3 "the report changed nothing"
in_ns "$COLLECTOR" -c "$cfg" --once -q 2>/dev/null || fail "--once on the schema-3 database exited $?"
assert_eq "$(q "PRAGMA user_version")" 6 "the schema after the upgrade from 3"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the upgrade from 3"
for v in $VIEWS3; do
	assert_eq "$(old "SELECT $(cols5 $v) FROM $v WHERE $(upto $v) ORDER BY 1, 2, 3, 4")" "$(cat "$TT_TMP/v3-$v.txt")" \
		"$v: every row of schema 3 ($(wc -l <"$TT_TMP/v3-$v.txt") rows)"
	[ -s "$TT_TMP/v3-$v.txt" ] || fail "$v: the fixture has no rows in it"
done
assert_eq "$(q "SELECT count(*) FROM sample_breakdown WHERE ts > $old3")" 1 "the new sample's breakdowns"
assert_eq "$(q "SELECT count(*) FROM breakdown WHERE ts <= $old3")" 0 "old samples: no breakdowns"
assert_eq "$(backends "$old3")" "$(printf 'import|288\nsock_diag|3')" "schema 3: samples.backend of the old rows"
new_backend "$(q "SELECT max(ts) FROM sample")"
echo "    $(cat "$TT_TMP"/v3-*.txt | wc -l) rows of 7 views of schema 3 read the same after the upgrade to 6"

# The release before the namespaces (fixtures/schema4.db, written by 98017a2:
# the day imported, three samples with breakdowns, ages, owners, context):
# every row of all 12 views reads the same after the upgrade, under the
# namespace `host`, and the host table is one row (old-release, host).
echo "--- schema 4: the report reads it as it is; --once upgrades it to 6"
TT_DB="$TT_TMP/up4.db"
cp "$here/fixtures/schema4.db" "$TT_DB"
chmod 600 "$TT_DB"
sed -i "s#^database: .*#database: $TT_DB#" "$cfg"
assert_eq "$(q "PRAGMA user_version")" 4 "the schema-4 fixture's schema"
VIEWS4="$VIEWS3 owners oldest_close_wait breakdown breakdown_hourly port_shares"
old4=$(q "SELECT max(ts) FROM sample")
# (the new sample, in an empty namespace, raises no key's hourly maximum)
upto() { case $1 in state_counts_hourly) echo "ts < $old4 - $old4 % 3600" ;; *) echo "ts <= $old4" ;; esac; }
# every column of schema 4's, in order: rows come out the same whatever the plan
byall() { q "SELECT count(*) FROM pragma_table_info('$1')" | awk '{ for (i = 1; i <= $1; i++) printf "%s%d", (i > 1 ? ", " : ""), i }'; }
declare -A BY
for v in $VIEWS4; do
	BY[$v]=$(byall "$v")
	q "SELECT * FROM $v WHERE $(upto $v) ORDER BY ${BY[$v]}" >"$TT_TMP/v4-$v.txt"
	[ -s "$TT_TMP/v4-$v.txt" ] || fail "$v: the schema-4 fixture has no rows in it"
done
"$REPORT" -d "$TT_DB" who --since 36500d --state CLOSE_WAIT >"$TT_TMP/w4.out" || fail "who on schema 4 exited $?"
assert_eq "$(q "PRAGMA user_version")" 4 "the report changed nothing"
in_ns "$COLLECTOR" -c "$cfg" --once -q 2>/dev/null || fail "--once on the schema-4 database exited $?"
assert_eq "$(q "PRAGMA user_version")" 6 "the schema after the upgrade from 4"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the upgrade from 4"
assert_eq "$(q "SELECT name, netns FROM host")" "old-release|host" "the host row, in the namespace host"
for v in $VIEWS4; do
	assert_eq "$(old "SELECT $(cols5 $v) FROM $v WHERE $(upto $v) ORDER BY ${BY[$v]}")" \
		"$(cat "$TT_TMP/v4-$v.txt")" "$v: every row of schema 4 ($(wc -l <"$TT_TMP/v4-$v.txt") rows)"
done
"$REPORT" -d "$TT_DB" who --since 36500d --state CLOSE_WAIT >"$TT_TMP/w5.out" || fail "who after the upgrade exited $?"
grep -Eq "^\(id [0-9]+\) +0 +3 " "$TT_TMP/w5.out" || fail "who after the upgrade: $(cat "$TT_TMP/w5.out")"
assert_eq "$(backends "$old4")" "$(printf 'import|288\nsock_diag|3')" "schema 4: samples.backend of the old rows"
new_backend "$(q "SELECT max(ts) FROM sample")"
echo "    $(cat "$TT_TMP"/v4-*.txt | wc -l) rows of 12 views of schema 4 read the same after the upgrade to 6"

# The release before the backends (fixtures/schema5.db, written by c922d3c:
# the day imported, then four samples of two namespaces, `host` and
# `fx5-side`, with breakdowns, ages, owners, context, and two slots missed
# between them): every row of all 12 views reads the same after the upgrade
# to 6, in its namespace, and samples.backend says how each row was taken:
# 'import' for the day imported, 'sock_diag' for what the collector sampled,
# NULL for the slots it missed.
echo "--- schema 5: the report reads it as it is; --once upgrades it to 6"
TT_DB="$TT_TMP/up5.db"
cp "$here/fixtures/schema5.db" "$TT_DB"
chmod 600 "$TT_DB"
sed -i "s#^database: .*#database: $TT_DB#" "$cfg"
assert_eq "$(q "PRAGMA user_version")" 5 "the schema-5 fixture's schema"
VIEWS5=$VIEWS4
old5=$(q "SELECT max(ts) FROM sample")
# (the new sample, of the namespace host, may join that namespace's newest hour only)
upto() { case $1 in state_counts_hourly) echo "(ts < $old5 - $old5 % 3600 OR netns <> 'host')" ;;
	*) echo "ts <= $old5" ;; esac; }
declare -A BY5
for v in $VIEWS5; do
	BY5[$v]=$(byall "$v")
	q "SELECT * FROM $v WHERE $(upto $v) ORDER BY ${BY5[$v]}" >"$TT_TMP/v5-$v.txt"
	[ -s "$TT_TMP/v5-$v.txt" ] || fail "$v: the schema-5 fixture has no rows in it"
	grep -q '|fx5-side$' "$TT_TMP/v5-$v.txt" || fail "$v: the schema-5 fixture has no rows of fx5-side in it"
done
# what each row's flags say its backend is: missed (4), imported (8), else sampled
q "SELECT s.ts, h.netns, CASE WHEN s.flags & 4 THEN '' WHEN s.flags & 8 THEN 'import'
	ELSE 'sock_diag' END FROM sample AS s JOIN host AS h ON h.id = s.host ORDER BY 1, 2" \
	>"$TT_TMP/backend5.txt"
assert_eq "$(q "SELECT count(*) FROM sample WHERE flags & 16")" 0 "no sample of schema 5 has flag 16"
# (who per namespace: CLOSE_WAIT now and at its peak)
who5() {
	"$REPORT" -d "$TT_DB" who --since 36500d --state CLOSE_WAIT --netns "$1" >"$TT_TMP/w.out" ||
		fail "who --netns $1 exited $?"
	grep -Eq "^\(id [0-9]+\) +$2 +$3 " "$TT_TMP/w.out" || fail "who --netns $1: $(cat "$TT_TMP/w.out")"
}
who5 host 3 3
who5 fx5-side 2 2
# Without --netns each namespace's cgroup is its own row, even with the same id
# (they were once merged into one: host's peak beside fx5-side's count now).
"$REPORT" -d "$TT_DB" who --since 36500d --state CLOSE_WAIT >"$TT_TMP/w.out" || fail "who exited $?"
grep -Eq "^old-release +\(id [0-9]+\) +3 +3 " "$TT_TMP/w.out" &&
	grep -Eq "^old-release/fx5-side +\(id [0-9]+\) +2 +2 " "$TT_TMP/w.out" ||
	fail "who over both namespaces: $(cat "$TT_TMP/w.out")"
"$REPORT" -d "$TT_DB" listeners --since 36500d --netns fx5-side >"$TT_TMP/l5.out" ||
	fail "listeners --netns fx5-side on schema 5 exited $?"
grep -Eq "^web +1 +0 +8 " "$TT_TMP/l5.out" || fail "listeners on schema 5: $(cat "$TT_TMP/l5.out")"
assert_eq "$(q "PRAGMA user_version")" 5 "the report changed nothing"
in_ns "$COLLECTOR" -c "$cfg" --once -q 2>/dev/null || fail "--once on the schema-5 database exited $?"
assert_eq "$(q "PRAGMA user_version")" 6 "the schema after the upgrade from 5"
assert_eq "$(q "PRAGMA integrity_check")" ok "integrity after the upgrade from 5"
assert_eq "$(q "SELECT name, netns FROM host ORDER BY id")" "$(printf 'old-release|host\nold-release|fx5-side')" \
	"the host rows, one per namespace"
assert_eq "$(q "SELECT name FROM pragma_table_info('samples') ORDER BY cid" | paste -sd, -)" \
	"ts,host,missed,retried,suspect,duration_ms,sockets,netns,backend" "the columns of samples"
for v in $VIEWS5; do
	assert_eq "$(q "SELECT $(cols5 $v) FROM $v WHERE $(upto $v) ORDER BY ${BY5[$v]}")" \
		"$(cat "$TT_TMP/v5-$v.txt")" "$v: every row of schema 5 ($(wc -l <"$TT_TMP/v5-$v.txt") rows)"
done
assert_eq "$(q "SELECT ts, netns, backend FROM samples WHERE ts <= $old5 ORDER BY 1, 2")" \
	"$(cat "$TT_TMP/backend5.txt")" "samples.backend of every row of schema 5, as its flags say"
assert_eq "$(backends "$old5")" "$(printf '|4\nimport|288\nsock_diag|8')" \
	"samples.backend: 2 slots missed in 2 namespaces, the day imported, 4 samples in 2 namespaces"
assert_eq "$(q "SELECT count(*) FROM samples WHERE (backend IS NULL) != missed")" 0 \
	"backend is NULL exactly for the missed slots"
new5=$(q "SELECT max(ts) FROM sample")
[ "$new5" -gt "$old5" ] || fail "no new sample"
new_backend "$new5"
who5 host 0 3
who5 fx5-side 2 2
"$REPORT" -d "$TT_DB" listeners --since 36500d --netns fx5-side >"$TT_TMP/l6.out" ||
	fail "listeners --netns fx5-side after the upgrade exited $?"
grep -Eq "^web +1 +0 +8 " "$TT_TMP/l6.out" || fail "listeners after the upgrade: $(cat "$TT_TMP/l6.out")"
echo "    $(cat "$TT_TMP"/v5-*.txt | wc -l) rows of 12 views of schema 5 read the same after the upgrade to 6;" \
	"$(wc -l <"$TT_TMP/backend5.txt") samples rows with their backend"
echo "OK: schema 2, 3, 4 and 5 databases upgrade in place"
