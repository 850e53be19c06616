"""The query engine of one server process: a process (:mod:`kg.sparql.worker`) that
runs up to ``size`` queries at once on its threads over one copy of the data, so that a query
can be stopped at its time limit: pyoxigraph has no cancellation, so the process running a
query that overstays is killed (its CPU and memory freed at once) and a fresh one takes its
place. The other queries it was running are sent again to the fresh one, within their own
deadlines, so their clients see a delay, not an error; a query that was running when the
engine died twice of itself (out of memory, a crash, a kill from outside) is answered
:class:`QueryAborted`.

Each of the ``size`` slots is one engine thread with a channel of its own (a pipe each way),
so a request holding a slot writes to and reads from its thread directly; starts and restarts
engines on one long-lived thread (the thread an engine's parent-death signal is tied to). A
request waits for a free slot, then for its answer, within one deadline. The pool is per
process: used after a ``fork`` it starts its own engine.
"""

from __future__ import annotations

import contextlib
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

START_TIMEOUT = 300.0  # seconds an engine may take to load the dataset
# glibc's allocator in the engine: a query's blocks over 1 MiB are mapped for it and unmapped
# after, and more than 128 KiB free at the top of the heap is handed back, instead of staying
# with the engine between queries (bench/mix_bench.py, one run: 153.5 → 141.7 MB, req/s
# within 3 %; a 128 KiB mapping threshold cost 9 % at one client).
ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "1048576", "MALLOC_TRIM_THRESHOLD_": "131072"}
CRASHES = 2  # deaths of its engine a query may be running at before it is answered aborted


def _receive(rfd: int, deadline: float) -> tuple[Any, ...] | None:
    """Read one frame from ``rfd`` before ``deadline``; None on timeout or at its end."""
    data = bytearray()
    size = None
    while size is None or len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([rfd], [], [], remaining)[0]:
            return None
        try:
            chunk = os.read(rfd, 1 << 20 if size is None else size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        whole = (
            len(chunk) >= HEADER.size and len(chunk) == HEADER.size + HEADER.unpack_from(chunk)[0]
        )
        if whole and not data:  # usually: the frame came in one read, unpickled where it lies
            return pickle.loads(memoryview(chunk)[HEADER.size :])  # type: ignore[no-any-return]  # noqa: S301
        data += chunk
        if size is None and len(data) >= HEADER.size:
            size = HEADER.size + HEADER.unpack_from(data)[0]
    # Written by our own engine process on a private pipe, one frame at a time.
    return pickle.loads(memoryview(data)[HEADER.size :])  # type: ignore[no-any-return]  # noqa: S301


class _Channel:
    """The parent's ends of one engine thread's two pipes (used by one request at a time)."""

    def __init__(self, wfd: int, rfd: int) -> None:
        self.wfd, self.rfd = wfd, rfd
        self.in_use = False  # by a request (guarded by the pool's lock)
        os.set_blocking(wfd, False)

    def send(self, payload: bytes, deadline: float) -> bool:
        """Write a whole frame before ``deadline``; False if the engine is gone or too slow."""
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
        """Read one answer before ``deadline``; None on timeout or if the engine died."""
        return _receive(self.rfd, deadline)

    def close(self) -> None:
        """Close both ends (once)."""
        for fd in (self.wfd, self.rfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.wfd = self.rfd = -1


class _Engine:
    """One engine process and a channel to each of its ``threads`` threads."""

    def __init__(self, dataset: Path, threads: int, sandbox: bool, memory_mb: int) -> None:
        ours, theirs = [], []
        for _ in range(threads):
            request_r, request_w = os.pipe()
            answer_r, answer_w = os.pipe()
            ours.append((request_w, answer_r))
            theirs.append((request_r, answer_w))
        options = json.dumps(
            {
                "channels": theirs,
                "sandbox": sandbox,
                "memory_mb": memory_mb,
                "parent": os.getpid(),
            }
        )
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kg.sparql.worker", str(dataset), options],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                close_fds=True,
                pass_fds=[fd for pair in theirs for fd in pair],
                env={**os.environ, **ALLOCATOR},
            )
        finally:
            for pair in theirs:
                for fd in pair:
                    os.close(fd)
        self.channels = [_Channel(w, r) for w, r in ours]
        self.killed = False  # by the pool, for a query's time limit
        self.retired = False  # replaced: each channel is closed once no request uses it

    def started(self) -> tuple[Any, ...] | None:
        """The engine's first message (ready or failed), or None if it sent none in time."""
        assert self.process.stdout is not None
        return _receive(self.process.stdout.fileno(), time.monotonic() + START_TIMEOUT)

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the process at once and close the channels no request is using (the others
        are closed by their request, which sees the engine's end)."""
        self.retired = True
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for channel in self.channels:
            if not channel.in_use:
                channel.close()
        if self.process.stdout is not None:
            with contextlib.suppress(OSError):
                self.process.stdout.close()


class _State:
    """Everything the pool, its spawner thread and its finaliser share (never the pool
    itself, so an unreferenced pool is collected and its engine stopped)."""

    def __init__(self, dataset: Path, size: int, sandbox: bool, memory_mb: int) -> None:
        self.dataset, self.size, self.sandbox, self.memory_mb = dataset, size, sandbox, memory_mb
        self.lock = threading.Condition()
        self.engine: _Engine | None = None
        self.free = list(range(size))  # the slots (an engine thread and its channel each)
        self.failure: str | None = None
        self.closed = False
        self.spawns: queue.SimpleQueue[bool] = queue.SimpleQueue()

    def spawner(self) -> None:
        """Start an engine for each request on :attr:`spawns` until told to stop."""
        while self.spawns.get():
            engine = _Engine(self.dataset, self.size, self.sandbox, self.memory_mb)
            answer = engine.started()
            with self.lock:
                if answer is not None and answer[0] == "ready" and not self.closed:
                    self.engine, self.failure = engine, None
                    self.lock.notify_all()
                    continue
                self.failure = (
                    str(answer[1])
                    if answer is not None and answer[0] == "failed"
                    else "the query engine did not start"
                )
                self.lock.notify_all()
            engine.stop()

    def take_slot(self, deadline: float, timeout: float) -> int:
        """One of the ``size`` slots, waiting for one until ``deadline``."""
        with self.lock:
            while not self.free:
                if self.closed:
                    raise StoreUnavailable("the store is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(
                        f"all {self.size} query slots stayed busy for {timeout:g} s; "
                        "try again later"
                    )
                self.lock.wait(remaining)
            return self.free.pop()

    def give_slot(self, slot: int) -> None:
        """Give a slot back."""
        with self.lock:
            self.free.append(slot)
            self.lock.notify_all()

    def channel(self, slot: int, deadline: float, timeout: float) -> tuple[_Engine, _Channel]:
        """The running engine and the channel of ``slot``, marked in use (waiting for an
        engine to start until ``deadline``)."""
        with self.lock:
            while self.engine is None:
                if self.closed:
                    raise StoreUnavailable("the store is closed")
                if self.failure is not None:
                    raise StoreUnavailable(self.failure)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(
                        f"the query engine was restarting for {timeout:g} s; try again later"
                    )
                self.lock.wait(remaining)
            channel = self.engine.channels[slot]
            channel.in_use = True
            return self.engine, channel

    def done_with(self, engine: _Engine, channel: _Channel) -> None:
        """A request has finished with ``channel`` (closed if its engine was replaced)."""
        with self.lock:
            channel.in_use = False
            if engine.retired:
                channel.close()

    def replace(self, engine: _Engine, *, killed: bool) -> None:
        """Kill ``engine`` (``killed``: for a query's time limit, not of itself) and have a
        fresh one started, unless that has been done already. Called with :attr:`lock`
        held: a killed engine dies within milliseconds."""
        if engine is not self.engine:
            return
        engine.killed = killed
        self.engine = None
        engine.stop()
        if not self.closed:
            self.spawns.put(True)

    def shutdown(self) -> None:
        """Stop the spawner and the engine."""
        with self.lock:
            self.closed = True
            engine, self.engine = self.engine, None
            if engine is not None:
                engine.stop()
            self.lock.notify_all()
        self.spawns.put(False)


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
        slot = state.take_slot(deadline, timeout)
        try:
            crashes = 0
            while True:
                engine, channel = state.channel(slot, deadline, timeout)
                try:
                    sent = channel.send(payload, deadline)
                    answer = channel.receive(deadline) if sent else None
                finally:
                    state.done_with(engine, channel)
                if answer is not None:
                    return answer
                with state.lock:
                    if time.monotonic() >= deadline and engine.alive():  # overstayed: stop it
                        state.replace(engine, killed=True)
                        raise QueryTimeout(
                            f"the query ran longer than {timeout:g} s and was stopped"
                        )
                    # The engine died while running this request: send it again, unless the
                    # engine died of itself with it CRASHES times.
                    if not engine.killed:
                        state.replace(engine, killed=False)
                        crashes += 1
                        if crashes >= CRASHES:
                            raise QueryAborted(
                                "the query engine stopped while running this query (it ran out "
                                "of memory or stack); it has been restarted"
                            )
        finally:
            state.give_slot(slot)

    def pids(self) -> list[int]:
        """The process id of the running engine (none while it restarts)."""
        engine = self._state.engine
        return [] if engine is None else [engine.process.pid]

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
