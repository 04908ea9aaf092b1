"""The worker pool: behaviour, and survival in processes set up like real Airflow task processes.

A task process under the LocalExecutor has the `airflow` entry script as `__main__` and a
metadata-DB URL the supervisor replaced with a non-URL (`block_orm_access`); one under a Celery
worker also descends from a daemonic pool process. Each condition is recreated in a child
process, where the stock `ProcessPoolExecutor` must fail (so the setup is faithful) and the
project's pool must work. tests/deploy runs the same probe under the real executors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from carepulse.workers import ProcessPool, WorkerCrashed
from tests.conftest import ROOT

AIRFLOW_SCRIPT = Path(sys.executable).parent / "airflow"

# Runs in a child: become a task process of the given executor, then use a pool.
TASK_PROCESS = textwrap.dedent("""
    import json, multiprocessing, sys
    executor, pool = sys.argv[1], sys.argv[2]
    main = sys.modules["__main__"]
    main.__file__, main.__spec__ = {script!r}, None        # started by the `airflow` script
    import airflow.settings
    from airflow.sdk.execution_time.supervisor import block_orm_access
    block_orm_access()                                      # what the supervisor does to a task
    if executor == "celery":
        multiprocessing.current_process()._config["daemon"] = True   # a Celery pool child
    if pool == "stock":
        from concurrent.futures import ProcessPoolExecutor
        from tests.deploy.worker_probe import worker_view
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as p:
            print(json.dumps(list(p.map(worker_view, range(2)))))
    else:
        from tests.deploy.worker_probe import probe
        print(json.dumps(probe()))
""").format(script=str(AIRFLOW_SCRIPT))


def as_task_process(executor: str, pool: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path / "airflow"),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'airflow.db'}")
    return subprocess.run([sys.executable, "-c", TASK_PROCESS, executor, pool], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("executor", ["local", "celery"])
def test_stock_process_pool_dies_in_a_task_process(executor, tmp_path):
    """The conditions are real: the stock pool fails exactly as production nights did."""
    assert AIRFLOW_SCRIPT.exists()
    proc = as_task_process(executor, "stock", tmp_path)
    assert proc.returncode != 0
    expected = "BrokenProcessPool" if executor == "local" else "daemonic processes are not allowed"
    assert expected in proc.stderr, proc.stderr[-3000:]
    if executor == "local":
        assert "Could not parse SQLAlchemy URL" in proc.stderr


@pytest.mark.parametrize("executor", ["local", "celery"])
def test_project_pool_works_in_a_task_process(executor, tmp_path):
    proc = as_task_process(executor, "project", tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["main"] == str(AIRFLOW_SCRIPT)
    assert seen["daemon"] is (executor == "celery")
    assert seen["scored"] == 600
    assert len({w["pid"] for w in seen["workers"]} - {seen["pid"]}) == 2, "two worker processes did the work"
    assert not any(w["airflow_imported"] for w in seen["workers"])


# -- behaviour ------------------------------------------------------------------------------------


def square(x: int) -> int:
    return x * x


def add(x: int, y: int) -> int:
    return x + y


def fail_on(x: int) -> int:
    if x == 3:
        raise ValueError(f"item {x} is bad")
    return x


def die_on(x: int) -> int:
    if x == 2:
        os._exit(7)
    return x


def noisy(x: int) -> int:
    print("a print from the work must not reach the parent's channel", x)
    sys.stdout.flush()
    return x


def pid(_: int) -> int:
    time.sleep(0.05)
    return os.getpid()


_STATE: dict = {}


def remember(value: str) -> None:
    _STATE["value"] = value


def recall(_: int) -> str:
    return _STATE["value"]


def test_results_come_back_in_input_order():
    with ProcessPool(2) as pool:
        assert pool.map(square, range(50)) == [x * x for x in range(50)]
        assert pool.map(add, [1, 2], [10, 20]) == [11, 22]
        assert pool.map(square, []) == []


def test_workers_start_once_and_serve_every_map():
    with ProcessPool(2) as pool:
        first = set(pool.map(pid, range(8)))
        second = set(pool.map(pid, range(8)))
    assert len(first) == 2 and first == second and os.getpid() not in first


def test_the_initializer_runs_in_every_worker():
    with ProcessPool(2, initializer=remember, initargs=("lexicon-v1",)) as pool:
        assert pool.map(recall, range(6)) == ["lexicon-v1"] * 6


def test_an_error_in_the_work_reaches_the_caller_with_the_workers_traceback():
    with pytest.raises(ValueError, match="item 3 is bad") as info, ProcessPool(2) as pool:
        pool.map(fail_on, range(8))
    assert any("in a worker process" in note and "fail_on" in note for note in info.value.__notes__)


def test_a_dead_worker_is_named_not_waited_for():
    with pytest.raises(WorkerCrashed, match=r"exited with 7 while running item 2"), ProcessPool(2) as pool:
        pool.map(die_on, range(6))


def test_prints_in_the_work_do_not_corrupt_the_results(capfd):
    with ProcessPool(2) as pool:
        assert pool.map(noisy, range(5)) == list(range(5))


def test_workers_exit_when_the_pool_closes():
    pool = ProcessPool(2)
    with pool:
        pool.map(square, range(4))
        procs = [w.proc for w in pool._workers]
    assert all(p.poll() is not None for p in procs)


def test_workers_do_not_outlive_a_killed_parent(tmp_path):
    """A task killed between two maps (timeout, SIGKILL) leaves no workers behind: their stdin
    closes with the parent. (A worker busy with an item exits when that item's reply finds no
    reader.)"""
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import time
        from carepulse.workers import ProcessPool
        from tests.carepulse.test_workers import square
        pool = ProcessPool(2).__enter__()
        pool.map(square, range(4))
        open({str(pids)!r}, "w").write(" ".join(str(w.proc.pid) for w in pool._workers))
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.time() + 60
    while not pids.exists() and time.time() < deadline:
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid_: int) -> bool:
    try:
        os.kill(pid_, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid_}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_pool_size_must_be_positive():
    with pytest.raises(ValueError, match="workers must be >= 1"):
        ProcessPool(0)
