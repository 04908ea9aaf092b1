"""What the worker-pool probe task runs: the project's worker pool used the way the nightly DAG's
tasks use it (VADER scoring, a pool of its own), plus what each worker process can see."""

from __future__ import annotations

import multiprocessing
import os
import sys

TEXTS = [f"{word} care at ward {i}" for i in range(300)
         for word in ("Wonderful", "Terrible", "Ordinary")][:600]


def probe() -> dict:
    from carepulse.workers import ProcessPool
    from transform.sentiment import score_texts

    pooled = score_texts(TEXTS, workers=2, pool_min_texts=2, chunk_size=50)
    if pooled != score_texts(TEXTS, workers=1):
        raise AssertionError("pooled scores differ from in-process scores")
    with ProcessPool(2) as pool:
        workers = pool.map(worker_view, range(4))
    main = sys.modules["__main__"]
    return {"main": getattr(main, "__file__", None), "daemon": multiprocessing.current_process().daemon,
            "pid": os.getpid(), "scored": len(pooled), "workers": workers}


def worker_view(_: int) -> dict:
    return {"pid": os.getpid(), "airflow_imported": any(m == "airflow" or m.startswith("airflow.")
                                                        for m in sys.modules)}
