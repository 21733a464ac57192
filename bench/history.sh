#!/usr/bin/env bash
# bench/history.sh: does the report's cost follow the window, not the history?
#
#   bench/history.sh [BUILD_DIR]      (default: build)
#   DAYS="1 30 365" NGROUPS=4 ROUNDS=7 WORK=/var/tmp/tcptally-history bench/history.sh
#
# Builds one database per entry of DAYS from synthetic 10 s history
# (tcptally-histgen: daily cycles, a slow CLOSE_WAIT leak, TIME_WAIT bursts)
# through `tcptally-collector --import`, retention off, and prints:
#   - import rate (CSV rows/s) and database bytes per sample x group;
#   - the median wall time of now, trend --since 24h, trend --since 365d,
#     daily, at, check and export of one day on each database, ROUNDS rounds
#     interleaved, and each as a ratio to the first (smallest) database.
# Everything runs in one invocation, so the ratios share the machine's noise.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
COLLECTOR=$B/tcptally-collector REPORT=$B/tcptally-report HISTGEN=$B/bench/tcptally-histgen
DAYS=${DAYS:-1 30 365}
GROUPS_N=${NGROUPS:-4}
ROUNDS=${ROUNDS:-7}
WORK=${WORK:-/var/tmp/tcptally-history}
for x in "$COLLECTOR" "$REPORT" "$HISTGEN"; do
	[ -x "$x" ] || { echo "$x: not built; run: meson setup $B && ninja -C $B" >&2; exit 2; }
done
mkdir -p "$WORK"
END=$(( $(date +%s) / 10 * 10 ))
ns() { date +%s%N; }

echo "# bench/history.sh: $(date -u +%FT%TZ), $(nproc) cores, groups $GROUPS_N (all included), 10 s samples"
echo "## import"
printf '%-6s %12s %10s %12s %10s %14s\n' days rows seconds rows/s MB "B/sample*grp"
for d in $DAYS; do
	db=$WORK/h$d.db cfg=$WORK/h$d.yaml
	cat >"$cfg" <<EOF
database: $db
interval: 10s
retention:
  raw: 0
  hourly: 0
groups:
  - name: web
    local_ports: [80, 443]
thresholds:
  - name: close-wait-leak
    state: CLOSE_WAIT
    growth: 100/min
    window: 10m
    severity: critical
  - name: time-wait-flood
    state: TIME_WAIT
    above: 15000
    for: 1m
  - name: web-listener-gone
    group: web
    state: LISTEN
    below: 1
    for: 30s
EOF
	if [ "${REUSE:-0}" = 1 ] && [ -f "$db" ]; then	# keep the databases of an earlier run
		rows=$(( $(sqlite3 "$db" "SELECT count(*) FROM counts") * 11 )) t0=0 t1=0
		END=$(sqlite3 "$db" "SELECT max(ts) FROM sample")
	else
		rm -f "$db" "$db-wal" "$db-shm"
		"$HISTGEN" --days "$d" --groups "$GROUPS_N" --host bench --end "$END" >"$WORK/h$d.csv"
		rows=$(( $(wc -l <"$WORK/h$d.csv") - 1 ))
		t0=$(ns)
		"$COLLECTOR" -c "$cfg" -q --import "$WORK/h$d.csv" 2>/dev/null
		t1=$(ns)
		rm -f "$WORK/h$d.csv"
	fi
	bytes=$(stat -c %s "$db")
	sg=$(sqlite3 "$db" "SELECT count(*) FROM counts")
	awk -v d="$d" -v r="$rows" -v t="$(( t1 - t0 ))" -v b="$bytes" -v sg="$sg" 'BEGIN {
		printf "%-6s %12d %10.2f %12.0f %10.1f %14.1f\n", d, r, t / 1e9, t ? r / (t / 1e9) : 0,
		    b / 1048576, b / sg }'
done

# The commands, as an operator would type them (T: an incident 20 h ago).
T=$(date -u -d "@$((END - 72000))" +%FT%TZ)
NAMES=(now "trend 24h" "trend 365d" daily at check "export 1d")
ARGS=("now" "trend --since 24h" "trend --since 365d" "daily" "at $T"
	"check --at @$END" "export --from @$((END - 86400)) --to @$END --format csv")
declare -A total
run() {	# days index -> ns
	local t0 t1
	t0=$(ns)
	# shellcheck disable=SC2086
	"$REPORT" -c "$WORK/h$1.yaml" ${ARGS[$2]} >/dev/null 2>&1 || [ $? -le 3 ]
	t1=$(ns)
	echo $((t1 - t0))
}
echo "## queries: median of $ROUNDS rounds, ms (ratio to the ${DAYS%% *}-day database)"
for i in "${!ARGS[@]}"; do
	for d in $DAYS; do run "$d" "$i" >/dev/null; done	# warm the page cache
done
for r in $(seq "$ROUNDS"); do
	for i in "${!ARGS[@]}"; do
		for d in $DAYS; do
			total[$i,$d]="${total[$i,$d]:-} $(run "$d" "$i")"
		done
	done
done
printf '%-12s' command
for d in $DAYS; do printf '%20s' "${d}d"; done
echo
first=${DAYS%% *}
for i in "${!ARGS[@]}"; do
	printf '%-12s' "${NAMES[$i]}"
	base=$(echo ${total[$i,$first]} | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	for d in $DAYS; do
		med=$(echo ${total[$i,$d]} | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		awk -v m="$med" -v b="$base" 'BEGIN { printf "%12.1f (%4.2fx)", m / 1e6, m / b }'
	done
	echo
done
echo "## the rollups: trend --since 365d reads them"
"$REPORT" -c "$WORK/h${DAYS##* }.yaml" trend --since 365d --state CLOSE_WAIT 2>&1 | head -n 4
