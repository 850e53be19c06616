"""The processes tests start, read from /proc: a free port to bind, the descendants of a
server, its query engines, whether one is running. Shared by the tests of real servers."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

ENGINE = "kg.sparql.worker"  # in the command line of a query engine process


def free_port() -> int:
    """A TCP port on 127.0.0.1 free now (it may be taken again before it is bound)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(root: int) -> dict[int, tuple[int, float, str]]:
    """The processes below ``root``: pid → (parent pid, CPU seconds, command line)."""
    everything = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / tick
        everything[int(stat.parent.name)] = (int(fields[1]), cpu, command)
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, info in everything.items():
            if info[0] == parent:
                found[pid] = info
                todo.append(pid)
    return found


def engines(root: int) -> dict[int, float]:
    """The query engines below ``root``: pid → CPU seconds."""
    return {pid: cpu for pid, (_parent, cpu, cmd) in descendants(root).items() if ENGINE in cmd}


def replaced(root: int, gone: set[int], timeout: float = 30) -> dict[int, float]:
    """The one engine below ``root`` that took the place of the engines ``gone``, waiting
    for it: a replacement is started after the answer that killed its predecessor, and its
    command line names the engine only once it has been exec'd."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = engines(root)
        if len(found) == 1 and not gone & set(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"no new engine replaced {gone}: {engines(root)}")


def running(pid: int) -> bool:
    """Whether a thread of ``pid`` is running or runnable (a query runs on its own thread)."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "R":
                return True
        except OSError:
            continue
    return False
