"""Benchmark: how long the Airflow DAG folder takes to parse, per dbt rendering mode.

The DAG processor re-parses `dags/` every cycle, so parse cost is scheduler load. Prints
wall and CPU seconds of each of N parses after one warm-up (imports excluded), for Cosmos
rendering (one task per dbt node, from the manifest) and the single dbt task fallback.
Usage: python bench/dag_parse.py --repeat 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_costs(mode: str, repeat: int) -> tuple[list[float], list[float], int]:
    from airflow.dag_processing.dagbag import DagBag

    os.environ["CAREPULSE_DBT_TASKS"] = mode
    DagBag(dag_folder=str(ROOT / "dags"))  # warm-up: imports, not parsing
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        bag = DagBag(dag_folder=str(ROOT / "dags"))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    if bag.import_errors:
        raise SystemExit(f"dags/ failed to import: {bag.import_errors}")
    return walls, cpus, sum(len(d.tasks) for d in bag.dags.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"  # each parse logs a page otherwise
    from transform.cosmos_group import manifest_path, write_manifest

    if not manifest_path().exists():
        write_manifest()
    for mode in ("cosmos", "single"):
        walls, cpus, tasks = parse_costs(mode, args.repeat)
        print(f"{mode:7s} {tasks:3d} tasks  wall s: median {statistics.median(walls):.3f} "
              f"max {max(walls):.3f}  CPU s: median {statistics.median(cpus):.3f} "
              f"max {max(cpus):.3f}  ({args.repeat} parses)", flush=True)


if __name__ == "__main__":
    main()
