#!/usr/bin/env bash
# `meson install` (issue 7): every piece in its FHS place, under DESTDIR.
#  - this build, installed with its own prefix: each file where its options say;
#  - a fresh --prefix=/usr build of the same tree: usr/sbin/tcptally-collector,
#    usr/bin/tcptally-report, etc/tcptally/tcptally.yaml with the database in
#    /var/lib/tcptally (accepted by --check-config; an edited one survives a
#    reinstall, the new example beside it as .new), the three man pages
#    (lint-clean under mandoc and groff), the bash completion (which completes),
#    the systemd units (systemd-analyze verify: clean; security: the collector's
#    exposure at most 2.0).
# The binaries must look for the config where it is installed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REPORT:?REPORT must point at tcptally-report}"

src=$(cd "$here/../.." && pwd)
build=$(cd "$(dirname "$COLLECTOR")" && pwd)
for tool in meson ninja python3 mandoc groff systemd-analyze; do
	command -v "$tool" >/dev/null || skip_or_fail "$tool not installed"
done
[ -r /usr/share/bash-completion/bash_completion ] || skip_or_fail "bash-completion not installed"

# meson install, its output shown only when it fails
install_into() {	# builddir destdir
	meson install -C "$1" --no-rebuild --destdir "$2" >"$TT_TMP/install.log" 2>&1 ||
		{ cat "$TT_TMP/install.log" >&2; fail "meson install -C $1 exited $?"; }
}

assert_file() {
	[ -f "$1" ] && [ -s "$1" ] || fail "not installed: ${1#"$TT_TMP"/}"
}

db_of() {
	sed -n 's/^database: *\([^ #]*\).*/\1/p' "$1"
}

# Without -c, does the installed collector find the installed config? Seen in a
# private mount namespace with the DESTDIR's sysconfdir over the real one.
finds_config() {	# destdir sysconfdir collector
	local out want="$2/tcptally/tcptally.yaml"
	if [ -d "$2" ] && unshare -m --propagation private true 2>/dev/null; then
		out=$(unshare -m --propagation private sh -c \
			'mount --bind "$1$2" "$2" && exec env -u TCPTALLY_CONFIG "$3" --check-config' \
			sh "$1" "$2" "$3") || fail "$3 --check-config, with no -c, exited $?: $out"
		[ "${out%%: ok*}" = "$want" ] || fail "$3 does not find $want by default: $out"
	else
		strings -a "$3" | grep -x "$want" >/dev/null || fail "$3 does not look for $want"
	fi
}

echo "--- this build ($build), installed with its own options"
eval "$(meson introspect --buildoptions "$build" | python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin) if x["section"] == "directory"}
p = o["prefix"]
for k in ("bindir", "sbindir", "sysconfdir", "localstatedir", "mandir", "datadir"):
	print("%s=%s" % (k, os.path.join(p, o[k])))
print("prefix=" + p)')"
A="$TT_TMP/a"
install_into "$build" "$A"
assert_file "$A$sbindir/tcptally-collector"
assert_file "$A$bindir/tcptally-report"
[ -x "$A$sbindir/tcptally-collector" ] && [ -x "$A$bindir/tcptally-report" ] ||
	fail "installed binaries are not executable"
assert_file "$A$sysconfdir/tcptally/tcptally.yaml"
assert_eq "$(db_of "$A$sysconfdir/tcptally/tcptally.yaml")" "$localstatedir/lib/tcptally/tcptally.db" \
	"database of the installed config (prefix $prefix)"
finds_config "$A" "$sysconfdir" "$A$sbindir/tcptally-collector"
for m in man1/tcptally-report.1 man5/tcptally.yaml.5 man8/tcptally-collector.8; do
	assert_file "$A$mandir/$m"
done
for c in tcptally-report tcptally-collector; do
	assert_file "$A$datadir/bash-completion/completions/$c"
done
for u in tcptally-collector.service tcptally-daily.service tcptally-daily.timer; do
	assert_file "$A$prefix/lib/systemd/system/$u"
done
grep -qx "ExecStart=$sbindir/tcptally-collector -c $sysconfdir/tcptally/tcptally.yaml" \
	"$A$prefix/lib/systemd/system/tcptally-collector.service" ||
	fail "the collector unit does not run $sbindir/tcptally-collector on $sysconfdir's config"
echo "    ok: $(cd "$A" && find . -type f -o -type l | wc -l) files under $prefix"

echo "--- a --prefix=/usr build of $src"
B="$TT_TMP/b" R="$TT_TMP/root"
meson setup --prefix=/usr -Dtests=false "$B" "$src" >"$TT_TMP/setup.log" 2>&1 ||
	{ cat "$TT_TMP/setup.log" >&2; fail "meson setup --prefix=/usr exited $?"; }
ninja -C "$B" >"$TT_TMP/ninja.log" 2>&1 || { cat "$TT_TMP/ninja.log" >&2; fail "ninja exited $?"; }
install_into "$B" "$R"
(cd "$R" && find . -mindepth 1 | sort | sed 's/^/    /')
want=(
	usr/sbin/tcptally-collector
	usr/bin/tcptally-report
	etc/tcptally/tcptally.yaml
	usr/share/man/man1/tcptally-report.1
	usr/share/man/man5/tcptally.yaml.5
	usr/share/man/man8/tcptally-collector.8
	usr/share/bash-completion/completions/tcptally-report
	usr/share/bash-completion/completions/tcptally-collector
	usr/lib/systemd/system/tcptally-collector.service
	usr/lib/systemd/system/tcptally-daily.service
	usr/lib/systemd/system/tcptally-daily.timer
	usr/lib/sysusers.d/tcptally.conf
)
for f in "${want[@]}"; do
	assert_file "$R/$f"
done

echo "--- the installed config: the example, with the database in /var/lib/tcptally"
conf="$R/etc/tcptally/tcptally.yaml"
assert_eq "$(db_of "$conf")" /var/lib/tcptally/tcptally.db "database of the installed config"
assert_eq "$(stat -c %a "$conf")" 644 "mode of the installed config"
changed=$(diff "$src/config/tcptally.yaml" "$conf" | grep -c '^[<>]' || true)
assert_eq "$changed" 2 "lines changed from config/tcptally.yaml (the database line, old and new)"
out=$("$R/usr/sbin/tcptally-collector" -c "$conf" --check-config) ||
	fail "--check-config rejects the installed config: $out"
echo "    $out"
finds_config "$R" /etc "$R/usr/sbin/tcptally-collector"
echo "    without -c, the installed collectors find their installed configs"
echo "# edited" >>"$conf"
install_into "$B" "$R"
assert_eq "$(tail -n 1 "$conf")" "# edited" "an edited config after a reinstall"
assert_eq "$(db_of "$conf.new")" /var/lib/tcptally/tcptally.db "the example next to an edited config"
rm "$conf.new"
sed -i '$d' "$conf"
echo "    a reinstall keeps an edited config, and puts the example next to it as tcptally.yaml.new"

echo "--- man pages: mandoc -T lint -W warning, groff -ww: silent"
for m in "$R"/usr/share/man/man?/*; do
	out=$(mandoc -T lint -W warning "$m" 2>&1) || fail "mandoc lint of ${m##*/} exited $?: $out"
	[ -z "$out" ] || fail "mandoc lint of ${m##*/}: $out"
	out=$(groff -ww -mandoc -z "$m" 2>&1) || fail "groff of ${m##*/} exited $?: $out"
	[ -z "$out" ] || fail "groff -ww of ${m##*/}: $out"
	out=$(mandoc -T ascii "$m" | sed 's/.\x08//g')
	grep -q "^NAME" <<<"$out" || fail "${m##*/} does not render"
	echo "    ${m##*/}: clean"
done

echo "--- bash completion"
comp() {	# words...: the completions of the last word
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1/usr/share/bash-completion/completions/$2"
		shift
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
		complete -p "$1" >/dev/null || exit 1
		f=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' comp "$R" "$@"
}
for c in tcptally-report tcptally-collector; do
	bash -n "$R/usr/share/bash-completion/completions/$c" || fail "$c completion: syntax"
done
assert_eq "$(comp tcptally-report t)" "trend " "completion of a command"
assert_eq "$(comp tcptally-report trend --state CLOS)" "CLOSE CLOSE_WAIT CLOSING " \
	"completion of a state"
assert_eq "$(comp tcptally-report --format '')" "csv json table " "completion of --format"
assert_eq "$(comp tcptally-report export --format o)" "openmetrics " "completion of --format for export"
assert_eq "$(comp tcptally-report -c "$conf" now --group '')" "all web " "completion of a group"
assert_eq "$(comp tcptally-collector --che)" "--check-config " "completion of a collector option"
echo "    commands, states, formats, groups, options: ok"

echo "--- systemd units: verify, and the exposure of the services"
V="$TT_TMP/units"
mkdir "$V"
# verify checks that ExecStart= can run: point it at the DESTDIR binaries.
for u in "$R"/usr/lib/systemd/system/*; do
	sed -e "s|/usr/sbin/tcptally-collector|$R/usr/sbin/tcptally-collector|g" \
		-e "s|/usr/bin/tcptally-report|$R/usr/bin/tcptally-report|g" "$u" >"$V/${u##*/}"
done
man_opt=(--man=no)
command -v man >/dev/null && man_opt=(--man=yes)	# Documentation= against the installed pages
out=$(cd "$V" && MANPATH="$R/usr/share/man" systemd-analyze verify "${man_opt[@]}" \
	./tcptally-collector.service ./tcptally-daily.service ./tcptally-daily.timer 2>&1) ||
	fail "systemd-analyze verify exited $?: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
echo "    verify: clean"
grep -qx 'ExecStart=/usr/sbin/tcptally-collector -c /etc/tcptally/tcptally.yaml' \
	"$R/usr/lib/systemd/system/tcptally-collector.service" || fail "collector unit: ExecStart"
grep -q '/usr/bin/tcptally-report -c /etc/tcptally/tcptally.yaml daily' \
	"$R/usr/lib/systemd/system/tcptally-daily.service" || fail "daily unit: ExecStart"
for u in tcptally-collector.service tcptally-daily.service; do
	out=$(cd "$R/usr/lib/systemd/system" && systemd-analyze security --offline=yes "$u" 2>&1) ||
		fail "systemd-analyze security $u exited $?: $out"
	level=$(echo "$out" | sed -n "s/.*Overall exposure level for $u: \([0-9.]*\).*/\1/p")
	[ -n "$level" ] || fail "systemd-analyze security $u: no exposure level in: $out"
	awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' ||
		fail "$u: exposure $level, more than 2.0: $(echo "$out" | grep '✗')"
	echo "    $u: exposure $level"
done
echo "PASS"
