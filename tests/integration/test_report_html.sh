#!/usr/bin/env bash
# daily --format html: a day of 10 s samples (a TIME_WAIT flood, a CLOSE_WAIT
# leak, the collector down for 40 minutes) becomes one well-formed XHTML page
# with a chart per group, the threshold lines, the table's numbers and the
# thresholds that fired; headless Chromium renders it to a real PNG.  Then the
# report's terminal manners: no sparklines when piped or with NO_COLOR, no
# escape bytes, --version, and every command's --help.  Needs no namespace.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"
# Without these the rest still runs, and the test then skips (fails in CI).
missing=""
for tool in xmllint chromium python3; do
	command -v $tool >/dev/null || missing+=" $tool"
done
export TZ=UTC			# local days are UTC days

db="$TT_TMP/h.db"
cfg="$TT_TMP/tcptally.yaml"
HOST='edge<1>&co'		# a host name that must be escaped
DAY=2026-11-23
D=1795392000			# 2026-11-23T00:00:00Z
cat >"$cfg" <<YAML
database: $db
interval: 10s
host: edge
groups:
  - name: web
    local_ports: [80, 443]
  - name: db
    local_ports: [5432]
thresholds:
  - name: tw-flood
    state: TIME_WAIT
    above: 3000
    for: 5m
  - name: cw-high
    group: db
    state: CLOSE_WAIT
    above: 400
    for: 10m
    severity: critical
  - name: cw-burst
    state: CLOSE_WAIT
    growth: 30/min
    window: 5m
    severity: critical
  - name: web-listener-gone
    group: web
    state: LISTEN
    below: 1
    for: 30s
YAML

# One day from $1 at step $2 seconds; $3 = 1 for the eventful day. Groups all,
# web, db; load follows the hour (low at 02:00, high at 14:00); only states
# that are not 0 are written (the importer counts the rest as 0).
gen_day() {
	awk -v t0="$1" -v step="$2" -v ev="$3" -v host="$HOST" 'BEGIN {
		srand(t0)
		pi = atan2(0, -1)
		for (ts = t0; ts < t0 + 86400; ts += step) {
			s = ts - t0
			if (ev && s >= 13 * 3600 && s < 13 * 3600 + 2400)
				continue			# the collector was down
			load = 0.5 - 0.45 * cos(2 * pi * (s / 3600 - 2) / 24)
			est = int(300 + 900 * load + 60 * rand())
			tw = int(800 + 1600 * load + 200 * rand())
			if (ev && s >= 15 * 3600 + 1200 && s < 15 * 3600 + 2100)
				tw += 2500			# a flood: 15 minutes
			leak = 0
			if (ev && s >= 9 * 3600 && s < 11.5 * 3600)
				leak = int((s - 9 * 3600) / 15)	# 4 a minute, to 600
			if (ev && s >= 17 * 3600 && s < 17 * 3600 + 600)
				leak = int((s - 17 * 3600) * 0.8)	# 48 a minute
			cwb = int(6 * rand())
			row("all", "ESTABLISHED", est); row("all", "TIME_WAIT", tw)
			row("all", "CLOSE_WAIT", cwb + leak); row("all", "LISTEN", 14)
			row("all", "SYN_RECV", int(6 * rand() * load))
			row("all", "FIN_WAIT2", int(5 + 15 * rand()))
			row("all", "LAST_ACK", int(3 * rand()))
			row("web", "ESTABLISHED", int(est * 0.7)); row("web", "TIME_WAIT", int(tw * 0.8))
			row("web", "LISTEN", 2); row("web", "CLOSE_WAIT", cwb)
			row("db", "ESTABLISHED", 40 + int(10 * rand())); row("db", "LISTEN", 1)
			row("db", "CLOSE_WAIT", leak)
		}
	}
	function row(g, st, c) { if (c > 0) printf "%d,%s,%s,%s,%d\n", ts, host, g, st, c }'
}
{
	echo "ts,host,group,state,count"
	gen_day $((D - 7 * 86400)) 60 0
	gen_day $((D - 86400)) 60 0
	gen_day $D 10 1
} >"$TT_TMP/in.csv"
"$COLLECTOR" -c "$cfg" --import "$TT_TMP/in.csv" 2>"$TT_TMP/imp.log" || fail "import: $(cat "$TT_TMP/imp.log")"

echo "--- daily --format html: well-formed, self-contained"
html="$TT_TMP/daily.html"
"$REPORT" -c "$cfg" daily --date $DAY --format html >"$html" || fail "daily --format html exited $?"
"$REPORT" -c "$cfg" daily --date $DAY --format csv >"$TT_TMP/daily.csv" || fail "daily --format csv"
size=$(stat -c %s "$html")
echo "    $size bytes for a day at 10 s, 3 groups"
[ "$size" -lt 1500000 ] || fail "the page is $size bytes: downsampling is not working"
if command -v xmllint >/dev/null; then
	xmllint --noout "$html" 2>"$TT_TMP/xmllint.log" || fail "not well-formed: $(head -5 "$TT_TMP/xmllint.log")"
fi
assert_eq "$(grep -c '<svg' "$html")" 3 "charts (one per host x group)"
! grep -qi '<script' "$html" || fail "the page has a script"
assert_eq "$(grep -oE 'https?://[^" ]*' "$html" | sort -u | tr '\n' ' ')" \
	"http://www.w3.org/1999/xhtml http://www.w3.org/2000/svg " "URIs in the page (namespaces only)"
! grep -qE '(src|href)=' "$html" || fail "the page refers to another file"
grep -q 'edge&lt;1&gt;&amp;co' "$html" || fail "the host name is not escaped"
! grep -q 'edge<1>' "$html" || fail "the raw host name is in the page"

echo "--- charts: threshold lines, growth noted, the gap breaks the lines"
assert_eq "$(grep -c 'stroke-dasharray' "$html")" 3 "threshold lines (one per above/below threshold)"
for th in "tw-flood: TIME_WAIT &gt; 3000 for 5m (warning)" "cw-high: CLOSE_WAIT &gt; 400 for 10m (critical)" \
	"web-listener-gone: LISTEN &lt; 1 for 30s (warning)"; do
	grep -qF ">$th</text>" "$html" || fail "no line labelled $th"
done
grep -q "growth threshold cw-burst (critical): CLOSE_WAIT rising 30/min" "$html" || fail "growth threshold not listed"
# all/CLOSE_WAIT (#d62728): one path, broken at the 40-minute gap
cw=$(grep -m1 'stroke="#d62728"' "$html")
[ "$(echo "$cw" | grep -o ' M' | wc -l)" -ge 1 ] || fail "the CLOSE_WAIT line is not broken at the gap"
grep -q '>TIME_WAIT (peak ' "$html" && grep -q '>CLOSE_WAIT (peak ' "$html" || fail "legend"
grep -q '>24</text>' "$html" && grep -q '>00</text>' "$html" || fail "hour axis"

echo "--- the table holds the numbers of --format csv"
# csv: host,group,state,samples,min,avg,p95,peak,...
for key in "all,TIME_WAIT" "db,CLOSE_WAIT" "web,ESTABLISHED"; do
	line=$(grep -F ",$key," "$TT_TMP/daily.csv") || fail "csv lacks $key"
	IFS=, read -r _ g st _ mn av p95 pk _ <<<"$line"
	num='<td class="num">'
	got=$(grep -oE "<td>$g</td><td>$st</td>($num[0-9.]+</td>){4}" "$html") || fail "html lacks the row $key"
	read -r -a cells <<<"$(echo "$got" | sed -E "s|<td>[^<]*</td>||g; s|$num([0-9.]+)</td>|\1 |g")"
	assert_eq "${cells[0]} ${cells[2]} ${cells[3]}" "$mn $p95 $pk" "html row $key: min, p95, peak"
	# avg: the table's one decimal against the csv's two
	awk -v a="${cells[1]}" -v b="$av" 'BEGIN { exit !(a - b < 0.051 && b - a < 0.051) }' ||
		fail "html avg ${cells[1]} of $key is not the csv's $av"
done
grep -q '<td>tw-flood</td><td>warning</td>' "$html" || fail "tw-flood did not fire in the html"
grep -q '<td>cw-high</td><td>critical</td>' "$html" || fail "cw-high did not fire in the html"
grep -q '<td>cw-burst</td><td>critical</td>' "$html" || fail "cw-burst did not fire in the html"
"$REPORT" -c "$cfg" daily --date 2026-11-22 --format html >"$TT_TMP/quiet.html" || fail "the day before"
! command -v xmllint >/dev/null || xmllint --noout "$TT_TMP/quiet.html" || fail "the day before: not well-formed"
grep -q "no threshold fired on 2026-11-22" "$TT_TMP/quiet.html" || fail "a quiet day should say so"
rc=0
"$REPORT" -c "$cfg" trend --format html >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "--format html for trend"

# The screenshot: a PNG of the expected size whose first chart has the
# CLOSE_WAIT, TIME_WAIT and ESTABLISHED colours (no PIL: unfiltered here).
png_check() {
python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert len(data) > 10000, "only %d bytes" % len(data)
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (w, h) == (1200, 1600) and depth == 8 and ctype in (2, 6), (w, h, depth, ctype)
idat, off = b"", 8
while off < len(data):
    n, kind = struct.unpack(">I4s", data[off:off + 8])
    if kind == b"IDAT":
        idat += data[off + 8:off + 8 + n]
    off += 12 + n
raw, bpp = zlib.decompress(idat), 3 if ctype == 2 else 4
stride, prev, colours = w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y < 700:		# the first chart
        colours.update(bytes(row[x:x + 3]) for x in range(0, stride, bpp))
    prev = row
assert len(colours) > 50, "%d colours: a blank page?" % len(colours)
for name, rgb in (("CLOSE_WAIT", b"\xd6\x27\x28"), ("TIME_WAIT", b"\xff\x7f\x0e"),
                  ("ESTABLISHED", b"\x1f\x77\xb4")):
    assert rgb in colours, name + " line not drawn"
print("    PNG %dx%d, %d bytes, %d colours in the first chart" % (w, h, len(data), len(colours)))
PY
}

# Chromium's processes, crashpad's included (it starts its own session), are
# found by a tag in their environment: this run's, no one else's.
chromium_pids() {
	local e p
	for e in /proc/[0-9]*/environ; do
		grep -qsxzF "TT_CHROMIUM_RUN=$TT_TMP" "$e" || continue
		p=${e#/proc/}
		echo "${p%/environ}"
	done
}
chromium_stop() {
	chromium_pids | xargs -r kill -KILL 2>/dev/null || true
}

render() {
	echo "--- headless Chromium renders it"
	png="$TT_TMP/daily.png"
	mkdir -p "$TT_TMP/home"
	trap 'chromium_stop; tt_cleanup' EXIT
	TT_CHROMIUM_RUN=$TT_TMP HOME="$TT_TMP/home" timeout -k 5 120 chromium --headless \
		--no-sandbox --disable-gpu --user-data-dir="$TT_TMP/chromium" --no-first-run \
		--disable-extensions --disable-background-networking --disable-sync \
		--hide-scrollbars --window-size=1200,1600 --screenshot="$png" "file://$html" \
		>"$TT_TMP/chromium.log" 2>&1 || fail "chromium exited $?: $(tail -5 "$TT_TMP/chromium.log")"
	chromium_stop
	wait_for 5 test -z "$(chromium_pids)" || fail "chromium processes outlived it: $(chromium_pids)"
	[ -s "$png" ] || fail "no screenshot: $(tail -5 "$TT_TMP/chromium.log")"
	png_check "$png" || fail "the screenshot is not the chart"
}
if command -v chromium >/dev/null && command -v python3 >/dev/null; then
	render
fi

echo "--- terminal manners: plain text when piped, with NO_COLOR, on TERM=dumb"
trend=(-c "$cfg" trend --from "$DAY 08:00" --to "$DAY 18:00" --state CLOSE_WAIT)
spark='▁|▂|▃|▄|▅|▆|▇|█'
out=$("$REPORT" "${trend[@]}") || fail "trend exited $?"
! echo "$out" | grep -qE "$spark" || fail "piped trend has sparklines: $out"
echo "$out" | grep -q "^state  *min  *avg  *max  *slope/h$" || fail "piped trend header: $out"
if command -v script >/dev/null; then
	tty_run() { script -qec "$(printf '%q ' "$@")" /dev/null </dev/null; }
	out=$(TERM=xterm tty_run "$REPORT" "${trend[@]}")
	echo "$out" | grep -qE "$spark" || fail "trend on a terminal has no sparkline: $out"
	for env in NO_COLOR=1 TERM=dumb; do
		out=$(env TERM=xterm "$env" bash -c "$(declare -f tty_run); tty_run \"\$@\"" _ \
			"$REPORT" "${trend[@]}")
		! echo "$out" | grep -qE "$spark" || fail "$env: trend has sparklines: $out"
		! echo "$out" | grep -q $'\033' || fail "$env: escape bytes in the output"
		echo "$out" | grep -q "CLOSE_WAIT" || fail "$env: trend output: $out"
	done
	out=$(NO_COLOR= TERM=xterm tty_run "$REPORT" "${trend[@]}")
	echo "$out" | grep -qE "$spark" || fail "an empty NO_COLOR must not count as set"
fi
for c in now daily check backtest at diff export; do
	! NO_COLOR=1 "$REPORT" -c "$cfg" $c --help | grep -q $'\033' || fail "$c: escape bytes"
done

echo "--- --version, --help for every command"
assert_eq "$("$REPORT" --version)" "tcptally-report 0.1.0" "tcptally-report --version"
case $("$COLLECTOR" --version) in
"tcptally-collector 0.1.0 (backends: sock_diag, bpf)") [ "${HAVE_BPF:-}" = 1 ] || fail "--version says bpf in a build without it" ;;
"tcptally-collector 0.1.0 (backends: sock_diag)") [ "${HAVE_BPF:-}" = 0 ] || fail "--version lacks bpf in a build with it" ;;
*) fail "tcptally-collector --version: $("$COLLECTOR" --version)" ;;
esac
"$REPORT" --help | grep -q "^Examples:" || fail "tcptally-report --help has no examples"
for c in now trend daily at diff check backtest export; do
	out=$("$REPORT" "$c" --help) || fail "$c --help exited $?"
	echo "$out" | grep -q "^usage: tcptally-report .*" || fail "$c --help: no usage line"
	echo "$out" | grep -q "Example" || fail "$c --help has no example: $out"
	echo "$out" | grep -q "tcptally-report $c" || fail "$c --help: no example of $c"
	assert_eq "$("$REPORT" help "$c")" "$out" "help $c"
done
rc=0
"$REPORT" help nosuch >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "help for an unknown command"
[ -z "$missing" ] || skip_or_fail "not installed:$missing (contrib/dev installs them)"
echo "OK: daily --format html, terminal manners"
