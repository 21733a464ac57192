#!/usr/bin/env bash
# Build the libFuzzer targets with clang, ASan and UBSan into build-fuzz/,
# then fuzz each one, starting from its committed corpus.
#
# usage: tests/fuzz/run.sh [-jN] [--merge] [LIBFUZZER_FLAG...] [TARGET...]
#   TARGET          config, import, diag, time, dbread (default: all five)
#   -runs=N, -max_total_time=S, any other libFuzzer flag: passed on
#                   (default: -runs=20000, a short smoke)
#   -jN             run N targets at once (default 1)
#   --merge         afterwards, add the new inputs that reach new edges to
#                   tests/fuzz/corpus/TARGET (libFuzzer -merge=1)
# Environment: FUZZ_BUILD (default build-fuzz), CC (default clang),
#   FUZZ_SANITIZE (default address,undefined; "undefined" alone runs the
#   import target about 10 times faster, for the long runs: ASan's allocator
#   dominates there, SQLite allocating as it prepares the importer's statements).
#
# New inputs go to FUZZ_BUILD/corpus/TARGET, crashes to FUZZ_BUILD/artifacts/,
# each target's log to FUZZ_BUILD/fuzz-TARGET.log.  A crash, a leak, a UBSan
# report or a timeout fails the run; the log names the reproducer, which
# FUZZ_BUILD/tests/fuzz/fuzz_TARGET FILE replays.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
all_targets=(config import diag time dbread)
targets=() flags=() jobs=1 merge=0

for a in "$@"; do
	case $a in
	-j[0-9]*) jobs=${a#-j} ;;
	--merge) merge=1 ;;
	-*) flags+=("$a") ;;
	config|import|diag|time|dbread) targets+=("$a") ;;
	*) echo "run.sh: unknown target '$a' (targets: ${all_targets[*]})" >&2; exit 2 ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
case " ${flags[*]-} " in
*" -runs="*|*" -max_total_time="*) ;;
*) flags+=(-runs=20000) ;;
esac

if [ ! -f "$build/build.ninja" ]; then
	# fuzzer-no-link: coverage for libFuzzer inside the library as well;
	# no recovery: a UBSan report is a crash the fuzzer stops on.
	CC=${CC:-clang} meson setup "$build" "$root" -Dfuzz=true \
	    -Db_sanitize="${FUZZ_SANITIZE:-address,undefined}" -Db_lundef=false \
	    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only"
fi
ninja -C "$build" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fuzz_one() {
	local t=$1 work=$build/corpus/$1 rc=0 quiet=()

	# the reports' own messages about each mutated database: not the log's
	[ "$t" = dbread ] && quiet=(-close_fd_mask=2)
	mkdir -p "$work" "$build/artifacts"
	"$build/tests/fuzz/fuzz_$t" "${flags[@]}" "${quiet[@]}" -timeout=25 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
	    "$work" "$here/corpus/$t" >"$build/fuzz-$t.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzz_$t: FAILED (exit $rc); see $build/fuzz-$t.log" >&2
		grep -E 'ERROR|SUMMARY|Test unit written|check failed' "$build/fuzz-$t.log" | head -20 >&2
		return 1
	fi
	# Edges only (-use_counters=0): hit counts would add hundreds of files.
	if [ $merge -eq 1 ] && ! "$build/tests/fuzz/fuzz_$t" -merge=1 -use_counters=0 \
	    -timeout=25 "$here/corpus/$t" "$work" >"$build/merge-$t.log" 2>&1; then
		echo "fuzz_$t: merge FAILED; see $build/merge-$t.log" >&2
		return 1
	fi
	local log=$build/fuzz-$t.log
	printf 'fuzz_%s: ok: %s runs, %s exec/s; %s\n' "$t" \
	    "$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")" \
	    "$(awk '/^stat::average_exec_per_sec/ {print $2}' "$log")" \
	    "$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)"
}

# Each target's result in a file: wait -n may collect a job's status early.
for t in "${targets[@]}"; do
	rm -f "$build/fuzz-$t.rc"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	( rc=0; fuzz_one "$t" || rc=$?; echo $rc >"$build/fuzz-$t.rc" ) &
done
wait
fail=0
for t in "${targets[@]}"; do
	[ "$(cat "$build/fuzz-$t.rc" 2>/dev/null)" = 0 ] || fail=1
done
exit $fail
