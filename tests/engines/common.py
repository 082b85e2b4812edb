"""What the engine checks share: the named analyses with their parameters, running recaudit,
turning values into comparable text, and finding each table's files. Used by
duckdb_named.py (in the tests) and spark_named.py (run by hand; its result is in the README)."""

import datetime
import json
import math
import os
import subprocess
import sys

# Each named analysis, with parameters where its defaults select nothing on the test trees.
NAMED = [
    ("case_completeness", []), ("case_review", []), ("credit_feed", []), ("decision", []),
    ("equipment_ratio", []), ("evaluation", []), ("hazard_devices", []),
    ("period_summary", []), ("public_opinion", []), ("retention", ["as_of=2028-06-01"]),
    ("supervision", []),
]

NODE_TABLES = ("files", "streams", "custody_events", "keyframes", "osd_fonts", "runs")


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


def tables(binary, wh, context, scratch):
    """Each table recaudit's engine has, as (name, how, where): ("hive", folder, partition
    column) for a shared warehouse's partitioned folder, ("folder", folder, None) for a
    single-server table folder, ("file", parquet file, None) for a table with no files yet and
    each context table, written out typed by recaudit."""
    shared = os.path.isdir(os.path.join(wh, "_current"))
    listed = json.loads(recaudit(
        binary, "query", wh, "--context", context, "--format", "json",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
    out = []
    for row in listed:
        t = row["table_name"]
        folder = os.path.join(wh, t)
        if os.path.isdir(folder) and os.listdir(folder):
            if shared:
                out.append((t, "hive", folder, "node" if t in NODE_TABLES else "shard"))
            else:
                out.append((t, "folder", folder, None))
        else:
            path = os.path.join(scratch, f"{t}.parquet")
            recaudit(binary, "query", wh, "--context", context, "--format", "parquet",
                     "--out", path, f"SELECT * FROM {t}")
            out.append((t, "file", path, None))
    return shared, out


def compare(binary, wh, context, engine, run):
    """Runs every named analysis through `run(sql) -> list of dicts` and recaudit; prints a
    line each; returns whether all agree."""
    ok = True
    for q, params in NAMED:
        given = [x for p in params for x in ("--param", p)]
        sql = recaudit(binary, "query", wh, "--context", context, "--name", q, *given,
                       "--sql-for", engine)
        ours = json.loads(recaudit(binary, "query", wh, "--context", context, "--name", q,
                                   *given, "--format", "json") or "[]")
        try:
            theirs = run(sql)
        except Exception as e:  # the engine refused the SQL: say which analysis and why
            ok = False
            print(f"{q}: FAILED in {engine}: {str(e).splitlines()[0][:300]}")
            continue
        # recaudit's JSON leaves out null values.
        a = sorted(json.dumps({k: norm(v) for k, v in r.items() if v is not None}, sort_keys=True)
                   for r in ours)
        b = sorted(json.dumps({k: norm(v) for k, v in r.items() if v is not None}, sort_keys=True)
                   for r in theirs)
        if a != b:
            ok = False
            print(f"{q}: DIFFERENT ({len(a)} rows in recaudit, {len(b)} in {engine})")
            for x, y in zip(a, b):
                if x != y:
                    print(f"  recaudit: {x}\n  {engine}:   {y}")
                    break
        else:
            print(f"{q}: same {len(a)} rows")
    return ok
