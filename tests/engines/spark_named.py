"""Runs every named analysis of a recaudit warehouse in Spark 4 (PyPI's pyspark, Java 17) on a
local cluster of two worker processes, and compares its rows with recaudit's own engine. Not
part of the test suite (Spark is ~400 MB and a minute to start); run by hand, its result is in
the README ("A province"):

    python3 tests/engines/spark_named.py RECAUDIT_BINARY WAREHOUSE CONTEXT_DIR [MASTER]

MASTER defaults to local-cluster[2,1,1024] (two executors of one core and 1 GiB). Spark reads
the warehouse as it is: a shared warehouse's table folders with their Hive partitions
(node=, shard=), which it discovers by itself; `files` is joined with `file_sessions` as for
DuckDB. Each analysis is the SQL `recaudit query --name N --sql-for spark` prints."""

import sys
import tempfile

from pyspark.sql import SparkSession

from common import compare, tables


def main():
    # The tables written out are removed with their folder when the comparison ends.
    with tempfile.TemporaryDirectory(prefix="recaudit-spark-") as scratch:
        return check(scratch)


def check(scratch):
    binary, wh, context = sys.argv[1:4]
    master = sys.argv[4] if len(sys.argv) > 4 else "local-cluster[2,1,1024]"
    spark = (SparkSession.builder.master(master).appName("recaudit-named-analyses")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.parquet.mergeSchema", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    shared, found = tables(binary, wh, context, scratch)
    for t, how, where, part in found:
        df = spark.read.parquet(where)
        if how == "hive":
            df = df.drop(part)
        name = "files_published" if (shared and t == "files") else t
        df.createOrReplaceTempView(name)
    if shared:
        cols = [c for c in spark.table("files_published").columns if c != "session_id"]
        spark.sql(
            "SELECT " + ", ".join(f"f.`{c}`" for c in cols)
            + ", coalesce(f.session_id, s.session_id) AS session_id "
            "FROM files_published f LEFT JOIN file_sessions s ON f.path = s.path"
        ).createOrReplaceTempView("files")
    executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
    print(f"spark {spark.version} master {master}: {executors} executors")

    def run(sql):
        return [r.asDict() for r in spark.sql(sql.rstrip().rstrip(";")).collect()]

    ok = compare(binary, wh, context, "spark", run)
    spark.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
