#!/usr/bin/env bash
# The kintone_fdw write benchmark (issue 5, "Performance"): INSERT of BENCH_INSERT_RECORDS
# records (default 10,000) into an empty app of 20 mixed fields.
#   1. builds/installs the extension and the official client's npm packages when missing;
#   2. starts an emulator with the benchmark app (bench/make_seed.py, no records, a token that
#      may add and set creator/creation fields) and a throwaway PostgreSQL cluster;
#   3. fills a local table with the rows (deterministic values, some empty), and exports the
#      same rows as Kintone JSON for the official client;
#   4. measures, the app emptied (re-seeded) before each run, one warm-up then the best of 3:
#      - FDW: INSERT INTO the foreign table SELECT ... FROM the local table (psql \timing);
#      - @kintone/rest-api-client addAllRecords of the same records (bench/insert_client.cjs);
#      and the HTTP requests each made (emulator stats): the FDW may need at most
#      ceil(N / 2000);
#   5. prints the figures and stops everything it started (by PID).
# Figures are printed, never asserted, except that the FDW's request count and the number of
# records written are checked (exit status 1 otherwise).
#
# Usage: bash bench/insert.sh   (BENCH_INSERT_RECORDS=N; KEEP_BENCH_DIR=1 keeps the scratch dir)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

BENCH=$REPO_ROOT/bench
N=${BENCH_INSERT_RECORDS:-10000}
RUNS=3
TOKEN=benchtoken
WORK=$(mktemp -d /tmp/kintone_fdw_bench_insert.XXXXXX)

cleanup() {
	stop_emulator
	stop_postgres "$WORK"
	if [ "${KEEP_BENCH_DIR:-}" = "" ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

emu() { curl -sS --max-time 300 "$@"; }
reseed() {
	local code
	code=$(emu -o "$WORK/seed.out" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$WORK/seed.json" "$EMULATOR_URL/_emulator/seed")
	[ "$code" = 200 ] || die "seeding failed: HTTP $code $(head -c 300 "$WORK/seed.out")"
}
PSQL=(psql -X -v ON_ERROR_STOP=1 -d postgres)
timing_ms() { sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -n 1; }
# CPU ms (user+sys) of a process so far, from /proc/PID/stat
proc_cpu_ms() { python3 -c "import os,sys; f=open('/proc/%s/stat'%sys.argv[1]).read().rsplit(') ',1)[1].split(); print((int(f[11])+int(f[12]))*1000//os.sysconf('SC_CLK_TCK'))" "$1"; }

ensure_dependencies
build_extension && install_private "$WORK" || die "build failed"
if [ ! -d "$REPO_ROOT/test/clients/node_modules/@kintone/rest-api-client" ]; then
	log "installing the official client (npm ci in test/clients)"
	(cd "$REPO_ROOT/test/clients" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
fi

# The benchmark app without records; its token may add records and set creator/created.
python3 "$BENCH/make_seed.py" 0 "$WORK/seed0.json" || die "seed generation failed"
python3 - "$WORK/seed0.json" "$WORK/seed.json" <<'PY' || die "seed patch failed"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
for t in doc["apps"][0]["api_tokens"]:
    t.update(add=True, manage=True)
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
echo '{}' >"$WORK/empty.json"
start_emulator "$WORK" "$WORK/empty.json" || die "the emulator did not start"
reseed
start_postgres "$WORK" || die "PostgreSQL did not start"
COLUMNS_SQL=$(python3 "$BENCH/make_seed.py" --columns)
# The 20 columns written: every column of the benchmark table but $id and the CALC, plus the
# modifier and update time (CREATOR/MODIFIER/CREATED_TIME/UPDATED_TIME may be set on INSERT).
WRITE_COLS='title, code, email, qty, price, ratio, day, due, at, call, status, rank, tags, langs, memo, owner, creator, created, modifier, updated'
"${PSQL[@]}" -q >/dev/null <<SQL || die "setup failed"
CREATE EXTENSION kintone_fdw;
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url '$EMULATOR_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (api_token '$TOKEN');
CREATE FOREIGN TABLE bench (
  $COLUMNS_SQL,
  modifier text OPTIONS (field_code '更新者', field_type 'MODIFIER'),
  updated timestamptz OPTIONS (field_code '更新日時', field_type 'UPDATED_TIME')
) SERVER emu OPTIONS (app '1');
CREATE TABLE src AS
SELECT CASE WHEN r % 50 = 0 THEN NULL ELSE format('注文 %s — widget, size %s', r, r % 13) END AS title,
       format('C-%s', lpad(r::text, 7, '0')) AS code,
       CASE WHEN r % 50 = 0 THEN NULL ELSE format('user%s@example.com', r) END AS email,
       CASE WHEN r % 50 = 0 THEN NULL ELSE (r % 97)::numeric END AS qty,
       (100 + (r * 37) % 9900)::numeric AS price,
       CASE WHEN r % 50 = 0 THEN NULL ELSE (r % 10) + (r % 1000) / 1000.0 END AS ratio,
       date '2026-01-01' + (r % 365) AS day,
       date '2026-02-01' + (r % 300) AS due,
       timestamptz '2026-01-01 00:00+00' + r * interval '7 minutes' AS at,
       time '00:00' + (r % 1440) * interval '1 minute' AS call,
       (ARRAY['受付', '出荷済', 'キャンセル'])[1 + r % 3] AS status,
       (ARRAY['A', 'B', 'C'])[1 + r % 3] AS rank,
       (ARRAY['{VIP}', '{新規,要フォロー}', '{}', '{休眠}'])[1 + r % 4]::text[] AS tags,
       (ARRAY['{日本語}', '{日本語,English}', '{中文}'])[1 + r % 3]::text[] AS langs,
       format(E'line 1 of record %s\nline 2: "quoted", tab\there', r) AS memo,
       jsonb_build_array(jsonb_build_object('code', (ARRAY['sato', 'tanaka', 'suzuki', 'john'])[1 + r % 4])) AS owner,
       (ARRAY['sato', 'tanaka', 'suzuki', 'john'])[1 + r % 4] AS creator,
       timestamptz '2025-01-01 00:00+00' + r * interval '1 hour' AS created,
       (ARRAY['sato', 'tanaka', 'suzuki', 'john'])[1 + (r + 1) % 4] AS modifier,
       timestamptz '2025-06-01 00:00+00' + r * interval '1 hour' AS updated
FROM generate_series(1, $N) r;
SQL
# The same rows as Kintone JSON for the official client (as the FDW sends them: NULL -> empty).
"${PSQL[@]}" -At >"$WORK/records.json" <<'SQL' || die "export failed"
SELECT json_agg(json_build_object(
  'title', json_build_object('value', coalesce(title, '')), 'code', json_build_object('value', code),
  'email', json_build_object('value', coalesce(email, '')), 'qty', json_build_object('value', coalesce(qty::text, '')),
  'price', json_build_object('value', price::text), 'ratio', json_build_object('value', coalesce(ratio::text, '')),
  'day', json_build_object('value', day::text), 'due', json_build_object('value', due::text),
  'at', json_build_object('value', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"')),
  'call', json_build_object('value', to_char(call, 'HH24:MI')),
  'status', json_build_object('value', status), 'rank', json_build_object('value', rank),
  'tags', json_build_object('value', to_json(tags)), 'langs', json_build_object('value', to_json(langs)),
  'memo', json_build_object('value', memo), 'owner', json_build_object('value', owner),
  '作成者', json_build_object('value', json_build_object('code', creator)),
  '作成日時', json_build_object('value', to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"')),
  '更新者', json_build_object('value', json_build_object('code', modifier)),
  '更新日時', json_build_object('value', to_char(updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"'))))
FROM src;
SQL

# ---------------------------------------------------------------------------------------------
INSERT_SQL="INSERT INTO bench ($WRITE_COLS) SELECT $WRITE_COLS FROM src"
fdw_run() { # prints "MS REQUESTS RECORDS": the INSERT's time and requests, then the count
	local out ms req count
	reseed
	emu -X POST -o /dev/null "$EMULATOR_URL/_emulator/stats/reset"
	local emu0
	emu0=$(proc_cpu_ms "$EMULATOR_PID")
	out=$(printf '%s\n' "SELECT (string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[12:13] AS cpu0 \\gset" \
		'\timing on' "$INSERT_SQL;" '\timing off' \
		"SELECT (string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[12]::int + (string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[13]::int - (:'cpu0'::int[])[1] - (:'cpu0'::int[])[2] AS cpu_ticks \\gset" \
		'\echo cpu_ticks :cpu_ticks' | "${PSQL[@]}" 2>&1) || die "INSERT failed: $out"
	local emu_ms=$(($(proc_cpu_ms "$EMULATOR_PID") - emu0))
	log "emulator CPU: $emu_ms ms"
	local backend_ms=$(($(sed -nE 's/^cpu_ticks ([0-9]+)$/\1/p' <<<"$out") * 1000 / $(getconf CLK_TCK)))
	log "backend CPU: $backend_ms ms"
	ms=$(timing_ms <<<"$out")
	req=$(emu "$EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_total"])')
	count=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM bench')
	echo "$ms $req $count $backend_ms $emu_ms"
}
log "FDW INSERT ... SELECT of $N rows: warm-up + $RUNS runs"
fdw_run >/dev/null
FDW_BEST="" FDW_REQ=""
for i in $(seq 1 $RUNS); do
	read -r ms req count backend_ms emu_ms <<<"$(fdw_run)"
	log "FDW run $i: $ms ms, $req requests, $count records"
	[ "$count" = "$N" ] || die "the FDW wrote $count records, expected $N"
	if [ -z "$FDW_BEST" ] || python3 -c "import sys; sys.exit(0 if $ms < $FDW_BEST else 1)"; then
		FDW_BEST=$ms FDW_BACKEND=$backend_ms FDW_EMU=$emu_ms
	fi
	FDW_REQ=$req
done
MAX_REQ=$(((N + 1999) / 2000))

log "@kintone/rest-api-client addAllRecords of $N records: warm-up + $RUNS runs"
EMULATOR_PID=$EMULATOR_PID node "$BENCH/insert_client.cjs" "$EMULATOR_URL" 1 "$TOKEN" "$WORK/records.json" "$WORK/seed.json" $((RUNS + 1)) \
	>"$WORK/client.jsonl" || die "the client benchmark failed"
read -r CLIENT_BEST CLIENT_REQ CLIENT_EMU <<<"$(python3 -c '
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][1:]
assert all(r["records"] == int(sys.argv[2]) for r in runs), runs
best = min(runs, key=lambda r: r["ms"])
print(best["ms"], runs[-1]["requests"], int(best["emulatorMs"]))' "$WORK/client.jsonl" "$N")" ||
	die "client runs: $(cat "$WORK/client.jsonl")"

rate() { python3 -c "print(f'{$N / ($1 / 1000):,.0f}')"; }
echo
echo "INSERT of $N records (20 fields) into an empty app, best of $RUNS (emulator on loopback)"
printf '%-40s %10s %12s %10s %14s %16s\n' "" "ms" "records/s" "requests" "emulator CPU" "backend CPU"
printf '%-40s %10.0f %12s %10s %11s ms %13s ms\n' "FDW INSERT ... SELECT" "$FDW_BEST" "$(rate "$FDW_BEST")" "$FDW_REQ" \
	"$FDW_EMU" "$FDW_BACKEND"
printf '%-40s %10.0f %12s %10s %11s ms %16s\n' "@kintone/rest-api-client addAllRecords" "$CLIENT_BEST" \
	"$(rate "$CLIENT_BEST")" "$CLIENT_REQ" "$CLIENT_EMU" "-"
echo "FDW requests allowed: ceil($N / 2000) = $MAX_REQ"
[ "$FDW_REQ" -le "$MAX_REQ" ] || die "the FDW made $FDW_REQ requests, more than $MAX_REQ"
