#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET…]: builds the libFuzzer targets (build-san/, clang, sanitizers;
# see fuzz/README.md) when needed and runs each TARGET (default: all) for SECONDS, starting from
# fuzz/corpus/TARGET and growing build-san/fuzz-corpus/TARGET. Prints "fuzz TARGET: ok" or
# "fuzz TARGET: FAILED" per target and exits non-zero when any failed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(record_reader error_response query_printer)

build_sanitized || exit 1
status=0
for target in "${targets[@]}"; do
	binary=$SAN_BUILD_DIR/fuzz_$target
	corpus=$SAN_BUILD_DIR/fuzz-corpus/$target
	mkdir -p "$corpus"
	log "fuzz $target for ${seconds}s"
	# -rss_limit_mb: a page the size of Kintone's largest fits; -max_len: pages of a few pages'
	# worth of records. Findings go to build-san/fuzz-TARGET-crash-*.
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$binary" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$SAN_BUILD_DIR/fuzz-$target-" "$corpus" "$REPO_ROOT/fuzz/corpus/$target" >"$SAN_BUILD_DIR/fuzz-$target.log" 2>&1; then
		grep -E '^stat::number_of_executed_units' "$SAN_BUILD_DIR/fuzz-$target.log" | sed "s/^/  $target /" >&2
		echo "fuzz $target: ok"
	else
		tail -n 40 "$SAN_BUILD_DIR/fuzz-$target.log" >&2
		echo "fuzz $target: FAILED"
		status=1
	fi
done
exit $status
