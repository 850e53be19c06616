"""The query engine of one server process: a worker process (:mod:`kg.sparql.worker`) that
runs up to ``size`` queries at once on its threads over one copy of the data, so that a query
can be stopped at its time limit: pyoxigraph has no cancellation, so the process running a
query that overstays is killed (its CPU and memory freed at once) and a fresh one takes its
place. The other queries it was running are sent again to the fresh one, within their own
deadlines, so their clients see a delay, not an error; a query that was running when the
engine died twice of itself (out of memory, a crash, a kill from outside) is answered
:class:`QueryAborted`.

Writes numbered requests to the engine's pipe and reads its answers on a reader thread, which
hands each to the caller waiting for it; starts and restarts engines on one long-lived thread
(the thread an engine's parent-death signal is tied to). A request waits for a free slot, then
for its answer, within one deadline. The pool is per process: used after a ``fork`` it starts
its own engine.
"""

from __future__ import annotations

import itertools
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

from kg.sparql.worker import HEADER, NUMBER
from kg.store.base import QueryAborted, QueryTimeout, StoreUnavailable

START_TIMEOUT = 300.0  # seconds an engine may take to load the dataset
CRASHES = 2  # deaths of its engine a query may be running at before it is answered aborted


class _Call:
    """One request waiting for its answer."""

    __slots__ = ("answer", "done")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: tuple[Any, ...] | None = None


class _Engine:
    """One engine process, its pipes, and the requests it is running."""

    def __init__(self, dataset: Path, threads: int, sandbox: bool, memory_mb: int) -> None:
        options = json.dumps(
            {"threads": threads, "sandbox": sandbox, "memory_mb": memory_mb, "parent": os.getpid()}
        )
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
        self.calls: dict[int, _Call] = {}
        self.lock = threading.Lock()  # guards calls, dead and the pipe to the engine
        self.dead = False
        self.killed = False  # by the pool, for another query's time limit
        self.unread = bytearray()  # bytes read from the engine after the last whole frame

    def started(self) -> tuple[Any, ...] | None:
        """The engine's first frame (ready or failed), or None if it sent none in time."""
        frame = self._frame(time.monotonic() + START_TIMEOUT)
        return None if frame is None else frame[1]  # type: ignore[no-any-return]

    def read_answers(self) -> None:
        """Hand each answer to its caller until the engine's pipe closes; then wake every
        caller still waiting (the reader thread's loop)."""
        while (frame := self._frame(None)) is not None:
            number, answer = frame
            with self.lock:
                call = self.calls.pop(number, None)
            if call is not None:
                call.answer = answer
                call.done.set()
        with self.lock:
            self.dead = True
            waiting, self.calls = list(self.calls.values()), {}
        for call in waiting:
            call.done.set()
        self._close(self.process.stdout)

    def submit(self, number: int, payload: bytes, deadline: float) -> _Call | None:
        """Send one request; None if the engine is gone or its pipe stayed full."""
        call = _Call()
        view = memoryview(HEADER.pack(NUMBER.size + len(payload)) + NUMBER.pack(number) + payload)
        with self.lock:
            if self.dead:
                return None
            self.calls[number] = call
            while view:
                try:
                    view = view[os.write(self.wfd, view) :]
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [self.wfd], [], remaining)[1]:
                    break
            if view:  # a frame cut short cannot be taken back: this engine is done
                self.calls.pop(number, None)
                self.dead = True
                return None
        return call

    def _frame(self, deadline: float | None) -> tuple[Any, ...] | None:
        """The next frame from the engine (answers may arrive several in one read: what
        follows the frame stays in :attr:`unread`); None at the end or after ``deadline``."""
        data = self.unread
        if not data:  # usually one read holds exactly one frame: unpickle it where it lies
            chunk = self._read(deadline)
            if chunk is None:
                return None
            if (
                len(chunk) >= HEADER.size
                and len(chunk) == HEADER.size + HEADER.unpack_from(chunk)[0]
            ):
                return pickle.loads(memoryview(chunk)[HEADER.size :])  # type: ignore[no-any-return]  # noqa: S301
            data += chunk
        while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack_from(data)[0]:
            chunk = self._read(deadline)
            if chunk is None:
                return None
            data += chunk
        end = HEADER.size + HEADER.unpack_from(data)[0]
        frame = bytes(memoryview(data)[HEADER.size : end])
        del data[:end]
        # Written by our own engine process on a private pipe, one frame at a time.
        return pickle.loads(frame)  # type: ignore[no-any-return]  # noqa: S301

    def _read(self, deadline: float | None) -> bytes | None:
        """What the engine has written, waiting until ``deadline``; None at its end."""
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.rfd], [], [], remaining)[0]:
                return None
        try:
            return os.read(self.rfd, 1 << 20) or None
        except OSError:
            return None

    def stop(self) -> None:
        """Kill the process at once and release its pipes (the reader thread then wakes every
        caller still waiting)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        with self.lock:
            self.dead = True
            self._close(self.process.stdin)

    def discard(self) -> None:
        """Stop an engine that never started (no reader thread owns its output pipe)."""
        self.stop()
        self._close(self.process.stdout)

    @staticmethod
    def _close(pipe: Any) -> None:
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


class _State:
    """Everything the pool, its spawner thread and its finaliser share (never the pool
    itself, so an unreferenced pool is collected and its engine stopped)."""

    def __init__(self, dataset: Path, size: int, sandbox: bool, memory_mb: int) -> None:
        self.dataset, self.size, self.sandbox, self.memory_mb = dataset, size, sandbox, memory_mb
        self.lock = threading.Condition()
        self.engine: _Engine | None = None
        self.busy = 0  # requests holding one of the size slots
        self.failure: str | None = None
        self.closed = False
        self.spawns: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self.numbers = itertools.count(1)

    def spawner(self) -> None:
        """Start an engine for each request on :attr:`spawns` until told to stop."""
        while self.spawns.get():
            engine = _Engine(self.dataset, self.size, self.sandbox, self.memory_mb)
            answer = engine.started()
            with self.lock:
                if answer is not None and answer[0] == "ready" and not self.closed:
                    threading.Thread(
                        target=engine.read_answers, name="query-engine-reader", daemon=True
                    ).start()
                    self.engine, self.failure = engine, None
                    self.lock.notify_all()
                    continue
                self.failure = (
                    str(answer[1])
                    if answer is not None and answer[0] == "failed"
                    else "the query engine did not start"
                )
                self.lock.notify_all()
            engine.discard()

    def take_slot(self, deadline: float, timeout: float) -> None:
        """One of the ``size`` slots, waiting for one until ``deadline``."""
        with self.lock:
            while self.busy >= self.size:
                if self.closed:
                    raise StoreUnavailable("the store is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(
                        f"all {self.size} query slots stayed busy for {timeout:g} s; "
                        "try again later"
                    )
                self.lock.wait(remaining)
            self.busy += 1

    def give_slot(self) -> None:
        with self.lock:
            self.busy -= 1
            self.lock.notify_all()

    def running_engine(self, deadline: float, timeout: float) -> _Engine:
        """The engine, waiting for one to start until ``deadline``."""
        with self.lock:
            while self.engine is None or self.engine.dead:
                if self.closed:
                    raise StoreUnavailable("the store is closed")
                if self.engine is not None:  # died of itself: the reader saw its pipe close
                    self.replace(self.engine, killed=False)
                if self.failure is not None:
                    raise StoreUnavailable(self.failure)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(
                        f"the query engine was restarting for {timeout:g} s; try again later"
                    )
                self.lock.wait(remaining)
            return self.engine

    def replace(self, engine: _Engine, *, killed: bool) -> None:
        """Kill ``engine`` (``killed``: for a query's time limit) and have a fresh one started,
        unless that has been done already. Called with :attr:`lock` held."""
        if engine is not self.engine:
            return
        engine.killed = killed
        self.engine = None
        engine.stop()  # at once: a killed engine dies within milliseconds
        if not self.closed:
            self.spawns.put(True)

    def shutdown(self) -> None:
        """Stop the spawner and the engine."""
        with self.lock:
            self.closed = True
            engine, self.engine = self.engine, None
            self.lock.notify_all()
        self.spawns.put(False)
        if engine is not None:
            engine.stop()


class WorkerPool:
    """A query engine over ``dataset`` running up to ``size`` requests at once;
    :meth:`call` runs one request."""

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
        threading.Thread(target=state.spawner, name="query-engine-spawner", daemon=True).start()
        state.spawns.put(True)

    def call(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        """Run ``request`` within ``timeout`` seconds (waiting included)."""
        if os.getpid() != self._pid:  # forked: that engine belongs to the parent process
            self._start()
        state = self._state
        deadline = time.monotonic() + timeout
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        state.take_slot(deadline, timeout)
        try:
            crashes = 0
            while True:
                engine = state.running_engine(deadline, timeout)
                call = engine.submit(next(state.numbers), payload, deadline)
                if call is None:  # the engine was gone before it had the request: try again
                    continue
                if not call.done.wait(max(0.0, deadline - time.monotonic())):
                    with state.lock:  # no answer before the deadline: stop the query
                        state.replace(engine, killed=True)
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
                if call.answer is not None:
                    return call.answer
                # The engine died while running this request: send it again, unless the
                # engine died of itself with it CRASHES times.
                if not engine.killed:
                    crashes += 1
                    if crashes >= CRASHES:
                        raise QueryAborted(
                            "the query engine stopped while running this query (it ran out "
                            "of memory or stack); it has been restarted"
                        )
        finally:
            state.give_slot()

    def pids(self) -> list[int]:
        """The process id of the running engine (none while it restarts)."""
        engine = self._state.engine
        return [] if engine is None or engine.dead else [engine.process.pid]

    def ready(self, timeout: float) -> bool:
        """Wait until the engine is running (True) or ``timeout`` passes."""
        state = self._state
        deadline = time.monotonic() + timeout
        with state.lock:
            while state.engine is None and state.failure is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                state.lock.wait(remaining)
            return state.engine is not None

    def close(self) -> None:
        """Stop the engine; later calls raise :class:`StoreUnavailable`."""
        self._finalizer()
