"""Worker processes for CPU-bound work inside a task: VADER scoring, the raw gate's nights.

Why not `multiprocessing`/`ProcessPoolExecutor`: under Airflow's real task runners both of its
safe start methods fail.
- LocalExecutor: a `spawn` (or `forkserver`) child first re-runs the parent's `__main__`, which
  in a task process is the `airflow` entry script; that imports Airflow, whose settings parse the
  metadata-DB URL the task supervisor deliberately replaces with a non-URL, and every child dies
  (`BrokenProcessPool`).
- Celery workers: the task process descends from a daemonic pool process, and multiprocessing
  refuses to start children there ("daemonic processes are not allowed to have children").
`fork` is no way out: the caller is multi-threaded (dbt's threads, the supervisor's), and a
forked child can inherit a lock another thread held. `dag.test()` runs tasks inside the
caller's own process, which hid all of this.

So a worker here is a fresh interpreter, `python -m carepulse.workers`: its `__main__` is this
module, it imports only what unpickling its work needs (never Airflow), and it talks to the
parent over its stdin/stdout with length-prefixed pickles. It exits when its stdin closes, so
a killed task leaves no workers behind. Work and initializer must be importable module-level
functions; results come back in input order. tests/carepulse/test_workers.py holds all this
from a process set up like a real task process, and tests/deploy under both real executors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import selectors
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

_HEADER = struct.Struct("!Q")
log = logging.getLogger("carepulse.workers")


class WorkerCrashed(RuntimeError):
    """A worker process died instead of answering; names the worker, its exit code and the item."""


def _send(stream: BinaryIO, obj: Any) -> None:
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    """The next message, or EOFError when the other end has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


class _Worker:
    def __init__(self, setup: tuple) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "carepulse.workers"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)  # stderr: the caller's (the task log)
        self.item: int | None = None
        _send(self.proc.stdin, setup)

    def submit(self, index: int, fn: Callable, args: tuple) -> None:
        self.item = index
        _send(self.proc.stdin, (fn, args))

    def crashed(self) -> WorkerCrashed:
        code = self.proc.wait()
        return WorkerCrashed(f"worker process {self.proc.pid} exited with {code} while running item "
                             f"{self.item} (its error output is in this task's log above)")

    def close(self, kill: bool) -> None:
        """Closing stdin tells an idle worker to exit; one still busy (the map failed) is killed."""
        if kill:
            self.proc.kill()
        if not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # it died with bytes of ours still buffered
                self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class ProcessPool:
    """`with ProcessPool(n, initializer, initargs) as pool: results = pool.map(fn, items)`."""

    def __init__(self, workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._setup = (list(sys.path), initializer, initargs)
        self._size = workers
        self._workers: list[_Worker] = []

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, exc_type, *_) -> None:
        for worker in self._workers:
            worker.close(kill=exc_type is not None)
        self._workers.clear()

    def map(self, fn: Callable, *iterables: Iterable) -> list:
        """fn(*args) for each tuple of the iterables, spread over the workers; in input order."""
        started = time.monotonic()
        pending = list(enumerate(zip(*iterables, strict=True)))[::-1]
        results: list = [None] * len(pending)
        while len(self._workers) < min(self._size, len(pending)):  # started once, reused by later maps
            self._workers.append(_Worker(self._setup))
        with selectors.DefaultSelector() as selector:
            for worker in self._workers:
                if pending:
                    index, args = pending.pop()
                    worker.submit(index, fn, args)
                    selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)
            while selector.get_map():
                for key, _ in selector.select():
                    worker = key.data
                    try:
                        ok, value = _receive(worker.proc.stdout)
                    except EOFError:
                        raise worker.crashed() from None
                    if not ok:
                        raise value
                    results[worker.item] = value
                    if pending:
                        index, args = pending.pop()
                        worker.submit(index, fn, args)
                    else:
                        selector.unregister(worker.proc.stdout)
        log.info("%s: %d items in %d worker processes, %.1f s", getattr(fn, "__qualname__", fn), len(results),
                 len(self._workers), time.monotonic() - started)
        return results


# -- the worker side ------------------------------------------------------------------------------


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it pickles (with the worker's traceback as a note), else a
    RuntimeError carrying its text."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"in a worker process: {text}")
    exc.add_note(f"in a worker process: {text}")
    return exc


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    path, initializer, initargs = _receive(requests)
    sys.path[:] = path
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            fn, args = _receive(requests)
        except EOFError:
            return
        try:
            reply = (True, fn(*args))
        except Exception as exc:
            reply = (False, _portable(exc))
        _send(replies, reply)


if __name__ == "__main__":
    # The replies get the real stdout; anything the work prints goes to stderr instead of
    # corrupting the channel.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, replies)
