#!/usr/bin/env bash
# `make test`: installs what is missing, builds, installs the extension, starts a throwaway
# PostgreSQL cluster and the Kintone emulator, runs every suite, stops what it started, and
# prints a summary ending with "N passed, N failed". Exits non-zero on any failure.
#
# Suites: unit (the GoogleTest binary), unit-san (the same under AddressSanitizer and
# UBSan, built with clang in build-san/), fuzz (the libFuzzer targets of fuzz/ for FUZZ_SECONDS
# each, default 20), emulator (python unittest), official clients (node --test), pg_regress
# (sql/ + expected/), sql_clients (ODBC through isql, Python psycopg2: test/sql_clients/run.sh,
# on pg_regress's cluster and emulator), a check that no backend was killed by a signal, and a
# check that no secret the tests used appears in the server log.
#
# One part only (see README, Tests): SUITE="unit unit-san fuzz emulator clients pg_regress
# sql_clients" (any of them), UNIT_FILTER=TEXT (the unit tests whose name contains TEXT),
# REGRESS_TESTS="scan join" (pg_regress files; implies SUITE=pg_regress), e.g.
# `make test REGRESS_TESTS=join`.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK=$(mktemp -d /tmp/kintone_fdw_test.XXXXXX)
TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

cleanup() {
	stop_auth_servers
	stop_emulator
	stop_postgres "$WORK"
	if [ "${KEEP_TEST_DIR:-}" = "" ]; then
		rm -rf "$WORK"
	else
		log "kept $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# record NAME PASSED FAILED
record() {
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("$(printf '%-18s %5d passed, %d failed' "$1" "$2" "$3")")
}

# run_suite NAME PARSER COMMAND...: runs the command with output teed to a log, then asks the
# parser for "PASSED FAILED". A suite whose counts cannot be read counts as one failure;
# a non-zero exit with no failure counted also counts as one.
run_suite() {
	local name=$1 parser=$2 logfile="$WORK/$1.log" status counts passed failed
	shift 2
	log "suite: $name"
	"$@" 2>&1 | tee "$logfile"
	status=${PIPESTATUS[0]}
	counts=$("$parser" "$logfile")
	if [ -z "$counts" ]; then
		record "$name" 0 1
		return
	fi
	read -r passed failed <<<"$counts"
	if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	record "$name" "$passed" "$failed"
}

parse_gtest() {
	# "[  PASSED  ] 160 tests." and, when some failed, "[  FAILED  ] 3 tests, listed below:"
	local passed failed
	passed=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?\..*/\1/p' "$1" | tail -n 1)
	failed=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) tests?, listed below.*/\1/p' "$1" | tail -n 1)
	[ -n "$passed" ] && echo "$passed ${failed:-0}"
}

parse_fuzz() {
	# "fuzz TARGET: ok" / "fuzz TARGET: FAILED"
	local ok failed
	ok=$(grep -c '^fuzz .*: ok$' "$1")
	failed=$(grep -c '^fuzz .*: FAILED$' "$1")
	[ $((ok + failed)) -gt 0 ] && echo "$ok $failed"
}

parse_unittest() {
	# "Ran 42 tests in 1.2s" then "OK" / "OK (skipped=1)" / "FAILED (failures=1, errors=2, skipped=3)"
	local ran failures errors skipped
	ran=$(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$1" | tail -n 1)
	[ -n "$ran" ] || return 0
	failures=$(grep -E '^(OK|FAILED)' "$1" | tail -n 1 | sed -nE 's/.*failures=([0-9]+).*/\1/p')
	errors=$(grep -E '^(OK|FAILED)' "$1" | tail -n 1 | sed -nE 's/.*errors=([0-9]+).*/\1/p')
	skipped=$(grep -E '^(OK|FAILED)' "$1" | tail -n 1 | sed -nE 's/.*skipped=([0-9]+).*/\1/p')
	failures=${failures:-0} errors=${errors:-0} skipped=${skipped:-0}
	echo "$((ran - failures - errors - skipped)) $((failures + errors))"
}

parse_tap() {
	# node --test --test-reporter=tap ends with "# pass N" and "# fail N"
	local pass fail
	pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$1" | tail -n 1)
	fail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$1" | tail -n 1)
	[ -n "$pass" ] && [ -n "$fail" ] && echo "$pass $fail"
}

parse_regress() {
	# "All 2 tests passed." or " 1 of 2 tests failed."
	local line
	line=$(grep -E 'All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed' "$1" | tail -n 1)
	case "$line" in
	*"All "*) echo "$line" | sed -nE 's/.*All ([0-9]+) tests passed.*/\1 0/p' ;;
	*" of "*) echo "$line" | sed -nE 's/.* ([0-9]+) of ([0-9]+) tests failed.*/\2 \1/p' | awk '{print $1 - $2, $2}' ;;
	esac
}

run_pg_regress() {
	local status
	if [ -n "${REGRESS_TESTS:-}" ]; then
		KINTONE_EMULATOR_URL=$EMULATOR_URL make -C "$REPO_ROOT" -s installcheck PG_CONFIG="$PG_CONFIG" REGRESS="$REGRESS_TESTS"
	else
		KINTONE_EMULATOR_URL=$EMULATOR_URL make -C "$REPO_ROOT" -s installcheck PG_CONFIG="$PG_CONFIG"
	fi
	status=$?
	if [ $status -ne 0 ] && [ -f "$REPO_ROOT/regression.diffs" ]; then
		cat "$REPO_ROOT/regression.diffs"
	fi
	return $status
}

# wanted NAME: whether the suite NAME was asked for (SUITE, a space- or comma-separated list;
# empty = every suite). REGRESS_TESTS alone implies SUITE=pg_regress.
SUITE=${SUITE:-}
if [ -z "$SUITE" ] && [ -n "${REGRESS_TESTS:-}" ]; then
	SUITE=pg_regress
fi
wanted() {
	[ -z "$SUITE" ] && return 0
	case " ${SUITE//,/ } " in *" $1 "*) return 0 ;; esac
	return 1
}

ensure_dependencies
if wanted unit && ! build_unit_tests; then
	record build 0 1
elif { wanted unit-san || wanted fuzz; } && ! build_sanitized; then
	record build 0 1
elif ! build_extension || ! install_private "$WORK"; then
	record build 0 1
else
	record build 1 0
	if wanted unit; then
		run_suite unit parse_gtest run_unit_tests "$REPO_ROOT/build/kintone_unit_tests"
	fi
	if wanted unit-san; then
		# Leaks too; abort on the first report so that it counts as a failure.
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_suite unit-san parse_gtest run_unit_tests "$SAN_BUILD_DIR/kintone_unit_tests"
	fi
	if wanted fuzz; then
		run_suite fuzz parse_fuzz bash "$REPO_ROOT/fuzz/run.sh" "${FUZZ_SECONDS:-20}"
	fi
	if wanted emulator; then
		run_suite emulator parse_unittest bash -c "cd '$REPO_ROOT/test/emulator' && python3 -m unittest discover -s tests -t . -v"
	fi
	if wanted clients; then
		run_suite official-clients parse_tap bash "$REPO_ROOT/test/clients/run.sh"
	fi
	if ! wanted pg_regress && ! wanted sql_clients; then
		:
	elif python3 "$REPO_ROOT/test/emulator/make-regress-seed.py" "$WORK/regress-seed.json" &&
		start_emulator "$WORK" "$WORK/regress-seed.json" && start_postgres "$WORK" &&
		start_auth_servers "$WORK" "$WORK/regress-seed.json"; then
		log "emulator at $EMULATOR_URL, PostgreSQL on socket $PGHOST port $PGPORT"
		log "auth servers: TLS $KINTONE_EMULATOR_TLS_URL, mTLS $KINTONE_EMULATOR_MTLS_URL, wrong host $KINTONE_EMULATOR_WRONGHOST_URL, proxy $KINTONE_TEST_PROXY_URL"
		if wanted pg_regress; then
			run_suite pg_regress parse_regress run_pg_regress
		fi
		# Other clients (ODBC through isql, Python psycopg2) on the same cluster and emulator.
		if wanted sql_clients; then
			run_suite sql-clients parse_tap bash "$REPO_ROOT/test/sql_clients/run.sh"
		fi
		if server_log_shows_crash "$WORK/server.log"; then
			grep -E 'terminated by signal|terminated by exception' "$WORK/server.log" >&2
			record server-log 0 1
		else
			record server-log 1 0
		fi
		# Issue 4: no secret the tests used may appear in the server log (extra secrets of the
		# regress files, if any, one per line in test/extra-secrets.txt).
		if check_secret_leaks "$WORK/server.log" "$WORK/regress-seed.json" "$REPO_ROOT/test/extra-secrets.txt"; then
			record secret-leaks 1 0
		else
			record secret-leaks 0 1
		fi
	else
		record pg_regress 0 1
	fi
fi

echo
echo "Summary"
for line in "${SUMMARY[@]}"; do
	echo "  $line"
done
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
