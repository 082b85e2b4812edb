"""Runs every named analysis of a recaudit warehouse in DuckDB and compares its rows with
recaudit's own engine. Used by tests/province.rs; also usable by hand:

    python3 tests/engines/duckdb_named.py RECAUDIT_BINARY WAREHOUSE CONTEXT_DIR

The warehouse's tables are read as DuckDB reads them by itself: a shared warehouse's Hive
partitions with hive_partitioning and union_by_name (files joined with file_sessions, as the
README shows), a single-server warehouse's table folders. Tables with no files yet and the
context tables (CSV, typed by recaudit) are written out by `recaudit query --format parquet`.
Each analysis is the SQL `recaudit query --name N --sql-for duckdb` prints. Prints one line
per analysis and exits 1 on any difference."""

import sys
import tempfile

import duckdb

from common import compare, tables


def main():
    # The tables written out are removed with their folder when the comparison ends.
    with tempfile.TemporaryDirectory(prefix="recaudit-duckdb-") as scratch:
        return check(*sys.argv[1:4], scratch)


def check(binary, wh, context, scratch):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    shared, found = tables(binary, wh, context, scratch)
    for t, how, where, part in found:
        if how == "hive":
            src = (f"SELECT * EXCLUDE ({part}) FROM read_parquet('{where}/*/*.parquet', "
                   "hive_partitioning = true, union_by_name = true)")
        elif how == "folder":
            src = f"SELECT * FROM read_parquet('{where}/*.parquet', union_by_name = true)"
        else:
            src = f"SELECT * FROM read_parquet('{where}')"
        name = "files_published" if (shared and t == "files") else t
        con.execute(f'CREATE VIEW "{name}" AS {src}')
    if shared:
        con.execute(
            "CREATE VIEW files AS SELECT f.* REPLACE (coalesce(f.session_id, s.session_id) AS session_id) "
            "FROM files_published f LEFT JOIN file_sessions s USING (path)")

    def run(sql):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    return 0 if compare(binary, wh, context, "duckdb", run) else 1


if __name__ == "__main__":
    sys.exit(main())
