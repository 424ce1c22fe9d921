#!/usr/bin/env bash
# The suite "sql_clients" of `make test`: kintone_fdw reached from clients other than psql, on
# the cluster and emulator test/run-all.sh started for pg_regress (PGHOST, PGPORT, PGUSER,
# PG_BINDIR, EMULATOR_URL are set):
#   - ODBC: psqlODBC (Debian odbc-postgresql) through unixODBC's isql, with a DSN pointing at
#     the cluster's Unix socket, as README "Reaching it from other clients" shows;
#   - Python: psycopg2 (Debian python3-psycopg2), not in autocommit mode, as by default.
# Each check compares a client's output with expected/<check>.out. Prints TAP ("ok N - ...",
# "# pass N", "# fail N"); exits non-zero when a check fails.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/kintone_fdw_clients.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DB=kintone_clients
PASS=0
FAIL=0
N=0

# check NAME: compares $WORK/NAME.out with expected/NAME.out (SQL_CLIENTS_ACCEPT=1 first copies
# the output there, to record a new expectation).
check() {
	N=$((N + 1))
	if [ -n "${SQL_CLIENTS_ACCEPT:-}" ]; then
		cp "$WORK/$1.out" "$HERE/expected/$1.out"
	fi
	if diff -u "$HERE/expected/$1.out" "$WORK/$1.out" >"$WORK/$1.diff" 2>&1; then
		PASS=$((PASS + 1))
		echo "ok $N - $1"
	else
		FAIL=$((FAIL + 1))
		echo "not ok $N - $1"
		sed 's/^/#   /' "$WORK/$1.diff"
	fi
}

finish() {
	echo "1..$N"
	echo "# pass $PASS"
	echo "# fail $FAIL"
	[ "$FAIL" -eq 0 ]
	exit
}

# A database of its own: the extension, a server on the emulator, Kintone apps 1 and 2 imported
# into the schema kin, and a local table to join with. The emulator is reset to its seed first
# (pg_regress files may have changed records).
psql_setup() {
	PGOPTIONS="-c client_min_messages=warning" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}
curl -s -o /dev/null -X POST "$EMULATOR_URL/_emulator/reset"
N=1
if ! psql_setup -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" ||
	! psql_setup -d "$DB" -v url="$EMULATOR_URL" <<'SQL'; then
CREATE EXTENSION kintone_fdw;
CREATE SERVER kintone FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER kintone OPTIONS (username 'Administrator', password 'admin-pass');
CREATE SCHEMA kin;
IMPORT FOREIGN SCHEMA kintone FROM SERVER kintone INTO kin OPTIONS (apps '1, 2');
CREATE TABLE customer_scores (customer_id text PRIMARY KEY, score int);
INSERT INTO customer_scores VALUES ('C001', 90), ('C002', 75), ('C003', 60);
SQL
	FAIL=1
	echo "not ok 1 - setup"
	finish
fi
PASS=1
echo "ok 1 - setup"

# ODBC: the driver as the package registers it (/etc/odbcinst.ini, "PostgreSQL Unicode") and a
# DSN of our own (ODBCINI; a user writes it into ~/.odbc.ini), as README shows.
cat >"$WORK/odbc.ini" <<EOF2
[kintone]
Driver     = PostgreSQL Unicode
Servername = $PGHOST
Port       = $PGPORT
Database   = $DB
Username   = $PGUSER
EOF2
# isql SQL < FILE: one statement per line; -b batch mode, -d'|' and -c: '|'-separated rows
# with the column names first. UTF-8 both ways (Japanese field codes).
run_isql() {
	LC_ALL=C.UTF-8 ODBCINI=$WORK/odbc.ini isql -b -v -d'|' -c kintone
}
run_isql >"$WORK/odbc_scan.out" 2>&1 <<'SQL'
SELECT "$id", "受注番号", "顧客ID", "数量", "受注日" FROM kin.orders WHERE "数量" > 5 ORDER BY "$id" LIMIT 3
SELECT count(*) FROM kin.orders WHERE "受注日" >= '2026-03-01'
SQL
check odbc_scan
run_isql >"$WORK/odbc_join.out" 2>&1 <<'SQL'
SELECT o."顧客ID", s.score, count(*) AS orders, sum(o."金額") AS amount FROM kin.orders o JOIN customer_scores s ON s.customer_id = o."顧客ID" GROUP BY 1, 2 ORDER BY 1
SELECT c."会社名", o."受注番号" FROM kin."顧客管理" c JOIN kin.orders o ON o."顧客ID" = c."顧客ID" WHERE c."顧客ID" = 'C002' ORDER BY o."$id"
SQL
check odbc_join

# Python: psycopg2 over the same socket, a parameter and Japanese identifiers. Debian's
# python3-psycopg2 belongs to Debian's python3 (another python3 may come first in PATH).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
PYTHONIOENCODING=utf-8 "$PYTHON" - "$DB" >"$WORK/psycopg2.out" 2>&1 <<'PY'
import sys
import psycopg2

conn = psycopg2.connect(dbname=sys.argv[1])  # host, port, user: PGHOST, PGPORT, PGUSER
print("autocommit:", conn.autocommit)
with conn.cursor() as cur:
    cur.execute('SELECT "$id", "受注番号", "数量", "受注日" FROM kin.orders WHERE "顧客ID" = %s ORDER BY "$id"',
                ("C002",))
    print([d.name for d in cur.description])
    for row in cur.fetchall():
        print(row)
    cur.execute("SELECT o.\"顧客ID\", s.score FROM kin.orders o JOIN customer_scores s ON s.customer_id = o.\"顧客ID\" "
                "WHERE o.\"$id\" = %s", (25,))
    print(cur.fetchone())
conn.rollback()
conn.close()
PY
check psycopg2

finish
