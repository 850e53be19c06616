"""Connections are spread over ``kg serve``'s server processes: the shared table of who holds
how many (:class:`kg.serve.ConnectionShare`), and a real server with two processes given four
kept-alive connections at once, which must fall two and two."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from processes import descendants, free_port

from kg.serve import ConnectionShare

ROOT = Path(__file__).resolve().parent.parent


def test_the_least_loaded_worker_may_always_accept():
    share = ConnectionShare(4)
    a, b = share.claim(101), share.claim(102)
    assert (a, b) == (0, 1)
    for held_a, held_b in [(0, 0), (1, 0), (1, 1), (2, 1), (5, 0), (3, 3)]:
        share.counts[a], share.counts[b] = held_a, held_b
        fair = share.fair()
        assert min(held_a, held_b) < fair  # one of them accepts
        assert (held_a < fair) == (held_a <= (held_a + held_b) // 2)  # not above the mean
    share.release(101)  # an exited worker no longer counts
    share.counts[b] = 3
    assert share.fair() == 4
    assert share.claim(103) == 0  # its slot is reused


def _connections_by_process(port: int, pids: set[int]) -> list[int]:
    """How many established connections to ``port`` each of ``pids`` holds (from /proc)."""
    inodes: dict[str, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port:
            inodes[f"socket:[{inode}]"] = 0
    counts = []
    for pid in sorted(pids):
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                held += os.readlink(fd) in inodes
            except OSError:
                continue
        counts.append(held)
    return counts


def _server_processes(master: int) -> set[int]:
    """The master's children: its server processes (engines are their children, and a
    just-forked engine has not yet the command line that names it)."""
    return {pid for pid, (parent, _cpu, _cmd) in descendants(master).items() if parent == master}


def test_four_kept_alive_connections_fall_two_and_two(settings):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                probe.request("GET", "/sparql?query=ASK%7B%7D")
                if probe.getresponse().status == 200:
                    probe.close()
                    break
            except OSError:
                time.sleep(0.1)
        servers = _server_processes(process.pid)
        while len(servers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            servers = _server_processes(process.pid)
        for _ in range(4):  # opened together, each kept alive after its first answer
            clients.append(http.client.HTTPConnection("127.0.0.1", port, timeout=30))
        for client in clients:
            client.request("GET", "/sparql?query=ASK%7B%7D")
        for client in clients:
            answer = client.getresponse()
            assert answer.status == 200
            answer.read()
        time.sleep(0.3)
        assert _connections_by_process(port, servers) == [2, 2]
    finally:
        for client in clients:
            client.close()
        process.terminate()
        process.wait(timeout=30)
