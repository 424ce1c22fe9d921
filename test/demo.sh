#!/usr/bin/env bash
# `make demo`: installs what is missing, builds kintone_fdw (in build-demo/, -O1 without debug
# information: test/lib.sh build_demo_extension) and installs it, starts the Kintone
# emulator with the sample data and a scratch PostgreSQL with the extension, a server and a
# user mapping created, and prints how to connect. `make demo-stop` stops both by PID.
#
# Everything lives in $KINTONE_FDW_DEMO_DIR (default /tmp/kintone_fdw_demo).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO_DIR=${KINTONE_FDW_DEMO_DIR:-/tmp/kintone_fdw_demo}
SEED="$REPO_ROOT/test/emulator/sample-data.json"

demo_stop() {
	if [ -f "$DEMO_DIR/emulator.pid" ]; then
		kill "$(cat "$DEMO_DIR/emulator.pid")" 2>/dev/null
		rm -f "$DEMO_DIR/emulator.pid"
	fi
	if [ -d "$DEMO_DIR/data" ]; then
		PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/$PG_MAJOR/bin}
		stop_postgres "$DEMO_DIR"
	fi
	rm -rf "$DEMO_DIR"
}

demo_start() {
	ensure_dependencies
	build_demo_extension || die "build failed"
	demo_stop
	mkdir -p "$DEMO_DIR"
	install_private "$DEMO_DIR" || die "install failed"
	# The emulator runs in the background after this script ends: detach it from our stdio.
	start_emulator "$DEMO_DIR" "$SEED" || die "the emulator did not start"
	echo "$EMULATOR_PID" >"$DEMO_DIR/emulator.pid"
	disown "$EMULATOR_PID" 2>/dev/null
	start_postgres "$DEMO_DIR" || die "PostgreSQL did not start"

	# An administrator of the sample data signs in with username and password.
	local user password
	read -r user password < <(python3 -c '
import json, sys
seed = json.load(open(sys.argv[1]))
admin = next(u for u in seed["users"] if u.get("admin"))
print(admin["code"], admin["password"])' "$SEED")

	as_pg "$PG_BINDIR/createdb" -h "$PGHOST" -p "$PGPORT" -U postgres demo || die "createdb failed"
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d demo \
		-v url="$EMULATOR_URL" -v user="$user" -v password="$password" <<'SQL' || die "demo setup failed"
CREATE EXTENSION kintone_fdw;
CREATE SERVER kintone FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER kintone OPTIONS (username :'user', password :'password');
CREATE SCHEMA kintone;
SET client_min_messages = warning;
IMPORT FOREIGN SCHEMA kintone FROM SERVER kintone INTO kintone;
IMPORT FOREIGN SCHEMA kintone FROM SERVER kintone INTO kintone OPTIONS (guest_space_id '2');
RESET client_min_messages;
-- A local table to join with Kintone records.
CREATE TABLE customer_scores (customer_id text PRIMARY KEY, score int);
INSERT INTO customer_scores VALUES ('C001', 90), ('C002', 75), ('C003', 60), ('C008', 88), ('C015', 70);
-- Statistics for the new local table (autovacuum never analyzes 5 rows; unanalyzed, PostgreSQL
-- assumes some 1,270): the planner then sends its 5 keys to Kintone in one batched join.
ANALYZE customer_scores;
SQL
	"$PG_BINDIR/psql" -X -h "$PGHOST" -p "$PGPORT" -U postgres -d demo <<'SQL'
\echo '== Imported foreign tables (one per Kintone app)'
\dE kintone.*
\echo '== Orders of more than 5 units (the condition runs in Kintone)'
SELECT "受注番号", "顧客ID", "商品", "数量", "受注日" FROM kintone.orders WHERE "数量" > 5 ORDER BY "$id" LIMIT 5;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "受注番号" FROM kintone.orders WHERE "数量" > 5 ORDER BY "$id" LIMIT 5;
\echo '== count(*) answered by Kintone in one request'
SELECT count(*) FROM kintone.orders WHERE "受注日" >= '2026-03-01';
\echo '== A join of Kintone orders with a local table (its keys go to Kintone in one request)'
EXPLAIN (COSTS OFF) SELECT o."顧客ID", s.score FROM kintone.orders o JOIN customer_scores s ON s.customer_id = o."顧客ID";
SELECT o."顧客ID", s.score, count(*) AS orders, sum(o."金額") AS amount
  FROM kintone.orders o JOIN customer_scores s ON s.customer_id = o."顧客ID"
 GROUP BY 1, 2 ORDER BY amount DESC;
\echo '== Writing back: INSERT, UPDATE and DELETE go to Kintone (RETURNING shows server-filled values)'
INSERT INTO kintone.orders ("受注番号", "顧客ID", "数量", "単価", "受注日")
VALUES ('DEMO-1', 'C001', 3, 1200, '2026-11-22') RETURNING "$id", "受注番号", "金額";
UPDATE kintone.orders SET "数量" = 4 WHERE "受注番号" = 'DEMO-1' RETURNING "$revision", "数量", "金額";
DELETE FROM kintone.orders WHERE "受注番号" = 'DEMO-1';
\echo '== The app around the records: apps, fields and comments as tables (IMPORT FOREIGN SCHEMA kintone_meta)'
CREATE SCHEMA meta;
IMPORT FOREIGN SCHEMA kintone_meta FROM SERVER kintone INTO meta;
SELECT id, code, name, space_id FROM meta.apps ORDER BY id;
SELECT code, label, type, required, options FROM meta.fields WHERE app = 7 AND subtable IS NULL AND type NOT IN ('RECORD_NUMBER', 'CREATOR', 'MODIFIER', 'CREATED_TIME', 'UPDATED_TIME');
SELECT record_id, id, creator_code, replace(text, E'\n', ' ') AS text FROM meta.comments WHERE app = 7 AND record_id IN (2, 3) ORDER BY 1, 2;
\echo '== Process management: which action each expense report can take, then approve those waiting for me'
SELECT e."$id", e."ステータス", string_agg(a.name, ', ' ORDER BY a.index) AS actions
  FROM kintone.expense e JOIN meta.actions a ON a.app = 7 AND a.from_status = e."ステータス" GROUP BY 1, 2 ORDER BY 1;
SELECT id, status_before, action, status, assignees, moved
  FROM kintone_run_action('kintone.expense',
         ARRAY(SELECT "$id" FROM kintone.expense WHERE "ステータス" = '承認待ち' AND "作業者" @> '[{"code": "Administrator"}]'),
         '承認');
\echo '== Schema drift: what differs between a foreign table and its app (no rows: nothing)'
SELECT * FROM kintone_schema_drift('kintone.expense');
\echo '== Subtable rows as a table (orderlines_明細: one row per line of 受注明細), joined with a local table'
SELECT l."$id", o."伝票番号", l."$row_index", l."品目", l."数量", s.score
  FROM kintone."orderlines_明細" l JOIN kintone.orderlines o ON o."$id" = l."$id"
  JOIN customer_scores s ON s.customer_id = o."顧客ID"
 WHERE l."数量" >= 5 ORDER BY 1, 3;
\echo '== Upsert from a local table: the option upsert_key makes INSERT update the record holding each key'
CREATE TEMP TABLE order_notes (slip text, note text);
INSERT INTO order_notes VALUES ('Q-1001', 'upserted: existing slip'), ('DEMO-U1', 'upserted: new slip');
CREATE FOREIGN TABLE kintone.orderlines_by_slip ("伝票番号" text, "備考" text)
  SERVER kintone OPTIONS (app '6', upsert_key '伝票番号');
INSERT INTO kintone.orderlines_by_slip SELECT slip, note FROM order_notes;
SELECT "$id", "伝票番号", "備考" FROM kintone.orderlines WHERE "伝票番号" IN ('Q-1001', 'DEMO-U1') ORDER BY 1;
DELETE FROM kintone.orderlines WHERE "伝票番号" = 'DEMO-U1';
\echo '== Attachments: the content of each file as bytea (kintone_file_content), one row per file of a record'
SELECT o."伝票番号", f->>'name' AS file, (f->>'size')::int AS size,
       encode(substr(kintone_file_content('kintone', f->>'fileKey'), 1, 8), 'hex') AS first_bytes
  FROM kintone.orderlines o, jsonb_array_elements(o."添付") f ORDER BY o."$id", file LIMIT 5;
\echo '== ... and of subtable rows (the rows table; text files shown as text)'
SELECT o."伝票番号", l."品目" AS item, d->>'name' AS file,
       convert_from(kintone_file_content('kintone', d->>'fileKey'), 'UTF8') AS content
  FROM kintone."orderlines_明細" l JOIN kintone.orderlines o ON o."$id" = l."$id", jsonb_array_elements(l."仕様書") d
 WHERE d->>'contentType' LIKE 'text/%' OR d->>'contentType' = 'application/json' ORDER BY l."$id", l."$row_index" LIMIT 5;
SQL

	cat <<EOF

kintone_fdw demo is running.
  Kintone emulator:  $EMULATOR_URL   (sample apps: $SEED)
  PostgreSQL:        psql -h $PGHOST -p $PGPORT -U postgres demo
  Try:               curl -s -H "X-Cybozu-Authorization: \$(printf '%s:%s' $user $password | base64)" \\
                       '$EMULATOR_URL/k/v1/records.json?app=1&query=limit%202'
  Stop everything:   make demo-stop
EOF
}

case "${1:-start}" in
start) demo_start ;;
stop) demo_stop ;;
*) die "usage: $0 start|stop" ;;
esac
