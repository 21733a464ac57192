#!/usr/bin/env bash
# daily, at and diff over a known history: the exact numbers they print.
# No namespace: the database is written with sqlite3 from the schema files.
# Env: REPORT (tcptally-report), and COLLECTOR, POPULATE as lib.sh wants them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${REPORT:?REPORT must point at tcptally-report}"
command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"
export TZ=UTC			# local days are UTC days

# 8 days of samples at 60 s, 2026-11-13 (D-7) to 2026-11-20 (D), host it-windows.
# group all:     D-7    D-6..D-2  D-1   D
#   ESTABLISHED  40     40        40    50
#   TIME_WAIT    5      0         0     0
#   CLOSE_WAIT   100    105       110   150; 90 at 03:00-03:59, 300 at 14:30,
#                                            200 at 18:00-19:59
#   LISTEN       3      3         6     3
# group web: CLOSE_WAIT 10, LISTEN 1 throughout.
d7=$(date -u -d 2026-11-13T00:00:00Z +%s)
D=$((d7 + 7 * 86400))
TT_DB="$TT_TMP/w.db"
cfg="$TT_TMP/tcptally.yaml"
cat >"$cfg" <<YAML
database: $TT_DB
interval: 60s
host: it-windows
groups:
  - name: web
    local_ports: [80]
thresholds:
  - name: cw-spike
    state: CLOSE_WAIT
    above: 250
    severity: critical
  - name: cw-high
    state: CLOSE_WAIT
    above: 180
    for: 30m
  - name: cw-over
    state: CLOSE_WAIT
    above: 105
    for: 2h
  - name: web-cw
    group: web
    state: CLOSE_WAIT
    above: 10
YAML
"$COLLECTOR" -c "$cfg" --check-config >/dev/null || fail "the test's config is refused"

nmig=0
for f in "$here"/../../schema/[0-9]*.sql; do
	sqlite3 -batch "$TT_DB" <"$f" || fail "schema $f"
	nmig=$((nmig + 1))
done
sqlite3 -batch "$TT_DB" <<SQL || fail "cannot fill the test database"
PRAGMA user_version = $nmig;
PRAGMA application_id = 1413698644;
BEGIN;
INSERT INTO host (id, name) VALUES (1, 'it-windows');
INSERT INTO grp (id, name) VALUES (1, 'all'), (2, 'web');
WITH RECURSIVE t(ts) AS (SELECT $d7 UNION ALL SELECT ts + 60 FROM t WHERE ts + 60 < $D + 86400)
INSERT INTO sample (ts, host, flags) SELECT ts, 1, 0 FROM t;
WITH s(ts, day, sod) AS (SELECT ts, (ts - $d7) / 86400, (ts - $d7) % 86400 FROM sample)
INSERT INTO counts SELECT ts, 1, 1,
	CASE WHEN day = 7 THEN 50 ELSE 40 END, 0, 0, 0, 0,
	CASE WHEN day = 0 THEN 5 ELSE 0 END, 0,
	CASE WHEN day = 0 THEN 100 WHEN day < 6 THEN 105 WHEN day = 6 THEN 110
	     WHEN sod BETWEEN 10800 AND 14340 THEN 90 WHEN sod = 52200 THEN 300
	     WHEN sod BETWEEN 64800 AND 71940 THEN 200 ELSE 150 END,
	0, CASE WHEN day = 6 THEN 6 ELSE 3 END, 0,
	NULL, NULL, NULL, NULL, NULL	-- the accept queues (schema 3): not stored
FROM s;
INSERT INTO counts SELECT ts, 1, 2, 0, 0, 0, 0, 0, 0, 0, 10, 0, 1, 0,
	NULL, NULL, NULL, NULL, NULL FROM sample;
COMMIT;
SQL
assert_eq "$(q "SELECT count(*) FROM sample")" 11520 "samples written"

R() { "$REPORT" -c "$cfg" "$@"; }
# The line of CSV output whose first fields are $2 (e.g. "it-windows,all,CLOSE_WAIT,").
line() { grep -m1 "^$2" <<<"$1" || echo "(no line $2)"; }
# Exit status and stderr of a command that must fail.
expect_fail() {	# want-status, message-part, args...
	local want=$1 part=$2 rc=0 err
	shift 2
	err=$(R "$@" 2>&1 >/dev/null) || rc=$?
	assert_eq "$rc" "$want" "exit status of: $*"
	grep -qF -- "$part" <<<"$err" || fail "$*: stderr lacks '$part': $err"
}
jsonok() { jq -e . >/dev/null <<<"$1" || fail "$2: not valid JSON"; }

echo "--- daily --date 2026-11-20 (csv)"
out=$(R --format csv daily --date 2026-11-20) || fail "daily exited $?"
head=$(sed -n 1p <<<"$out")
assert_eq "$head" "host,group,state,samples,min,avg,p95,peak,peak_time,day_before_avg,day_before_change,day_before_change_pct,week_before_avg,week_before_change,week_before_change_pct" "daily csv header"
# avg 218550/1440 = 151.7708; p95 is the 1368th smallest of 60x90 1259x150 120x200 1x300
assert_eq "$(line "$out" it-windows,all,CLOSE_WAIT,)" \
	"it-windows,all,CLOSE_WAIT,1440,90,151.77,200,300,2026-11-20T14:30:00Z,110.00,41.77,37.97,100.00,51.77,51.77" \
	"daily all/CLOSE_WAIT"
assert_eq "$(line "$out" it-windows,all,ESTABLISHED,)" \
	"it-windows,all,ESTABLISHED,1440,50,50.00,50,50,2026-11-20T00:00:00Z,40.00,10.00,25.00,40.00,10.00,25.00" \
	"daily all/ESTABLISHED"
assert_eq "$(line "$out" it-windows,all,TIME_WAIT,)" \
	"it-windows,all,TIME_WAIT,1440,0,0.00,0,0,2026-11-20T00:00:00Z,0.00,0.00,,5.00,-5.00,-100.00" \
	"daily all/TIME_WAIT (no % from 0)"
assert_eq "$(line "$out" it-windows,all,LISTEN,)" \
	"it-windows,all,LISTEN,1440,3,3.00,3,3,2026-11-20T00:00:00Z,6.00,-3.00,-50.00,3.00,0.00,0.00" \
	"daily all/LISTEN"
assert_eq "$(line "$out" it-windows,web,CLOSE_WAIT,)" \
	"it-windows,web,CLOSE_WAIT,1440,10,10.00,10,10,2026-11-20T00:00:00Z,10.00,0.00,0.00,10.00,0.00,0.00" \
	"daily web/CLOSE_WAIT"
assert_eq "$(grep -c '^it-windows,' <<<"$out")" 22 "daily csv: 2 groups x 11 states"
assert_eq "$(sed -n 2p <<<"$out" | cut -d, -f2,3)" "all,ESTABLISHED" "daily: group all first, state order"
# the thresholds that fired, after a blank line; cw-over is judged at 00:00 from D-1's samples
fired=$(sed '1,/^$/d' <<<"$out")
assert_eq "$fired" "threshold,severity,host,group,state,start,end,peak
cw-spike,critical,it-windows,all,CLOSE_WAIT,2026-11-20T14:30:00Z,2026-11-20T14:30:00Z,300
cw-high,warning,it-windows,all,CLOSE_WAIT,2026-11-20T18:30:00Z,2026-11-20T19:59:00Z,200
cw-over,warning,it-windows,all,CLOSE_WAIT,2026-11-20T00:00:00Z,2026-11-20T02:59:00Z,150
cw-over,warning,it-windows,all,CLOSE_WAIT,2026-11-20T06:00:00Z,2026-11-20T23:59:00Z,300" \
	"daily: thresholds fired"

echo "--- daily (table, json, other days, errors)"
out=$(R daily --date 2026-11-20) || fail "daily table exited $?"
assert_eq "$(sed -n 1p <<<"$out")" \
	"daily report for 2026-11-20 (local day, UTC times), 1440 samples" "daily table header"
# states 0 on the day, the day before and the week before are left out
assert_eq "$(awk '/^group/,/^$/' <<<"$out" | awk 'NR > 1 && NF { print $1 "/" $2 }' | tr '\n' ' ')" \
	"all/ESTABLISHED all/TIME_WAIT all/CLOSE_WAIT all/LISTEN web/CLOSE_WAIT web/LISTEN " \
	"daily table rows"
grep -q '^all  *CLOSE_WAIT  *90  *151.8  *200  *300  *2026-11-20T14:30:00Z  *+41.8 (+38.0%)  *+51.8 (+51.8%)$' \
	<<<"$out" || fail "daily table CLOSE_WAIT row: $out"
grep -q '^all  *TIME_WAIT .* +0.0 (n/a)  *-5.0 (-100.0%)$' <<<"$out" ||
	fail "daily table TIME_WAIT row: $out"
out=$(R --format json daily --date 2026-11-20) || fail "daily json exited $?"
jsonok "$out" "daily json"
assert_eq "$(jq -c '[.samples, (.states | length), (.fired | length)]' <<<"$out")" "[1440,22,4]" \
	"daily json sizes"
assert_eq "$(jq -c '.states[] | select(.group == "all" and .state == "CLOSE_WAIT") |
	[.min, .avg, .p95, .peak, .peak_ts - '"$D"', .day_before_change, .week_before_change_pct]' <<<"$out")" \
	"[90,151.77,200,300,52200,41.77,51.77]" "daily json CLOSE_WAIT"
# D-6: the day before (D-7) has samples, the week before does not
out=$(R --format csv --group all daily --date 2026-11-14) || fail "daily D-6 exited $?"
assert_eq "$(line "$out" it-windows,all,CLOSE_WAIT,)" \
	"it-windows,all,CLOSE_WAIT,1440,105,105.00,105,105,2026-11-14T00:00:00Z,100.00,5.00,5.00,,," \
	"daily D-6: no week before"
assert_eq "$(grep -c '^it-windows,web' <<<"$out")" 0 "daily --group all: no web rows"
grep -q 'n/a' <<<"$(R --group all daily --date 2026-11-14)" || fail "daily table: n/a without the week before"
expect_fail 1 "no samples on 2026-11-12" daily --date 2026-11-12
expect_fail 2 "YYYY-MM-DD" daily --date 2026-11-31
expect_fail 2 "YYYY-MM-DD" daily --date 2026-11-1
expect_fail 2 "YYYY-MM-DD" daily --date "2026-11-20 "
expect_fail 2 "unknown group 'nope'" daily --date 2026-11-20 --group nope

echo "--- at '2026-11-20 14:30:20' --around 10m"
# window 14:20:20..14:40:20: 20 samples, 19x150 + 300 = 157.5; nearest 14:30:00 (20 s away)
out=$(R --format csv at '2026-11-20 14:30:20' --around 10m) || fail "at exited $?"
assert_eq "$(sed -n 1p <<<"$out")" \
	"host,group,state,nearest_time,value,avg,min,min_time,max,max_time,day_before_avg,day_before_change,day_before_change_pct,week_before_avg,week_before_change,week_before_change_pct" \
	"at csv header"
# the window's lowest and highest, each where first reached: 150 from 14:21, 300 at 14:30
assert_eq "$(sed -n 2p <<<"$out")" \
	"it-windows,all,CLOSE_WAIT,2026-11-20T14:30:00Z,300,157.50,150,2026-11-20T14:21:00Z,300,2026-11-20T14:30:00Z,110.00,47.50,43.18,100.00,57.50,57.50" \
	"at CLOSE_WAIT"
assert_eq "$(sed -n 3p <<<"$out")" \
	"it-windows,all,ESTABLISHED,2026-11-20T14:30:00Z,50,50.00,50,2026-11-20T14:21:00Z,50,2026-11-20T14:21:00Z,40.00,10.00,25.00,40.00,10.00,25.00" \
	"at ESTABLISHED"
assert_eq "$(sed -n 4p <<<"$out")" \
	"it-windows,all,LISTEN,2026-11-20T14:30:00Z,3,3.00,3,2026-11-20T14:21:00Z,3,2026-11-20T14:21:00Z,6.00,-3.00,-50.00,3.00,0.00,0.00" "at LISTEN"
# by |change against the day before|, then state order; all 11 in csv
assert_eq "$(sed 1d <<<"$out" | cut -d, -f3 | tr '\n' ' ')" \
	"CLOSE_WAIT ESTABLISHED LISTEN SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE LAST_ACK CLOSING " \
	"at state order"
# 14:30:40 is nearer 14:31:00 (150) than 14:30:00
assert_eq "$(R --format csv at @$((D + 52240)) | sed -n 2p | cut -d, -f3-6)" \
	"CLOSE_WAIT,2026-11-20T14:31:00Z,150,157.50" "at: the nearest sample is the later one"
out=$(R at '2026-11-20 14:30:20' --around 10m) || fail "at table exited $?"
grep -q '^at 2026-11-20T14:30:20Z, within 10m (UTC times): 20 samples, the nearest at 2026-11-20T14:30:00Z;' \
	<<<"$out" || fail "at table header: $out"
grep -qx 'against the same window a day before (20 samples) and a week before (20 samples)' \
	<<<"$out" || fail "at table header, line 2: $out"
assert_eq "$(awk 'NR > 4 { print $2 }' <<<"$out" | tr '\n' ' ')" \
	"CLOSE_WAIT ESTABLISHED LISTEN TIME_WAIT " "at table: the states not 0 somewhere"
grep -q '^all  *CLOSE_WAIT  *300  *157.5  *150  *14:21:00  *300  *14:30:00  *110.0  *+47.5 (+43.2%)  *100.0  *+57.5 (+57.5%)$' <<<"$out" ||
	fail "at table CLOSE_WAIT row: $out"
# a drop inside the window: at 04:05 CLOSE_WAIT is 150 again, but it was 90 until
# 03:59 (21 samples from 03:55:00: 5 x 90 + 16 x 150, avg 135.71)
out=$(R --format csv at '2026-11-20 04:05:00' --around 10m) || fail "at 04:05 exited $?"
assert_eq "$(grep ',CLOSE_WAIT,' <<<"$out" | cut -d, -f5-10)" \
	"150,135.71,90,2026-11-20T03:55:00Z,150,2026-11-20T04:00:00Z" "at 04:05: the drop before it"
out=$(R --format json --group web at @$((D + 52220)) --around 10m) || fail "at json exited $?"
jsonok "$out" "at json"
# no change anywhere: state order
assert_eq "$(jq -c '[.nearest - '"$D"', (.windows | map(.samples)), (.states | map(.state)[0:2]),
	(.states[] | select(.state == "CLOSE_WAIT") | [.group, .value, .avg, .day_before_change])]' <<<"$out")" \
	'[52200,[20,20,20],["ESTABLISHED","SYN_SENT"],["web",10,10,0]]' "at json, --group web"
expect_fail 1 "no samples within 10m of 2026-11-23T12:00:00Z; the nearest is at 2026-11-20T23:59:00Z" \
	at 2026-11-23T12:00:00Z
expect_fail 1 "no samples within 5m of 2026-11-01T00:00:00Z; the nearest is at 2026-11-13T00:00:00Z" \
	at 2026-11-01T00:00:00Z --around 5m
expect_fail 2 "2026-11-23T18:00:00Z" at yesterday-ish

echo "--- diff"
# 18:00..19:59 (120 x 200) against the same window one length + one interval
# earlier: 16:00..17:59 (120 x 150)
out=$(R --format csv diff --from 2026-11-20T18:00:00Z --to 2026-11-20T19:59:00Z) ||
	fail "diff exited $?"
assert_eq "$(sed -n 1p <<<"$out")" \
	"host,group,state,avg,max,baseline_avg,baseline_max,baseline_change,baseline_change_pct" "diff csv header"
assert_eq "$(sed -n 2p <<<"$out")" "it-windows,all,CLOSE_WAIT,200.00,200,150.00,150,50.00,33.33" \
	"diff CLOSE_WAIT, default baseline"
assert_eq "$(sed -n 3p <<<"$out")" "it-windows,all,ESTABLISHED,50.00,50,50.00,50,0.00,0.00" \
	"diff ESTABLISHED"
assert_eq "$(grep -c '^it-windows,all,' <<<"$out")" 11 "diff csv: all 11 states"
out=$(R diff --from 2026-11-20T18:00:00Z --to 2026-11-20T19:59:00Z) || fail "diff table exited $?"
grep -qF '2026-11-20T18:00:00Z .. 2026-11-20T19:59:00Z (120 samples) against the baseline 2026-11-20T16:00:00Z .. 2026-11-20T17:59:00Z (120 samples)' \
	<<<"$out" || fail "diff table header: $out"
out=$(R --format csv diff --from 2026-11-20T18:00:00Z --to 2026-11-20T19:59:00Z \
	--baseline-from 2026-11-19T18:00:00Z --baseline-to 2026-11-19T19:59:00Z) || fail "diff baseline exited $?"
assert_eq "$(sed -n '2,4p' <<<"$out" | tr '\n' ' ')" \
	"it-windows,all,CLOSE_WAIT,200.00,200,110.00,110,90.00,81.82 it-windows,all,ESTABLISHED,50.00,50,40.00,40,10.00,25.00 it-windows,all,LISTEN,3.00,3,6.00,6,-3.00,-50.00 " \
	"diff against the day before, ranked by |change|"
out=$(R --format json diff --from 2026-11-20T18:00:00Z --to 2026-11-20T19:59:00Z) || fail "diff json exited $?"
jsonok "$out" "diff json"
assert_eq "$(jq -c '[.windows[1].from - '"$D"', .states[0].baseline_change_pct]' <<<"$out")" "[57600,33.33]" \
	"diff json"
expect_fail 2 "both --baseline-from and --baseline-to" diff --from -2h --to now --baseline-from -4h
expect_fail 2 "--from must be before --to" diff --from 2026-11-20T19:00:00Z --to 2026-11-20T18:00:00Z
expect_fail 2 "diff needs --from T and --to T" diff --from -2h
expect_fail 1 "no samples between" diff --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z

echo "OK: daily, at and diff print the expected numbers"
