#!/usr/bin/env bash
# A fleet: 50 hosts' databases (web-01 .. web-50, one file each, made with
# --import), a few in breach and one stale. `check` over all of them names
# exactly the breaching hosts and summarizes across hosts; `now` lists every
# host in order; --host picks one; -d DIR reads every *.db in DIR.
# Needs no namespace. TT_FLEET_SAMPLES: samples per host (default 60, at 60 s).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"

nsamples=${TT_FLEET_SAMPLES:-60}
fleet="$TT_TMP/fleet"
mkdir -p "$fleet" "$TT_TMP/csv"
T=$(($(date +%s) / 60 * 60))

echo "--- 50 hosts, $nsamples samples each, imported into one database per host"
# Steady hosts, and: web-13 CLOSE_WAIT 900 in the newest 3 samples (critical);
# web-07 and web-21 TIME_WAIT 1500+ for the newest 10 (warning, for 5m);
# web-42 no LISTEN in the newest 2 (warning); web-33 stopped 6 h ago with a
# TIME_WAIT flood in its old data (unknown, and nothing else); web-50 one
# TIME_WAIT spike in its newest sample only (shorter than 5m: nothing).
awk -v T=$T -v n="$nsamples" -v dir="$TT_TMP/csv" 'BEGIN {
	split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", s, " ")
	for (h = 1; h <= 50; h++) {
		host = sprintf("web-%02d", h)
		f = dir "/" host ".csv"
		print "ts,host,group,state,count" > f
		end = host == "web-33" ? T - 6 * 3600 : T
		for (i = 0; i < n; i++) {
			ts = end - 60 * (n - 1 - i)
			back = n - 1 - i	# samples before the newest
			for (g = 1; g <= 2; g++) for (k = 1; k <= 11; k++) {
				c = k == 1 ? 100 + h + i % 7 : k == 6 ? 200 + i % 5 : k == 8 ? 10 : k == 10 ? 5 : 0
				if (host == "web-13" && k == 8 && back < 3) c = 900
				if ((host == "web-07" || host == "web-21") && k == 6 && back < 10) c = 1500 + h
				if (host == "web-33" && k == 6) c = 5000
				if (host == "web-50" && k == 6 && back == 0) c = 4000
				if (host == "web-42" && k == 10 && back < 2) c = 0
				if (g == 2) c = int(c / 2)
				printf "%d,%s,%s,%s,%d\n", ts, host, g == 1 ? "all" : "web", s[k], c > f
			}
		}
		close(f)
	}
}'
t0=$(date +%s%N)
for ((h = 1; h <= 50; h++)); do
	host=$(printf 'web-%02d' $h)
	printf 'database: %s\ninterval: 60s\n' "$fleet/$host.db" >"$TT_TMP/csv/$host.yaml"
	"$COLLECTOR" -c "$TT_TMP/csv/$host.yaml" --import "$TT_TMP/csv/$host.csv" 2>"$TT_TMP/imp.log" ||
		fail "import of $host: $(cat "$TT_TMP/imp.log")"
done
echo "  imported in $((($(date +%s%N) - t0) / 1000000)) ms"
assert_eq "$(ls "$fleet" | grep -c '\.db$')" 50 "databases"

cfg="$TT_TMP/fleet.yaml"
cat >"$cfg" <<YAML
interval: 60s
thresholds:
  - name: close-wait-high
    state: CLOSE_WAIT
    above: 500
    severity: critical
  - name: time-wait-flood
    state: TIME_WAIT
    above: 1000
    for: 5m
  - name: listener-gone
    state: LISTEN
    below: 1
YAML

each=()
for f in "$fleet"/*.db; do
	each+=(-d "$f")
done

run_check() {	# output file, args...
	local out=$1 rc=0
	shift
	"$REPORT" -c "$cfg" "$@" check >"$out" 2>"$out.err" || rc=$?
	echo $rc
}

echo "--- check over 50 databases (-d per file)"
t0=$(date +%s%N)
rc=$(run_check "$TT_TMP/check.out" "${each[@]}")
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$rc" 2 "check exit code (CRITICAL outranks UNKNOWN and WARNING)"
[ ! -s "$TT_TMP/check.out.err" ] || fail "check wrote to stderr: $(cat "$TT_TMP/check.out.err")"
first=$(head -n 1 "$TT_TMP/check.out")
echo "  ${first%% |*} | ... ($ms ms, $(echo "$first" | wc -c) bytes in the first line)"
assert_eq "${first%% |*}" "TCPTALLY CRITICAL: 1 critical, 3 warning, 1 unknown; 3 thresholds on 50 hosts" \
	"the status line"
stale=$(date -u -d @$((T - 6 * 3600)) +%Y-%m-%dT%H:%M:%SZ)
want="UNKNOWN host web-33: newest sample $stale is older than 3 intervals (180s); is tcptally-collector running?
CRITICAL close-wait-high: host web-13, group all, CLOSE_WAIT 900 > 500
WARNING time-wait-flood: host web-07, group all, TIME_WAIT 1507 > 1000 for 5m
WARNING time-wait-flood: host web-21, group all, TIME_WAIT 1521 > 1000 for 5m
WARNING listener-gone: host web-42, group all, LISTEN 0 < 1"
assert_eq "$(tail -n +2 "$TT_TMP/check.out")" "$want" "the findings"
named=$(tail -n +2 "$TT_TMP/check.out" | grep -o 'host web-[0-9]*' | cut -d' ' -f2 | sort | tr '\n' ' ')
assert_eq "$named" "web-07 web-13 web-21 web-33 web-42 " "the hosts named"
# Within each threshold, findings go by host.
tail -n +2 "$TT_TMP/check.out" | awk '{ k = $2; h = $4; if (k in last && h < last[k]) exit 1; last[k] = h }' ||
	fail "findings of one threshold not sorted by host"
# Perfdata: one well-formed item per live host x threshold, none for the stale host.
perf=$(echo "${first#* | }" | tr ' ' '\n')
assert_eq "$(echo "$perf" | grep -cvE "^'web-[0-9]{2}/all_(CLOSE_WAIT|TIME_WAIT|LISTEN)'=[0-9]+;[0-9:]*;[0-9:]*$")" 0 \
	"malformed perfdata items: $(echo "$perf" | grep -vE "^'web-[0-9]{2}/all_[A-Z_]+'=[0-9]+;[0-9:]*;[0-9:]*$" | head -3)"
assert_eq "$(echo "$perf" | wc -l)" $((49 * 3)) "perfdata items"
echo "$perf" | grep -q "^'web-33/" && fail "perfdata for the stale host"
echo "$perf" | grep -qx "'web-13/all_CLOSE_WAIT'=900;;500" || fail "perfdata of web-13"

echo "--- --perfdata breaching: the series that fired only; none: no perfdata"
rc=$(run_check "$TT_TMP/br.out" -d "$fleet" --perfdata breaching)
assert_eq "$rc" 2 "check --perfdata breaching exit code"
assert_eq "$(head -n 1 "$TT_TMP/br.out" | sed 's/^.* | //' | tr ' ' '\n' | cut -d= -f1 | sort | tr '\n' ' ')" \
	"'web-07/all_TIME_WAIT' 'web-13/all_CLOSE_WAIT' 'web-21/all_TIME_WAIT' 'web-42/all_LISTEN' " \
	"perfdata of the breaching series"
assert_eq "$(tail -n +2 "$TT_TMP/br.out")" "$want" "the findings with --perfdata breaching"
echo "    first line: $(head -n 1 "$TT_TMP/check.out" | wc -c) bytes with all perfdata," \
	"$(head -n 1 "$TT_TMP/br.out" | wc -c) with the breaching series only"
rc=$(run_check "$TT_TMP/np.out" -d "$fleet" --perfdata none)
assert_eq "$(head -n 1 "$TT_TMP/np.out")" "TCPTALLY CRITICAL: 1 critical, 3 warning, 1 unknown; 3 thresholds on 50 hosts" \
	"check --perfdata none"
rc=$(run_check "$TT_TMP/bad.out" -d "$fleet" --perfdata some)
assert_eq "$rc" 3 "check --perfdata some: a usage error, UNKNOWN"

echo "--- -d DIR reads every *.db in it: the same answer"
touch "$fleet/notes.txt" "$fleet/.hidden.db"
mkdir "$fleet/old.db"	# a directory named *.db is no database
for d in "$fleet" "$fleet/"; do
	rc=$(run_check "$TT_TMP/dir.out" -d "$d")
	assert_eq "$rc" 2 "check -d $d exit code"
	cmp -s "$TT_TMP/check.out" "$TT_TMP/dir.out" || fail "check -d $d differs: $(diff "$TT_TMP/check.out" "$TT_TMP/dir.out" | head -5)"
done
rmdir "$fleet/old.db"
rm "$fleet/notes.txt" "$fleet/.hidden.db"

echo "--- now over 50 hosts, by host"
"$REPORT" -d "$fleet" now --format csv >"$TT_TMP/now.csv" || fail "now exited $?"
assert_eq "$(tail -n +2 "$TT_TMP/now.csv" | wc -l)" 100 "rows (50 hosts x 2 groups)"
assert_eq "$(tail -n +2 "$TT_TMP/now.csv" | cut -d, -f1,2 | tr '\n' ' ')" \
	"$(for ((h = 1; h <= 50; h++)); do printf 'web-%02d,all web-%02d,web ' $h $h; done)" "host order"
assert_eq "$(grep '^web-33,all,' "$TT_TMP/now.csv" | cut -d, -f3)" "$stale" "the stale host at its own time"
assert_eq "$(grep '^web-13,all,' "$TT_TMP/now.csv")" \
	"web-13,all,$(date -u -d @$T +%Y-%m-%dT%H:%M:%SZ),$((113 + (nsamples - 1) % 7)),0,0,0,0,$((200 + (nsamples - 1) % 5)),0,900,0,5,0" \
	"now for web-13"
"$REPORT" "${each[@]}" now >"$TT_TMP/now.txt" || fail "now (table) exited $?"
assert_eq "$(tail -n +2 "$TT_TMP/now.txt" | awk '{ print $1 }' | sort -c && echo sorted)" sorted "table order"

echo "--- --host web-07 over the fleet"
assert_eq "$("$REPORT" -d "$fleet" --host web-07 now --format csv | tail -n +2 | cut -d, -f1 | sort -u)" \
	web-07 "now --host web-07"
rc=$(run_check "$TT_TMP/one.out" -d "$fleet" --host web-07)
assert_eq "$rc" 1 "check --host web-07 exit code"
assert_eq "$(head -n 1 "$TT_TMP/one.out" | sed 's/ |.*//')" \
	"TCPTALLY WARNING: 0 critical, 1 warning, 0 unknown; 3 thresholds on 1 host" "check --host web-07"
assert_eq "$(tail -n +2 "$TT_TMP/one.out")" \
	"WARNING time-wait-flood: host web-07, group all, TIME_WAIT 1507 > 1000 for 5m" "findings for web-07"

echo "--- --host takes a pattern: web-1? is web-10 .. web-19"
assert_eq "$("$REPORT" -d "$fleet" --host 'web-1?' now --format csv | tail -n +2 | cut -d, -f1 | sort -u | tr '\n' ' ')" \
	"web-10 web-11 web-12 web-13 web-14 web-15 web-16 web-17 web-18 web-19 " "now --host 'web-1?'"
rc=$(run_check "$TT_TMP/pat.out" -d "$fleet" --host 'web-1?')
assert_eq "$rc" 2 "check --host 'web-1?' exit code (web-13 is critical)"
assert_eq "$(head -n 1 "$TT_TMP/pat.out" | sed 's/ |.*//')" \
	"TCPTALLY CRITICAL: 1 critical, 0 warning, 0 unknown; 3 thresholds on 10 hosts" "check --host 'web-1?'"
rc=$(run_check "$TT_TMP/none.out" -d "$fleet" --host 'db-*')
assert_eq "$rc" 3 "check --host matching nothing: UNKNOWN"
grep -q "^TCPTALLY UNKNOWN: --host 'db-\*' matches no host; the databases have: web-01, web-02" "$TT_TMP/none.out" ||
	fail "check --host db-*: $(cat "$TT_TMP/none.out")"
rc=0
"$REPORT" -d "$fleet" --host 'db-*' now >"$TT_TMP/none2.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "now --host matching nothing: usage error"

echo "--- a fleet with no breach: OK"
ok=()
for h in 01 02 03 04 05; do
	ok+=(-d "$fleet/web-$h.db")
done
rc=$(run_check "$TT_TMP/ok.out" "${ok[@]}")
assert_eq "$rc" 0 "check over 5 steady hosts"
assert_eq "$(head -n 1 "$TT_TMP/ok.out" | sed 's/ |.*//')" \
	"TCPTALLY OK: 0 critical, 0 warning, 0 unknown; 3 thresholds on 5 hosts" "status of 5 steady hosts"

echo "--- -d on an empty directory: a clear error"
mkdir "$TT_TMP/empty"
rc=0
"$REPORT" -d "$TT_TMP/empty" now >/dev/null 2>"$TT_TMP/empty.err" || rc=$?
assert_eq "$rc" 2 "now -d EMPTY exit code"
grep -q "$TT_TMP/empty: a directory with no \*.db files" "$TT_TMP/empty.err" ||
	fail "empty directory message: $(cat "$TT_TMP/empty.err")"
rc=$(run_check "$TT_TMP/empty.out" -d "$TT_TMP/empty")
assert_eq "$rc" 3 "check -d EMPTY exit code"
grep -q "^TCPTALLY UNKNOWN: -d $TT_TMP/empty: a directory with no" "$TT_TMP/empty.out" ||
	fail "check -d EMPTY: $(cat "$TT_TMP/empty.out")"

echo "--- three hostile files among 50: the other 47 judged exactly as without them"
# web-03 .. web-05 are replaced: web-03 by a file whose counts are a view over
# an endless recursion, web-04 by one whose host name would forge a status
# line, web-05 by web-01's data under the name web-05.db claiming web-13 with
# nothing wrong (to hide web-13's CRITICAL).
clean="$TT_TMP/clean47"
hostile="$TT_TMP/hostile"
mkdir "$clean" "$hostile"
for f in "$fleet"/*.db; do
	case $f in */web-0[345].db) ;; *) cp "$f" "$clean/" ;; esac
done
cp "$clean"/*.db "$hostile/"
cp "$fleet/web-03.db" "$fleet/web-04.db" "$hostile/"
sqlite3 "$hostile/web-03.db" "DROP TRIGGER counts_to_hourly; DROP TRIGGER counts_to_hourly_update;
	DROP VIEW state_counts; DROP TABLE counts; CREATE VIEW counts AS
	WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS ts FROM r"
sqlite3 "$hostile/web-04.db" "UPDATE host SET name = 'web-04' || char(10) || 'TCPTALLY OK: all fine'"
cp "$fleet/web-01.db" "$hostile/web-05.db"
sqlite3 "$hostile/web-05.db" "UPDATE host SET name = 'web-13'"
rc=$(run_check "$TT_TMP/clean.out" -d "$clean")
assert_eq "$rc" 2 "check over the 47"
rc=$(run_check "$TT_TMP/hostile.out" -d "$hostile")
assert_eq "$rc" 2 "check over the 47 and 3 hostile files (CRITICAL outranks their UNKNOWN)"
assert_eq "$(head -n 1 "$TT_TMP/hostile.out" | sed 's/ |.*//')" \
	"TCPTALLY CRITICAL: 1 critical, 3 warning, 4 unknown; 3 thresholds on 47 hosts" "status line with hostile files"
assert_eq "$(head -n 1 "$TT_TMP/hostile.out" | sed 's/^[^|]*|//')" "$(head -n 1 "$TT_TMP/clean.out" | sed 's/^[^|]*|//')" \
	"perfdata of the 47"
assert_eq "$(tail -n +2 "$TT_TMP/hostile.out" | grep -v '^UNKNOWN file ')" "$(tail -n +2 "$TT_TMP/clean.out")" \
	"findings of the 47"
want="UNKNOWN file $hostile/web-03.db: not a tcptally database: unexpected view 'counts'
UNKNOWN file $hostile/web-04.db: its host name is not 1 to 255 bytes of printable UTF-8
UNKNOWN file $hostile/web-05.db: holds host 'web-13', as $hostile/web-13.db does; one file per host (that one is named for it)"
assert_eq "$(grep '^UNKNOWN file ' "$TT_TMP/hostile.out")" "$want" "each hostile file, UNKNOWN with its reason"
grep -q "^TCPTALLY OK" "$TT_TMP/hostile.out" && fail "a forged status line got through"
echo "    $(head -n 1 "$TT_TMP/hostile.out" | sed 's/ |.*//')"
rc=0
"$REPORT" -d "$hostile" now --format csv >"$TT_TMP/hnow.csv" 2>"$TT_TMP/hnow.err" || rc=$?
assert_eq "$rc" 1 "now over a fleet with refused files: the others, then exit 1"
assert_eq "$(tail -n +2 "$TT_TMP/hnow.csv" | cut -d, -f1 | sort -u | wc -l)" 47 "now lists the 47 hosts"
assert_eq "$(grep -c "^tcptally-report: $hostile/web-0[345].db: " "$TT_TMP/hnow.err")" 3 "now names the 3 refused files"

echo "OK: fleet of 50; check over 50 databases took $ms ms"
