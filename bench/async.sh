#!/usr/bin/env bash
# Asynchronous execution benchmark (issue 9 item 3, README "Asynchronous execution"): UNION ALL
# of three equal apps against one of them, with every Kintone answer of the emulator delayed
# BENCH_LATENCY_MS (default 200 ms). One run:
#   1. builds/installs the extension (test/lib.sh), writes bench/make_seed.py's 20-column app
#      with BENCH_ASYNC_RECORDS records (default 5,000: 10 pages) three times (apps 1, 2, 3),
#      starts a separate emulator with that seed and a throwaway PostgreSQL cluster;
#   2. times, each as a warm-up and then the best of 3 in fresh connections:
#      - one app:          COPY (SELECT * FROM a1) TO '/dev/null'
#      - three, async:     COPY (SELECT * FROM a1 UNION ALL … a2 UNION ALL … a3) TO '/dev/null'
#      - three, sync:      the same with the server's async_capable 'false';
#      with the records.json requests and the emulator's max_concurrent of each;
#   3. prints the table; target: three async ≤ 1.3× one app. Figures are printed, never asserted.
# bench/latency.sh (issue 9 item 7) runs this script for its UNION ALL line.
#
# Usage: bash bench/async.sh   (BENCH_ASYNC_RECORDS=N, BENCH_LATENCY_MS=N, KEEP_BENCH_DIR=1)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

BENCH=$REPO_ROOT/bench
N=${BENCH_ASYNC_RECORDS:-5000}
LATENCY=${BENCH_LATENCY_MS:-200}
RUNS=3
WORK=$(mktemp -d /tmp/kintone_fdw_bench_async.XXXXXX)

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

emu() { curl -sS --max-time 120 "$@"; }
PSQL=(psql -X -v ON_ERROR_STOP=1 -d postgres)
timing_ms() { sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -n 1; }

ensure_dependencies
build_extension && install_private "$WORK" || die "build failed"

log "writing the seed: 3 apps of $N records"
python3 "$BENCH/make_seed.py" "$N" "$WORK/one.json" >/dev/null || die "seed generation failed"
python3 - "$WORK/one.json" "$WORK/seed.json" <<'PY' || die "seed generation failed"
import copy, json, sys
seed = json.load(open(sys.argv[1]))
app = seed["apps"][0]
apps = []
for i in (1, 2, 3):
    a = copy.deepcopy(app)
    a["id"], a["code"], a["name"] = i, "BENCH%d" % i, "bench %d" % i
    for t in a.get("api_tokens", []):
        t["token"] = "benchtoken%d" % i
    apps.append(a)
seed["apps"] = apps
json.dump(seed, open(sys.argv[2], "w"), ensure_ascii=False)
PY
rm -f "$WORK/one.json"
echo '{}' >"$WORK/empty.json"
start_emulator "$WORK" "$WORK/empty.json" || die "the emulator did not start"
code=$(curl -sS --max-time 1800 -o "$WORK/seed.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$WORK/seed.json" "$EMULATOR_URL/_emulator/seed")
[ "$code" = 200 ] || die "seeding failed: HTTP $code $(head -c 500 "$WORK/seed.out")"
rm -f "$WORK/seed.json"
emu -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "{\"latency_ms\": $LATENCY}" \
	"$EMULATOR_URL/_emulator/config" || die "could not set the latency"
start_postgres "$WORK" || die "PostgreSQL did not start"
COLUMNS_SQL=$(python3 "$BENCH/make_seed.py" --columns)
"${PSQL[@]}" -q >/dev/null <<EOF || die "setup failed"
CREATE EXTENSION kintone_fdw;
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url '$EMULATOR_URL');
CREATE SERVER emu_sync FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url '$EMULATOR_URL', async_capable 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (api_token 'benchtoken1,benchtoken2,benchtoken3');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_sync OPTIONS (api_token 'benchtoken1,benchtoken2,benchtoken3');
CREATE FOREIGN TABLE a1 ($COLUMNS_SQL) SERVER emu OPTIONS (app '1');
CREATE FOREIGN TABLE a2 ($COLUMNS_SQL) SERVER emu OPTIONS (app '2');
CREATE FOREIGN TABLE a3 ($COLUMNS_SQL) SERVER emu OPTIONS (app '3');
CREATE FOREIGN TABLE s1 ($COLUMNS_SQL) SERVER emu_sync OPTIONS (app '1');
CREATE FOREIGN TABLE s2 ($COLUMNS_SQL) SERVER emu_sync OPTIONS (app '2');
CREATE FOREIGN TABLE s3 ($COLUMNS_SQL) SERVER emu_sync OPTIONS (app '3');
EOF
"${PSQL[@]}" -c 'EXPLAIN (COSTS OFF) SELECT * FROM a1 UNION ALL SELECT * FROM a2 UNION ALL SELECT * FROM a3' \
	>"$WORK/explain.txt" || die "EXPLAIN failed"
grep -q "Async Foreign Scan" "$WORK/explain.txt" || die "no async plan: $(cat "$WORK/explain.txt")"

# timed TAG SQL ROWS: warm-up + RUNS runs in fresh connections; prints "BEST_MS REQUESTS MAX_CONCURRENT"
# (the requests and max_concurrent of the best run).
timed() {
	local tag=$1 sql=$2 rows=$3 i out ms best="" best_stats=""
	for i in $(seq 0 $RUNS); do
		emu -o /dev/null -X POST "$EMULATOR_URL/_emulator/stats/reset"
		out=$(printf '\\timing on\n%s;\n' "$sql" | "${PSQL[@]}" 2>&1) || die "$sql failed: $out"
		grep -q "^COPY $rows\$" <<<"$out" || die "$tag: not $rows rows: $out"
		ms=$(timing_ms <<<"$out")
		emu "$EMULATOR_URL/_emulator/stats" >"$WORK/$tag.$i.json"
		log "$tag run $i: $ms ms"
		[ "$i" = 0 ] && continue # warm-up
		if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $ms < $best else 1)"; then
			best=$ms best_stats=$WORK/$tag.$i.json
		fi
	done
	python3 -c 'import json, sys; d = json.load(open(sys.argv[2]))
print(sys.argv[1], sum(v for k, v in d["requests"].items() if k.endswith("/records.json")), d["max_concurrent"])' \
		"$best" "$best_stats"
}

read -r ONE_MS ONE_REQ ONE_MAX <<<"$(timed one "COPY (SELECT * FROM a1) TO '/dev/null'" "$N")" || exit 1
read -r ASYNC_MS ASYNC_REQ ASYNC_MAX <<<"$(timed async \
	"COPY (SELECT * FROM a1 UNION ALL SELECT * FROM a2 UNION ALL SELECT * FROM a3) TO '/dev/null'" $((3 * N)))" || exit 1
read -r SYNC_MS SYNC_REQ SYNC_MAX <<<"$(timed sync \
	"COPY (SELECT * FROM s1 UNION ALL SELECT * FROM s2 UNION ALL SELECT * FROM s3) TO '/dev/null'" $((3 * N)))" || exit 1
[ -n "$ONE_MS" ] && [ -n "$ASYNC_MS" ] && [ -n "$SYNC_MS" ] || die "a measurement failed"

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
cat <<EOF

kintone_fdw asynchronous Append: $N records per app, emulator latency $LATENCY ms per answer
(best of $RUNS after a warm-up; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))

| | time | vs one app | records.json requests | max_concurrent |
|---|---|---|---|---|
| one app | $ONE_MS ms | 1.00× | $ONE_REQ | $ONE_MAX |
| UNION ALL of three, async (default) | $ASYNC_MS ms | $(ratio "$ASYNC_MS" "$ONE_MS")× | $ASYNC_REQ | $ASYNC_MAX |
| UNION ALL of three, async_capable 'false' | $SYNC_MS ms | $(ratio "$SYNC_MS" "$ONE_MS")× | $SYNC_REQ | $SYNC_MAX |

target: UNION ALL of three ≤ 1.3× one app
EOF
