"""Runs every named analysis of a recaudit warehouse in DuckDB and compares its rows with
recaudit's own engine. Used by tests/province.rs; also usable by hand:

    python3 tests/engines/duckdb_named.py RECAUDIT_BINARY WAREHOUSE CONTEXT_DIR

The warehouse's tables are read as DuckDB reads them by itself: a shared warehouse's Hive
partitions with hive_partitioning and union_by_name (files joined with file_sessions, as the
README shows), a single-server warehouse's table folders. Tables with no files yet and the
context tables (CSV, typed by recaudit) are written out by `recaudit query --format parquet`.
Each analysis is the SQL `recaudit query --name N --sql-for duckdb` prints. Prints one line
per analysis and exits 1 on the first difference."""

import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

import duckdb

# Each named analysis, with parameters where its defaults select nothing on the test trees.
NAMED = [
    ("case_completeness", []), ("case_review", []), ("credit_feed", []), ("decision", []),
    ("equipment_ratio", []), ("evaluation", []), ("hazard_devices", []),
    ("period_summary", []), ("public_opinion", []), ("retention", ["as_of=2028-06-01"]),
    ("supervision", []),
]


def recaudit(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"recaudit {' '.join(args)}: {out.stderr}")
    return out.stdout


def norm(v):
    """One value as comparable text: times in UTC to the microsecond, floats to 9 digits."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat(timespec="microseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.9g}"
    if isinstance(v, int):
        return f"{float(v):.9g}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(str(norm(x)) for x in v) + "]"
    if isinstance(v, str):
        # recaudit's JSON renders times as RFC 3339 text.
        for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                return datetime.datetime.strptime(v, fmt).isoformat(timespec="microseconds")
            except ValueError:
                pass
        if len(v) > 2 and v[0] == "[" and v[-1] == "]":
            try:
                return norm(json.loads(v))
            except ValueError:
                pass
        try:
            return f"{float(v):.9g}" if v.strip() and v.strip()[0] in "-0123456789" else v
        except ValueError:
            return v
    return str(v)


def main():
    binary, wh, context = sys.argv[1:4]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    shared = os.path.isdir(os.path.join(wh, "_current"))
    listed = json.loads(recaudit(
        binary, "query", wh, "--context", context, "--format", "json",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
    tmp = tempfile.mkdtemp(prefix="recaudit-duckdb-")
    for row in listed:
        t = row["table_name"]
        folder = os.path.join(wh, t)
        if shared and os.path.isdir(folder) and os.listdir(folder):
            part = "node" if t in ("files", "streams", "custody_events", "keyframes",
                                   "osd_fonts", "runs") else "shard"
            src = (f"SELECT * EXCLUDE ({part}) FROM read_parquet('{folder}/*/*.parquet', "
                   "hive_partitioning = true, union_by_name = true)")
        elif not shared and os.path.isdir(folder) and os.listdir(folder):
            src = f"SELECT * FROM read_parquet('{folder}/*.parquet', union_by_name = true)"
        else:
            out = os.path.join(tmp, f"{t}.parquet")
            recaudit(binary, "query", wh, "--context", context, "--format", "parquet",
                     "--out", out, f"SELECT * FROM {t}")
            src = f"SELECT * FROM read_parquet('{out}')"
        name = "files_published" if (shared and t == "files") else t
        con.execute(f'CREATE VIEW "{name}" AS {src}')
    if shared:
        con.execute(
            "CREATE VIEW files AS SELECT f.* REPLACE (coalesce(f.session_id, s.session_id) AS session_id) "
            "FROM files_published f LEFT JOIN file_sessions s USING (path)")
    failed = False
    for q, params in NAMED:
        given = [x for p in params for x in ("--param", p)]
        sql = recaudit(binary, "query", wh, "--context", context, "--name", q, *given,
                       "--sql-for", "duckdb")
        ours = json.loads(recaudit(binary, "query", wh, "--context", context, "--name", q,
                                   *given, "--format", "json") or "[]")
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        theirs = [dict(zip(cols, r)) for r in cur.fetchall()]
        # recaudit's JSON leaves out null values.
        a = sorted(json.dumps({k: norm(v) for k, v in r.items() if v is not None}, sort_keys=True)
                   for r in ours)
        b = sorted(json.dumps({k: norm(v) for k, v in r.items() if v is not None}, sort_keys=True)
                   for r in theirs)
        if a != b:
            failed = True
            print(f"{q}: DIFFERENT ({len(a)} rows in recaudit, {len(b)} in DuckDB)")
            for x, y in zip(a, b):
                if x != y:
                    print(f"  recaudit: {x}\n  duckdb:   {y}")
                    break
        else:
            print(f"{q}: same {len(a)} rows")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
