"""Build the candidate on the Spark engine: the same dbt project, then a snapshot and its pointer.

The steps mirror transform/build.py's DuckDB build:
- the Spark tables continue from the published state: emptied for a full refresh (asked for, or
  the config, code or engine changed: the fingerprint), restored from the published snapshot
  when the last candidate was not published, else used as they are;
- `dbt build --target spark` in this process, on the session transform/spark_engine.py starts
  with CarePulse's functions;
- the scratch schema (verbatim text) dropped;
- the tables snapshotted and `candidate.duckdb` written as the pointer to the snapshot
  (transform/spark_warehouse.py), which the gate validates and publish swaps in.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

from carepulse.config import LoadedConfig
from transform import spark_engine, spark_warehouse
from transform.build import (
    BuildResult,
    _target_args,
    candidate_path,
    clear_build_artifacts,
    dbt_args,
    discard_candidate,
    fingerprint,
    published_fingerprint,
    published_path,
    run_dbt,
    write_config_json,
)

log = logging.getLogger("transform.spark_build")


def start(spark, home: Path, loaded: LoadedConfig, *, full_refresh: bool) -> bool:
    """Bring the Spark tables to the published state; whether the build is a full refresh."""
    current = fingerprint(loaded)
    published = spark_warehouse.pointed_snapshot(published_path(home))
    if not full_refresh and published_fingerprint(home) != current:
        if published_path(home).exists():
            log.warning("the config, the transform code or the engine changed since the published "
                        "warehouse was built: rebuilding every landed night from the raw zone")
        full_refresh = True
    if full_refresh:
        spark_warehouse.drop_all(spark)
    elif spark_warehouse.read_state(home).get("snapshot") != published:
        spark_warehouse.restore(spark, home, published)
    spark_warehouse.drop_scratch(spark)
    spark.sql("create database if not exists main")
    spark.sql("drop table if exists main.carepulse_build")
    spark.createDataFrame([(current,)], "fingerprint string").write.format("parquet") \
        .saveAsTable("main.carepulse_build")
    spark_warehouse.prune(home, keep={s for s in (published,) if s})
    return full_refresh


def build_candidate(loaded: LoadedConfig, home: Path, *, night: date | None = None,
                    select: str | None = None, full_refresh: bool = False) -> BuildResult:
    write_config_json(loaded, home)
    clear_build_artifacts(home)
    discard_candidate(home)
    started = time.perf_counter()
    spark = spark_engine.configured_session(home, loaded.config.warehouse.spark)
    full_refresh = start(spark, home, loaded, full_refresh=full_refresh)
    ready = time.perf_counter()
    args = dbt_args("build", night=night, select=select, full_refresh=full_refresh,
                    raw_root=loaded.config.warehouse.raw_root)
    try:
        result = run_dbt([*args, "--target", "spark", *_target_args(home)], home)
    finally:
        spark_warehouse.drop_scratch(spark)
    snapshot_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{result.invocation_id[:8]}"
    built = time.perf_counter()
    root = spark_warehouse.snapshot(spark, home, snapshot_id)
    spark_warehouse.write_pointer(root, candidate_path(home))
    # where a Spark night's time goes besides the dbt nodes (bench/transform.py reports them)
    result.timings["session.carepulse.start"] = ready - started
    result.timings["snapshot.carepulse.snapshot"] = time.perf_counter() - built
    result.candidate = candidate_path(home)
    result.seconds = time.perf_counter() - started
    log.info("Spark candidate built in %.1fs (%d nodes), snapshot %s", result.seconds,
             len(result.nodes), snapshot_id)
    return result
