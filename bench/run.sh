#!/usr/bin/env bash
# The kintone_fdw read benchmark (issue 3, "Performance"). One run:
#   1. installs what is missing and builds/installs the extension (test/lib.sh), and the official
#      client's npm packages (test/clients, as its run.sh does) when they are missing;
#   2. writes a seed of one 20-column app with BENCH_RECORDS records (default 200,000) with
#      bench/make_seed.py, starts a separate emulator instance and loads it (POST /_emulator/seed);
#   3. starts a throwaway PostgreSQL cluster and declares the app as a foreign table;
#   4. measures, on the same app and the same pages (seek paging, 500 records a request):
#      - FDW full scan: COPY (SELECT * FROM bench) TO '/dev/null' (every column, output
#        functions run, rows discarded), timed by psql \timing, a fresh connection per run;
#      - @kintone/rest-api-client getAllRecords with the same field list (bench/client.cjs);
#      - curl downloading the same URLs (the FDW's query and field list, read from EXPLAIN
#        VERBOSE) in one process over one keep-alive connection;
#      each: one warm-up run (the emulator builds and caches each record's JSON for a field list
#      on its first read), then the best of 3;
#      - requests used (emulator stats, reset before each), backend peak memory (VmHWM) for
#        scans of 10,000 and 200,000 records, and diagnostics of where the FDW's time goes;
#   5. prints a table and a summary, and stops everything it started (by PID).
# Figures are printed, never asserted: the exit status is 0 whenever the benchmark ran.
#
# Usage: bash bench/run.sh     (BENCH_RECORDS=N to change the app size, KEEP_BENCH_DIR=1 to keep
#                               the scratch directory with the logs)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

BENCH=$REPO_ROOT/bench
N=${BENCH_RECORDS:-200000}
MEM_SMALL=10000
MEM_LARGE=200000
PAGE=500
RUNS=3
TOKEN=benchtoken
WORK=$(mktemp -d /tmp/kintone_fdw_bench.XXXXXX)

cleanup() {
	stop_emulator
	stop_postgres "$WORK"
	if [ "${KEEP_BENCH_DIR:-}" = "" ]; then
		rm -rf "$WORK"
	else
		log "kept $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$N" -ge "$MEM_LARGE" ] || MEM_LARGE=$N

# Wall clock in ms from bash itself (a python3 start-up can cost 100 ms behind a pyenv shim).
now_ms() {
	local us=${EPOCHREALTIME/./}
	printf '%d.%03d\n' $((us / 1000)) $((us % 1000))
}
# Arithmetic on decimals: calc 'EXPR' (python3 expression)
calc() { python3 -c "print($1)"; }
fmt_int() { python3 -c "print(f'{int(round($1)):,}')"; }

emu() { curl -sS --max-time 120 "$@"; }
stats_reset() { emu -X POST -o /dev/null "$EMULATOR_URL/_emulator/stats/reset"; }
stats_get() { emu "$EMULATOR_URL/_emulator/stats"; }
# stat_field FILE EXPR: a value out of a saved stats document, e.g. 'd["requests_total"]'
stat_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
records_requests() { stat_field "$1" 'sum(v for k, v in d["requests"].items() if k.endswith("/records.json"))'; }
other_requests() {
	stat_field "$1" '", ".join("%s %d" % (k, v) for k, v in sorted(d["requests"].items()) if not k.endswith("/records.json")) or "none"'
}

PSQL=(psql -X -v ON_ERROR_STOP=1 -d postgres)
# ms of the last "Time: X ms" line of psql \timing output
timing_ms() { sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -n 1; }
# CPU seconds (user+sys) of a process from /proc/PID/stat
proc_cpu() { python3 -c "import os,sys; f=open('/proc/%s/stat'%sys.argv[1]).read().rsplit(') ',1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK'))" "$1"; }

# ---------------------------------------------------------------------------------------------
ensure_dependencies
build_extension && install_private "$WORK" || die "build failed"
if [ ! -d "$REPO_ROOT/test/clients/node_modules/@kintone/rest-api-client" ]; then
	log "installing the official client (npm ci in test/clients)"
	(cd "$REPO_ROOT/test/clients" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
fi

log "writing the seed: $N records"
t0=$(now_ms)
python3 "$BENCH/make_seed.py" "$N" "$WORK/seed.json" || die "seed generation failed"
SEED_GEN_S=$(calc "($(now_ms) - $t0) / 1000")
echo '{}' >"$WORK/empty.json"
start_emulator "$WORK" "$WORK/empty.json" || die "the emulator did not start"
log "emulator at $EMULATOR_URL (pid $EMULATOR_PID); loading the seed"
t0=$(now_ms)
code=$(curl -sS --max-time 1800 -o "$WORK/seed.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$WORK/seed.json" "$EMULATOR_URL/_emulator/seed")
[ "$code" = 200 ] || die "seeding failed: HTTP $code $(head -c 500 "$WORK/seed.out")"
SEED_LOAD_S=$(calc "($(now_ms) - $t0) / 1000")
rm -f "$WORK/seed.json"

start_postgres "$WORK" || die "PostgreSQL did not start"
log "PostgreSQL on socket $PGHOST port $PGPORT"
COLUMNS_SQL=$(python3 "$BENCH/make_seed.py" --columns)
"${PSQL[@]}" -q >/dev/null <<EOF || die "setup failed"
CREATE EXTENSION kintone_fdw;
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url '$EMULATOR_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (api_token '$TOKEN');
CREATE FOREIGN TABLE bench (
  $COLUMNS_SQL
) SERVER emu OPTIONS (app '1');
EOF

# The FDW's request, from EXPLAIN VERBOSE: the query of the first page and the field list.
"${PSQL[@]}" -At -c 'EXPLAIN VERBOSE SELECT * FROM bench' >"$WORK/explain.txt" || die "EXPLAIN failed"
FDW_QUERY=$(sed -nE 's/^ *Kintone query: (.*)$/\1/p' "$WORK/explain.txt")
FDW_FIELDS=$(sed -nE 's/^ *Kintone fields: (.*)$/\1/p' "$WORK/explain.txt")
FDW_PAGING=$(sed -nE 's/^ *Kintone paging: (.*)$/\1/p' "$WORK/explain.txt")
[ -n "$FDW_QUERY" ] && [ -n "$FDW_FIELDS" ] || die "no Kintone query/fields in EXPLAIN VERBOSE: $(cat "$WORK/explain.txt")"
FIELDS_JSON=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split(", "), ensure_ascii=False))' "$FDW_FIELDS")
log "FDW query: $FDW_QUERY; fields: $FDW_FIELDS; paging: $FDW_PAGING"

# ---------------------------------------------------------------------------------------------
# timed_sql TAG SQL: runs SQL in a fresh connection with psql \timing; saves the output to
# $WORK/TAG.log and the emulator's stats (reset first) to $WORK/TAG.json; prints "WALL_MS CPU_MS"
# (the statement's time, and the backend's user+system CPU time during it, from /proc).
timed_sql() {
	local tag=$1 sql=$2 out wall ticks
	stats_reset
	out=$("${PSQL[@]}" 2>&1 <<EOF
SELECT (string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[12:13] AS cpu0 \gset
\timing on
$sql;
\timing off
SELECT ((string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[12]::int
      + (string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[13]::int
      - (:'cpu0'::int[])[1] - (:'cpu0'::int[])[2]) AS cpu_ticks \gset
\echo cpu_ticks :cpu_ticks
EOF
	) || die "$sql failed: $out"
	echo "$out" >"$WORK/$tag.log"
	stats_get >"$WORK/$tag.json"
	wall=$(timing_ms <<<"$out")
	ticks=$(sed -nE 's/^cpu_ticks ([0-9]+)$/\1/p' <<<"$out")
	echo "$wall $(calc "$ticks * 1000 / $(getconf CLK_TCK)")"
}

# best_of_sql TAG SQL: RUNS runs of timed_sql (a warm-up first unless NO_WARMUP=1); prints
# "BEST_WALL_MS CPU_MS_OF_THAT_RUN BEST_INDEX" and logs each run.
best_of_sql() {
	local tag=$1 sql=$2 i r best="" best_cpu="" best_i=""
	[ "${NO_WARMUP:-}" = 1 ] || timed_sql "${tag}_0" "$sql" >/dev/null || exit 1
	for i in $(seq 1 $RUNS); do
		r=$(timed_sql "${tag}_$i" "$sql") || exit 1
		log "$tag run $i: wall, CPU ms: $r"
		set -- $r
		if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $1 < $best else 1)"; then
			best=$1 best_cpu=$2 best_i=$i
		fi
	done
	echo "$best $best_cpu $best_i"
}
best_of() { python3 -c 'import sys; print(min(float(x) for x in sys.argv[1:]))' "$@"; }

log "FDW full scan: warm-up + $RUNS runs"
emu_cpu0=$(proc_cpu "$EMULATOR_PID")
timed_sql fdw_0 "COPY (SELECT * FROM bench) TO '/dev/null'" >"$WORK/fdw_warm.txt" || exit 1
FDW_WARM_MS=$(cut -d' ' -f1 "$WORK/fdw_warm.txt")
emu_cpu1=$(proc_cpu "$EMULATOR_PID")
r=$(NO_WARMUP=1 best_of_sql fdw "COPY (SELECT * FROM bench) TO '/dev/null'") || exit 1
emu_cpu2=$(proc_cpu "$EMULATOR_PID")
read -r FDW_BEST FDW_CPU_MS FDW_BEST_I <<<"$r"
for i in $(seq 0 $RUNS); do
	grep -q "^COPY $N\$" "$WORK/fdw_$i.log" || die "FDW scan $i did not return $N rows: $(cat "$WORK/fdw_$i.log")"
done
FDW_STATS=$WORK/fdw_$FDW_BEST_I.json

# ---------------------------------------------------------------------------------------------
log "@kintone/rest-api-client getAllRecords: warm-up + $RUNS runs"
node "$BENCH/client.cjs" "$EMULATOR_URL" 1 "$TOKEN" "$FIELDS_JSON" $((RUNS + 1)) >"$WORK/client.jsonl" ||
	die "the client benchmark failed"
CLIENT_BEST=$(python3 -c '
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][1:]
assert all(r["records"] == int(sys.argv[2]) for r in runs), runs
print(min(r["ms"] for r in runs))' "$WORK/client.jsonl" "$N") || die "client runs: $(cat "$WORK/client.jsonl")"
CLIENT_REQUESTS=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["requests"])' "$WORK/client.jsonl")
CLIENT_BYTES=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["bytes"])' "$WORK/client.jsonl")

# ---------------------------------------------------------------------------------------------
# curl: the same records.json requests as the FDW's scan (as many as it made), each page's
# "$id > 0" replaced by the last id of the previous page (ids are 1..N), the same fields.
FDW_PAGES=$(records_requests "$FDW_STATS")
python3 - "$EMULATOR_URL" "$FDW_QUERY" "$FIELDS_JSON" "$FDW_PAGES" "$PAGE" "$TOKEN" >"$WORK/curl.cfg" <<'EOF' || die "curl config"
import json, sys, urllib.parse
base, query, fields, pages, page, token = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
assert "$id > 0" in query, query
enc = lambda s: urllib.parse.quote(s, safe="-_.~")
fq = "".join("&%s=%s" % (enc("fields[%d]" % i), enc(f)) for i, f in enumerate(fields))
print('header = "X-Cybozu-API-Token: %s"' % token)
print('silent\nshow-error\nfail')
print('write-out = "%{http_code} %{size_download}\\n"')
for k in range(pages):
    q = query.replace("$id > 0", "$id > %d" % (k * page), 1)
    print('url = "%s/k/v1/records.json?app=1&query=%s%s"' % (base, enc(q), fq))
    print('output = "/dev/null"')
EOF
curl_run() {
	local i=$1 t0 t1
	stats_reset
	t0=$(now_ms)
	curl -K "$WORK/curl.cfg" >"$WORK/curl_$i.out" || die "curl failed"
	t1=$(now_ms)
	stats_get >"$WORK/curl_stats_$i.json"
	[ "$(grep -c '^200 ' "$WORK/curl_$i.out")" = "$FDW_PAGES" ] || die "curl: not every request answered 200"
	calc "$t1 - $t0"
}
log "curl download of the same $FDW_PAGES pages: warm-up + $RUNS runs"
curl_run 0 >/dev/null || exit 1
emu_cpu3=$(proc_cpu "$EMULATOR_PID")
CURL_MS=()
for i in $(seq 1 $RUNS); do
	v=$(curl_run "$i") || exit 1
	CURL_MS+=("$v")
	log "curl run $i: $v ms"
done
emu_cpu4=$(proc_cpu "$EMULATOR_PID")
CURL_BEST=$(best_of "${CURL_MS[@]}")
CURL_BYTES=$(stat_field "$WORK/curl_stats_1.json" 'd["bytes_out"]')
CURL_RECORDS=$(stat_field "$WORK/curl_stats_1.json" 'd["records_out"]')
[ "$CURL_RECORDS" = "$N" ] || die "curl received $CURL_RECORDS records, not $N"

# ---------------------------------------------------------------------------------------------
# Requests used. Each statement: once in a fresh connection (kintone_fdw reads the app's form
# once per connection when it needs field types), once in a connection that already did.
requests_of() {
	local name=$1 sql=$2
	stats_reset
	"${PSQL[@]}" -q -o /dev/null -c "$sql" || die "$sql failed"
	stats_get >"$WORK/req_${name}_fresh.json"
	"${PSQL[@]}" -q -o /dev/null <<EOF || die "$sql failed"
SELECT * FROM bench LIMIT 1;
\! curl -sS -X POST -o /dev/null $EMULATOR_URL/_emulator/stats/reset
$sql;
\! curl -sS -o $WORK/req_${name}_warm.json $EMULATOR_URL/_emulator/stats
EOF
}
log "requests used"
requests_of count "SELECT count(*) FROM bench WHERE qty >= 50"
requests_of limit "SELECT * FROM bench LIMIT 10"
"${PSQL[@]}" -At -c 'EXPLAIN VERBOSE SELECT count(*) FROM bench WHERE qty >= 50' >"$WORK/explain_count.txt"
"${PSQL[@]}" -At -c 'EXPLAIN VERBOSE SELECT * FROM bench LIMIT 10' >"$WORK/explain_limit.txt"

# ---------------------------------------------------------------------------------------------
# Backend peak memory: a fresh connection scans the first K records (WHERE id <= K, pushed
# down) and then reads its own VmHWM; the same for a connection that only ran SELECT 1.
vmhwm_after() {
	"${PSQL[@]}" -At <<EOF | tail -n 1
\o /dev/null
$1;
\o
SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s*(\d+) kB'))[1];
EOF
}
log "backend peak memory"
MEM_BASE=$(vmhwm_after "SELECT 1")
MEM_S=$(vmhwm_after "COPY (SELECT * FROM bench WHERE id <= $MEM_SMALL) TO '/dev/null'")
MEM_L=$(vmhwm_after "COPY (SELECT * FROM bench WHERE id <= $MEM_LARGE) TO '/dev/null'")

# ---------------------------------------------------------------------------------------------
# Diagnostics: where the FDW's time goes.
#  - scan without output functions: EXPLAIN (ANALYZE, TIMING OFF) SELECT * (fetch + parse +
#    conversion to Datums; no COPY output);
#  - output functions alone: the same rows from a local table, COPY to /dev/null;
#  - backend CPU during the best FDW run (from /proc), the emulator's CPU over all runs.
log "diagnostics"
"${PSQL[@]}" -q -c 'CREATE TABLE local_bench AS SELECT * FROM bench' >/dev/null || die "local copy failed"
r=$(NO_WARMUP=1 best_of_sql scan 'EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM bench') || exit 1
read -r SCAN_BEST SCAN_CPU_MS _ <<<"$r"
# The same fields with every scalar column declared text (tags/langs stay text[], owner jsonb):
# what the type input functions (numeric, date, time, timestamptz) cost.
TEXT_COLUMNS_SQL=$(sed -E '/"(tags|langs|owner)"/! s/ (bigint|numeric|date|time|timestamptz)( |,|$)/ text\2/' <<<"$COLUMNS_SQL")
"${PSQL[@]}" -q -c "CREATE FOREIGN TABLE bench_text ($TEXT_COLUMNS_SQL) SERVER emu OPTIONS (app '1')" >/dev/null ||
	die "bench_text"
r=$(NO_WARMUP=1 best_of_sql scantext 'EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM bench_text') || exit 1
read -r SCANTEXT_BEST SCANTEXT_CPU_MS _ <<<"$r"
r=$(NO_WARMUP=1 best_of_sql local "COPY (SELECT * FROM local_bench) TO '/dev/null'") || exit 1
read -r LOCAL_BEST LOCAL_CPU_MS _ <<<"$r"
EMU_CPU_FDW_MS=$(calc "($emu_cpu2 - $emu_cpu1) * 1000 / $RUNS")
EMU_CPU_FDW_WARM_MS=$(calc "($emu_cpu1 - $emu_cpu0) * 1000")
EMU_CPU_CURL_MS=$(calc "($emu_cpu4 - $emu_cpu3) * 1000 / $RUNS")

# ---------------------------------------------------------------------------------------------
FDW_RPS=$(calc "$N / ($FDW_BEST / 1000)")
CLIENT_RPS=$(calc "$N / ($CLIENT_BEST / 1000)")
CURL_RPS=$(calc "$N / ($CURL_BEST / 1000)")
RATIO_CLIENT=$(calc "round($FDW_RPS / $CLIENT_RPS, 2)")
RATIO_CURL=$(calc "round($FDW_BEST / $CURL_BEST, 2)")
MAX_SCAN_REQ=$(calc "-(-$N // $PAGE) + 1")
SCAN_REC_REQ=$(records_requests "$FDW_STATS")
SCAN_TOTAL_REQ=$(stat_field "$FDW_STATS" 'd["requests_total"]')
SCAN_OTHER=$(other_requests "$FDW_STATS")
FDW_BYTES=$(stat_field "$FDW_STATS" 'd["bytes_out"]')
MEM_RATIO=$(calc "round($MEM_L / $MEM_S, 3)")
verdict() { if python3 -c "import sys; sys.exit(0 if ($1) else 1)"; then echo "meets"; else echo "MISSES"; fi; }
V_CLIENT=$(verdict "$RATIO_CLIENT >= 3")
V_CURL=$(verdict "$RATIO_CURL <= 1.5")
V_SCAN_REQ=$(verdict "$SCAN_REC_REQ <= $MAX_SCAN_REQ")
V_SCAN_REQ_TOTAL=$(verdict "$SCAN_TOTAL_REQ <= $MAX_SCAN_REQ")
C_FRESH=$(stat_field "$WORK/req_count_fresh.json" 'd["requests_total"]')
C_WARM=$(stat_field "$WORK/req_count_warm.json" 'd["requests_total"]')
L_FRESH=$(stat_field "$WORK/req_limit_fresh.json" 'd["requests_total"]')
L_WARM=$(stat_field "$WORK/req_limit_warm.json" 'd["requests_total"]')
V_COUNT=$(verdict "$C_WARM <= 1")
V_COUNT_FRESH=$(verdict "$C_FRESH <= 1")
V_LIMIT=$(verdict "$L_WARM <= 1")
V_LIMIT_FRESH=$(verdict "$L_FRESH <= 1")
V_MEM=$(verdict "abs($MEM_L - $MEM_S) <= 0.2 * $MEM_S")

if python3 -c "import sys; sys.exit(0 if $FDW_BEST >= 0.9 * ($FDW_CPU_MS + $CURL_BEST) else 1)"; then
	OVERLAP="no overlap (the backend waits for each page, then converts it)"
else
	OVERLAP="fetching overlaps conversion"
fi
CPU_MODEL=$(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)
PG_VERSION=$("${PSQL[@]}" -At -c 'SHOW server_version')

cat <<EOF

kintone_fdw read benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')
machine: $(nproc) CPUs ($CPU_MODEL), $(free -g | awk '/^Mem:/{print $2}') GB; PostgreSQL $PG_VERSION; emulator and backend on loopback
app: 20 columns (\$id, CREATOR, CREATED_TIME + 17 form fields: text, link, number, CALC, date,
     datetime, time, drop-down, radio, check box, multi-select, multi-line text, user select),
     $(fmt_int "$N") records; seed written in ${SEED_GEN_S%.*} s, loaded in ${SEED_LOAD_S%.*} s ($(calc "round($SEED_LOAD_S * 1e6 / $N)") µs/record)
FDW request: $FDW_QUERY  [paging: $FDW_PAGING, $(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$FIELDS_JSON") fields]
each timing: one warm-up run (the emulator caches each record's JSON per field list on its first
read), then the best of $RUNS; the same $FDW_PAGES pages of 500 records ($(fmt_int "$CURL_BYTES") bytes) for all three

| measurement                                         | result                          | target            |      |
|-----------------------------------------------------|---------------------------------|-------------------|------|
| FDW full scan, COPY (SELECT *) TO '/dev/null'       | $(printf '%9s ms %12s rec/s' "$(fmt_int "$FDW_BEST")" "$(fmt_int "$FDW_RPS")") |                   |      |
| @kintone/rest-api-client getAllRecords              | $(printf '%9s ms %12s rec/s' "$(fmt_int "$CLIENT_BEST")" "$(fmt_int "$CLIENT_RPS")") |                   |      |
| curl, same pages, one keep-alive connection         | $(printf '%9s ms %12s rec/s' "$(fmt_int "$CURL_BEST")" "$(fmt_int "$CURL_RPS")") |                   |      |
| FDW speed / client speed                            | $(printf '%-31s' "${RATIO_CLIENT}×") | ≥ 3×              | $V_CLIENT |
| FDW time / curl time                                | $(printf '%-31s' "${RATIO_CURL}×") | ≤ 1.5×            | $V_CURL |
| requests, full scan: records.json                   | $(printf '%-31s' "$SCAN_REC_REQ") | $(printf '%-17s' "≤ $MAX_SCAN_REQ") | $V_SCAN_REQ |
| requests, full scan: all (fresh connection)         | $(printf '%-31s' "$SCAN_TOTAL_REQ (+ $SCAN_OTHER)") | $(printf '%-17s' "≤ $MAX_SCAN_REQ") | $V_SCAN_REQ_TOTAL |
| requests, count(*) WHERE qty >= 50                  | $(printf '%-31s' "$C_WARM (fresh connection: $C_FRESH)") | 1                 | $V_COUNT (fresh: $V_COUNT_FRESH) |
| requests, SELECT * LIMIT 10                         | $(printf '%-31s' "$L_WARM (fresh connection: $L_FRESH)") | 1                 | $V_LIMIT (fresh: $V_LIMIT_FRESH) |
| backend VmHWM after SELECT 1                        | $(printf '%-31s' "$(fmt_int "$MEM_BASE") kB") |                   |      |
| backend VmHWM, scan of $(printf '%-7s' "$(fmt_int "$MEM_SMALL")") records          | $(printf '%-31s' "$(fmt_int "$MEM_S") kB") |                   |      |
| backend VmHWM, scan of $(printf '%-7s' "$(fmt_int "$MEM_LARGE")") records          | $(printf '%-31s' "$(fmt_int "$MEM_L") kB (ratio $MEM_RATIO)") | within 20%        | $V_MEM |

where the FDW's time goes (diagnostics; wall = statement time, CPU = the backend's user+system time)
                                                           wall ms    backend CPU ms
  FDW COPY (SELECT *) TO '/dev/null', best run           $(printf '%9s %12s' "$(fmt_int "$FDW_BEST")" "$(fmt_int "$FDW_CPU_MS")")   ($(calc "round(100 * $FDW_CPU_MS / $FDW_BEST)")% busy, the rest waiting for responses)
  FDW scan, no output functions (EXPLAIN ANALYZE)        $(printf '%9s %12s' "$(fmt_int "$SCAN_BEST")" "$(fmt_int "$SCAN_CPU_MS")")   HTTP client + JSON parsing + Datums
  same, scalar columns declared text (no type input)     $(printf '%9s %12s' "$(fmt_int "$SCANTEXT_BEST")" "$(fmt_int "$SCANTEXT_CPU_MS")")   → numeric/date/time/timestamptz input ≈ $(fmt_int "$(calc "$SCAN_CPU_MS - $SCANTEXT_CPU_MS")") ms CPU
  output functions alone (same rows from a local table)  $(printf '%9s %12s' "$(fmt_int "$LOCAL_BEST")" "$(fmt_int "$LOCAL_CPU_MS")")   PostgreSQL's COPY text output, paid by any FDW
  curl download of the same pages                        $(printf '%9s %12s' "$(fmt_int "$CURL_BEST")" "-")   emulator CPU per run: $(fmt_int "$EMU_CPU_CURL_MS") ms (during FDW COPY runs: $(fmt_int "$EMU_CPU_FDW_MS") ms)
  FDW COPY, warm-up run                                  $(printf '%9s %12s' "$(fmt_int "$FDW_WARM_MS")" "-")   emulator CPU: $(fmt_int "$EMU_CPU_FDW_WARM_MS") ms (first read of this field list)
  backend CPU + curl time = $(fmt_int "$FDW_CPU_MS") + $(fmt_int "$CURL_BEST") = $(fmt_int "$(calc "$FDW_CPU_MS + $CURL_BEST")") ms vs $(fmt_int "$FDW_BEST") ms measured: $OVERLAP
  bytes sent by the emulator: FDW $(fmt_int "$FDW_BYTES") (incl. its form read), client $(fmt_int "$CLIENT_BYTES"), curl $(fmt_int "$CURL_BYTES"); client requests $CLIENT_REQUESTS

Summary
  FDW full scan:     $(fmt_int "$FDW_RPS") records/s ($(fmt_int "$N") records in $(calc "round($FDW_BEST / 1000, 2)") s)
  official client:   $(fmt_int "$CLIENT_RPS") records/s → FDW ${RATIO_CLIENT}× faster (target ≥ 3×: $V_CLIENT)
  curl download:     $(calc "round($CURL_BEST / 1000, 2)") s → FDW takes ${RATIO_CURL}× curl's time (target ≤ 1.5×: $V_CURL)
  requests:          full scan $SCAN_REC_REQ records.json + $((SCAN_TOTAL_REQ - SCAN_REC_REQ)) other (limit $MAX_SCAN_REQ), count(*) WHERE $C_WARM ($C_FRESH fresh), LIMIT 10 $L_WARM ($L_FRESH fresh)
  peak memory:       $(fmt_int "$MEM_S") kB for $(fmt_int "$MEM_SMALL") records, $(fmt_int "$MEM_L") kB for $(fmt_int "$MEM_LARGE") (ratio $MEM_RATIO: $V_MEM)
EOF
