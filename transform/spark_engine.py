"""The Spark engine (warehouse.engine: spark): one SparkSession in this process, CarePulse's
functions registered on it, then dbt-spark's `session` method builds on that same session.

dbt-spark's session method calls SparkSession.builder.getOrCreate(), so it reuses the session
made here: the Python functions registered below (privacy, sentiment, language, aspects,
screening) are callable from the SQL models. They are session-temporary, which is why the
models that call them are tables, never views.

Locally (tests, the demo, one machine) the session runs Spark in local mode with a Derby
metastore and parquet tables under `<home>/warehouse/spark`: one process at a time, like the
DuckDB file (the home lock already guarantees it). On a cluster only the dbt profile changes
(a Spark Thrift Server or a Databricks SQL warehouse, docs/spark.md) and the raw zone's root
becomes an object-store URI the cluster reads.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from carepulse import paths

log = logging.getLogger("transform.spark_engine")

# The scratch schema of a build (the raw pages parsed once, verbatim text): dropped after it.
SCRATCH_SCHEMA = "parse"


def spark_dir(home: Path | None = None) -> Path:
    return paths.warehouse_dir(home) / "spark"


def session(home: Path, *, master: str | None = None, driver_memory: str | None = None,
            shuffle_partitions: int | None = None, conf: dict[str, str] | None = None):
    """The process's SparkSession for `home` (created once; later calls return it)."""
    from pyspark.sql import SparkSession

    root = spark_dir(home).resolve()
    active = SparkSession.getActiveSession()
    if active is not None:
        if active.conf.get("spark.sql.warehouse.dir").removeprefix("file:") == str(root / "tables"):
            return active
        active.stop()  # another home's session (tests): one metastore per home
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)  # the scratch schema holds verbatim text, like the raw zone
    # Python workers (pandas UDFs) run this interpreter, whose environment has CarePulse
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    master = master or os.environ.get("CAREPULSE_SPARK_MASTER", "local[2]")
    memory = driver_memory or os.environ.get("CAREPULSE_SPARK_DRIVER_MEMORY", "4g")
    builder = (
        SparkSession.builder.master(master).appName("carepulse")
        .config("spark.driver.memory", memory)
        .config("spark.sql.warehouse.dir", str(root / "tables"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
        .config("spark.sql.session.timeZone", "UTC")
        # insert_overwrite replaces only the partitions (nights) a build wrote
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 8))
        # plain INT64 microsecond timestamps: what DuckDB reads the published snapshot with
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # the Derby metastore cannot filter partitions by some predicates (it fails the query);
        # Spark then lists the table's partitions and prunes them itself
        .config("spark.sql.hive.metastorePartitionPruningFallbackOnException", "true")
        .enableHiveSupport()
    )
    for key, value in (conf or {}).items():  # the config's warehouse.spark.conf, last: it wins
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    register_functions(spark)
    log.info("Spark %s session on %s (warehouse %s)", spark.version, master, root)
    return spark


def configured_session(home: Path, settings):
    """The session as the config's warehouse.spark settings (carepulse.config.SparkSettings) say."""
    return session(home, master=settings.master, driver_memory=settings.driver_memory,
                   shuffle_partitions=settings.shuffle_partitions, conf=settings.conf)


def register_functions(spark) -> None:
    """CarePulse's functions on the session, the same ones transform/duckdb_plugin.py gives
    DuckDB (transform/spark_functions.py holds them)."""
    from transform import spark_functions

    spark_functions.register(spark)


def stop() -> None:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def main(argv: list[str]) -> int:
    """`python -m transform.spark_engine <dbt args>`: dbt on the Spark engine with CarePulse's
    functions registered (plain `dbt ... --target spark` cannot see them), for $CAREPULSE_HOME."""
    from dbt.cli.main import dbtRunner

    home = paths.home().resolve()
    os.environ["CAREPULSE_HOME"] = str(home)
    session(home)
    project = Path(__file__).resolve().parent.parent / "dbt_project"
    target = spark_dir(home) / "dbt_target"
    res = dbtRunner().invoke([*argv, "--project-dir", str(project), "--profiles-dir", str(project),
                              "--target", "spark", "--target-path", str(target),
                              "--log-path", str(target / "logs")])
    return 0 if res.success else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
