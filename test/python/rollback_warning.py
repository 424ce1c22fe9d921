"""The rollback warning as a Python client sees it (run by sql/write_transactions.sql).

psycopg2 opens a transaction for the first statement (it is not in autocommit mode by
default), so a write followed by conn.rollback() is the everyday way to roll back a write to
Kintone. The warning must arrive in conn.notices. Connects with the libpq environment of the
pg_regress run (PGHOST, PGPORT, PGUSER, PGDATABASE); prints what the expected output pins.
"""
import psycopg2


def main():
    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("SET lc_messages = 'C'")
    conn.commit()

    cur.execute("INSERT INTO t.writes (title) VALUES (%s), (%s)", ("python 1", "python 2"))
    print("rowcount:", cur.rowcount)
    conn.rollback()
    print("notices after rollback:")
    for notice in conn.notices:
        print("  " + notice.rstrip().replace("\n", "\n  "))
    del conn.notices[:]

    cur.execute("SELECT count(*) FROM t.writes WHERE title LIKE 'python %'")
    print("records still in Kintone:", cur.fetchone()[0])
    conn.rollback()
    print("notices after a read-only rollback:", len(conn.notices))

    cur.execute("INSERT INTO t.writes (title) VALUES (%s)", ("python 3",))
    try:
        cur.execute("SELECT 1 / 0")
    except psycopg2.Error as e:
        print("error:", e.pgcode, e.diag.message_primary)
    print("notices after the error:")
    for notice in conn.notices:
        print("  " + notice.rstrip().replace("\n", "\n  "))
    del conn.notices[:]
    conn.rollback()
    print("notices after rollback of the aborted transaction:", len(conn.notices))

    conn.autocommit = True
    cur.execute("DELETE FROM t.writes WHERE title LIKE 'python %'")
    print("deleted in autocommit:", cur.rowcount, "notices:", len(conn.notices))
    conn.close()


if __name__ == "__main__":
    main()
