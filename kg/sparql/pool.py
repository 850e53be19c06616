"""A small pool of query worker processes (:mod:`kg.sparql.worker`), so that a query can be
stopped at its time limit: pyoxigraph has no cancellation, so the worker running a query that
overstays is killed (its CPU and memory freed at once) and a fresh one takes its place.

Writes requests to and reads answers from the workers' pipes; starts and restarts workers on
one long-lived thread (the thread a worker's parent-death signal is tied to). A request waits
for a free worker, then for its answer, within one deadline. The pool is per process: used
after a ``fork`` it starts its own workers.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from kg.sparql.worker import HEADER
from kg.store.base import QueryAborted, QueryTimeout, StoreUnavailable

START_TIMEOUT = 300.0  # seconds a worker may take to load the dataset


class _Worker:
    """One worker process and its two pipe ends."""

    def __init__(self, dataset: Path, sandbox: bool, memory_mb: int) -> None:
        options = json.dumps({"sandbox": sandbox, "memory_mb": memory_mb, "parent": os.getpid()})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.sparql.worker", str(dataset), options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.wfd = self.process.stdin.fileno()
        self.rfd = self.process.stdout.fileno()
        os.set_blocking(self.wfd, False)

    def send(self, payload: bytes, deadline: float) -> bool:
        """Write a whole frame before ``deadline``; False if the worker is gone or too slow."""
        view = memoryview(HEADER.pack(len(payload)) + payload)
        while view:
            try:
                view = view[os.write(self.wfd, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.wfd], [], remaining)[1]:
                return False
        return True

    def receive(self, deadline: float) -> tuple[Any, ...] | None:
        """Read one answer before ``deadline``; None on timeout or if the worker died."""
        data = bytearray()
        size = None
        while size is None or len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.rfd], [], [], remaining)[0]:
                return None
            chunk = os.read(self.rfd, 1 << 20 if size is None else min(size - len(data), 1 << 20))
            if not chunk:
                return None
            data += chunk
            if size is None and len(data) >= HEADER.size:
                size = HEADER.size + HEADER.unpack_from(data)[0]
        # Written by our own worker process on a private pipe; one answer at a time.
        return pickle.loads(memoryview(data)[HEADER.size :])  # type: ignore[no-any-return]  # noqa: S301

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the process at once and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


class _State:
    """Everything the pool, its spawner thread and its finaliser share (never the pool
    itself, so an unreferenced pool is collected and its workers stopped)."""

    def __init__(self, dataset: Path, size: int, sandbox: bool, memory_mb: int) -> None:
        self.dataset, self.size, self.sandbox, self.memory_mb = dataset, size, sandbox, memory_mb
        self.lock = threading.Condition()
        self.free: list[_Worker] = []
        self.all: set[_Worker] = set()
        self.failure: str | None = None
        self.closed = False
        self.spawns: queue.SimpleQueue[bool] = queue.SimpleQueue()

    def spawner(self) -> None:
        """Start a worker for each request on :attr:`spawns` until told to stop."""
        while self.spawns.get():
            worker = _Worker(self.dataset, self.sandbox, self.memory_mb)
            answer = worker.receive(time.monotonic() + START_TIMEOUT)
            with self.lock:
                if answer is not None and answer[0] == "ready" and not self.closed:
                    self.all.add(worker)
                    self.free.append(worker)
                    self.failure = None
                    self.lock.notify()
                    continue
                self.failure = (
                    str(answer[1])
                    if answer is not None and answer[0] == "failed"
                    else "a query worker did not start"
                )
                self.lock.notify_all()
            worker.stop()

    def acquire(self, deadline: float, timeout: float) -> _Worker:
        """A free worker, waiting for one until ``deadline``."""
        with self.lock:
            while not self.free:
                if self.closed:
                    raise StoreUnavailable("the store is closed")
                if self.failure is not None and not self.all:
                    raise StoreUnavailable(self.failure)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(
                        f"all {self.size} query workers stayed busy for {timeout:g} s; "
                        "try again later"
                    )
                self.lock.wait(remaining)
            return self.free.pop()

    def release(self, worker: _Worker) -> None:
        """Give a worker back after a completed request."""
        with self.lock:
            if not self.closed:
                self.free.append(worker)
                self.lock.notify()
                return
        worker.stop()

    def replace(self, worker: _Worker) -> None:
        """Kill a worker (timed out or dead) and have a fresh one started."""
        worker.stop()
        with self.lock:
            self.all.discard(worker)
            if not self.closed:
                self.spawns.put(True)

    def shutdown(self) -> None:
        """Stop the spawner and every worker."""
        with self.lock:
            self.closed = True
            self.free.clear()
            workers = list(self.all)
            self.all.clear()
            self.lock.notify_all()
        self.spawns.put(False)
        for worker in workers:
            worker.stop()


class WorkerPool:
    """``size`` worker processes over ``dataset``; :meth:`call` runs one request on one."""

    def __init__(
        self, dataset: Path, size: int, *, sandbox: bool = True, memory_mb: int = 0
    ) -> None:
        self.dataset = dataset
        self.size = max(1, size)
        self.sandbox = sandbox
        self.memory_mb = memory_mb
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._state = state = _State(self.dataset, self.size, self.sandbox, self.memory_mb)
        self._finalizer = weakref.finalize(self, state.shutdown)
        threading.Thread(target=state.spawner, name="query-worker-spawner", daemon=True).start()
        for _ in range(self.size):
            state.spawns.put(True)

    def call(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        """Run ``request`` on a free worker within ``timeout`` seconds (waiting included)."""
        if os.getpid() != self._pid:  # forked: those workers belong to the parent process
            self._start()
        state = self._state
        deadline = time.monotonic() + timeout
        worker = state.acquire(deadline, timeout)
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        answer = worker.receive(deadline) if worker.send(payload, deadline) else None
        if answer is not None:
            state.release(worker)
            return answer
        # No answer before the deadline is a timeout; an answer cut short before it is a
        # worker that died (its process may still be exiting, e.g. writing a core dump).
        timed_out = time.monotonic() >= deadline and worker.alive()
        state.replace(worker)
        if timed_out:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        raise QueryAborted(
            "the query engine stopped while running this query (it ran out of memory or "
            "stack); it has been restarted"
        )

    def ready(self, timeout: float) -> bool:
        """Wait until at least one worker is free (True) or ``timeout`` passes."""
        state = self._state
        deadline = time.monotonic() + timeout
        with state.lock:
            while not state.free and state.failure is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                state.lock.wait(remaining)
            return bool(state.free)

    def close(self) -> None:
        """Stop every worker; later calls raise :class:`StoreUnavailable`."""
        self._finalizer()
