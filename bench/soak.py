"""Soak: mixed traffic against a real ``kg serve`` for a bounded time and count, sampling the
resident memory of its whole process tree; half-way through, the query engine running a query
is killed with SIGKILL, twice.

Client threads send, in a fixed random mix: pages of the browser (home, documents of the most
linked resources, classes, search, report, VoID…), the 27 queries of :mod:`query_mix` (some
with a fresh comment, so the answer cache misses), hostile requests (updates, syntax errors,
oversized and deeply nested queries, SERVICE to a host not allowed, malformed request lines
and binary garbage on a raw socket) and runaway queries stopped at the time limit. Every
request has the statuses it may get (200/303 for pages and queries, the intended 4xx for
hostile ones, 503 for a runaway query); anything else, or no answer, is a failure. After the
first kill the runaway query must be sent again to a fresh engine and nothing else may fail;
after the second its own request must get a 503, and a fresh engine must take the place of each.

Prints requests and failures per kind, the memory samples (PSS at the start, the largest, at
the end and the growth), and the kill check; exits non-zero if a request failed or memory grew
by more than ``--max-growth`` MB. Bounded by ``--seconds`` and ``--requests``.

    .venv/bin/python bench/soak.py                    # 60 s
    .venv/bin/python bench/soak.py --seconds 20 --clients 4
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from query_mix import derive, open_release
from serving import by_kind, kg_serve, memory, query_workers

TIME_LIMIT = 3.0  # seconds, the served query time limit
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BASE = "https://w3id.org/hmic-kg/"


@dataclass
class Tally:
    """What the clients saw, shared between them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def record(self, kind: str, ok: bool, detail: str) -> None:
        with self.lock:
            self.sent[kind] += 1
            if not ok:
                self.failed[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {detail}")


Send = Callable[[http.client.HTTPConnection, int], tuple[int, str]]


def _get(path: str, accept: str = "text/html") -> Send:
    def send(conn: http.client.HTTPConnection, _n: int) -> tuple[int, str]:
        conn.request("GET", path, headers={"Accept": accept})
        answer = conn.getresponse()
        answer.read()
        return answer.status, path[:80]

    return send


def _query(text: str, accept: str, fresh: bool = False) -> Send:
    def send(conn: http.client.HTTPConnection, n: int) -> tuple[int, str]:
        body = f"{text}\n# {n}" if fresh else text
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(body), headers={"Accept": accept})
        answer = conn.getresponse()
        reply = answer.read()
        detail = text[:60] if answer.status < 500 else f"{text[:60]} → {reply[:120]!r}"
        return answer.status, detail

    return send


def _raw(port: int, data: bytes) -> Send:
    def send(_conn: http.client.HTTPConnection, _n: int) -> tuple[int, str]:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            raw.sendall(data)
            line = raw.recv(100).split(b"\r\n")[0]
        parts = line.split()
        return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), repr(data[:40])

    return send


def traffic(port: int) -> list[tuple[str, int, Send, set[int]]]:
    """(kind, weight, how to send, statuses allowed) of each request of the mix."""
    release = open_release()
    mix = derive(release)
    top = [
        row[0].value
        for row in release.query(  # type: ignore[union-attr]
            f'SELECT ?s WHERE {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), "{BASE}id/") }} '
            "GROUP BY ?s ORDER BY DESC(COUNT(*)) LIMIT 6"
        )
    ]
    del release
    docs = [iri.replace(f"{BASE}id/", "/doc/", 1) for iri in top]
    ids = [iri.replace(BASE, "/", 1) for iri in top]
    pages = ["/", "/classes", "/search?q=police", "/report", "/.well-known/void", *docs]
    ok = {200}
    found: list[tuple[str, int, Send, set[int]]] = []
    found += [("page", 3, _get(p), ok) for p in pages]
    found += [("page", 2, _get(p), {303}) for p in ids]
    found += [("page", 1, _get("/doc/nothing/here"), {404})]
    found += [("query", 2, _query(q.text, q.accept), ok) for q in mix]
    found += [("query-miss", 2, _query(q.text, q.accept, fresh=True), ok) for q in mix]
    hostile: list[tuple[Send, set[int]]] = [
        (_query("INSERT DATA { <http://a> <http://b> <http://c> }", "*/*"), {403}),
        (_query("SELECT * WHERE {", "*/*"), {400}),
        (_query("SELECT * WHERE " + "{" * 500 + "}" * 500, "*/*"), {400}),
        (
            _query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "*/*"),
            {400},
        ),
        (_query("SELECT * WHERE { ?s ?p '" + "x" * 200_000 + "' }", "*/*"), {413, 414, 400}),
        (_raw(port, b"\x00\xff\xfe\xfd garbage\r\n\r\n"), {400}),
        (_raw(port, b"GET sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"), {400}),
    ]
    found += [("hostile", 2, send, statuses) for send, statuses in hostile]
    return found


def runaways(port: int, stop: threading.Event, paused: threading.Event, tally: Tally) -> None:
    """One runaway query at a time (each stopped at the time limit: 503), a second apart,
    none while ``paused`` is set."""
    send = _query(RUNAWAY, "application/sparql-results+json", fresh=True)
    n = 0
    while not stop.is_set():
        if paused.is_set():
            time.sleep(0.05)
            continue
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_LIMIT * 10)
        n += 1
        try:
            status, detail = send(conn, n)
            tally.record("runaway", status == 503, f"{status} {detail}")
        except (OSError, http.client.HTTPException) as exc:
            tally.record("runaway", False, f"{type(exc).__name__}: {exc}")
        conn.close()
        stop.wait(1.0)


def client(
    port: int,
    plan: list[tuple[str, int, Send, set[int]]],
    seed: int,
    stop: threading.Event,
    budget: list[int],
    tally: Tally,
    lock: threading.Lock,
) -> None:
    """Send requests drawn from ``plan`` until told to stop or the budget is spent."""
    chooser = random.Random(seed)
    weights = [w for _k, w, _s, _a in plan]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_LIMIT * 10)
    n = seed * 1_000_000
    while not stop.is_set():
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        kind, _w, send, allowed = chooser.choices(plan, weights)[0]
        n += 1
        try:
            status, detail = send(conn, n)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIME_LIMIT * 10)
            tally.record(kind, False, f"{type(exc).__name__}: {exc}")
            continue
        tally.record(kind, status in allowed, f"{status} {detail}")
    conn.close()


def _kill_runner(root: int, spare: float) -> tuple[int, int]:
    """SIGKILL the engine running the runaway query (the one with a thread running in every
    look); (its pid or 0, in how many of 20 looks it was running)."""
    began = time.monotonic()
    while time.monotonic() - began < spare:
        running = Counter[int]()
        for _ in range(20):  # the runaway's engine is always running; the others mostly wait
            for pid in query_workers(root):
                running[pid] += _state(pid) == "R"
            time.sleep(0.01)
        if not running:
            continue
        pid, count = running.most_common(1)[0]
        if count >= 19:  # a clear winner, else look again
            try:
                os.kill(pid, signal.SIGKILL)
                return pid, count
            except ProcessLookupError:  # replaced meanwhile (another query's time-out)
                continue
    return 0, 0


def _replaced(root: int, victims: list[int], expected: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        engines = query_workers(root)
        if len(engines) == expected and not set(victims) & set(engines):
            return all(victims)
        time.sleep(0.05)
    return False


def kill_mid_query(port: int, root: int, expected: int) -> str:
    """Send a runaway query and SIGKILL the engine running it, twice: after the first kill the
    query must be sent again to a fresh engine (no answer yet), after the second its request
    must be told the engine stopped (not its time limit: the right engine was killed), and a
    fresh engine must take its place each time."""
    answer: dict[str, object] = {}

    def runaway() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(f"{RUNAWAY}\n# killed"))
        response = conn.getresponse()
        answer["body"] = response.read()
        answer["status"] = response.status
        conn.close()

    thread = threading.Thread(target=runaway)
    thread.start()
    first, looks = _kill_runner(root, TIME_LIMIT / 2 - 0.3)
    replaced = _replaced(root, [first], expected)
    sent_again = "status" not in answer
    second, _ = _kill_runner(root, TIME_LIMIT / 2 - 0.3)
    thread.join(timeout=30)
    replaced = replaced and _replaced(root, [first, second], expected)
    status, body = answer.get("status"), bytes(answer.get("body", b""))  # type: ignore[arg-type]
    aborted = status == 503 and b"restarted" in body
    verdict = "ok" if aborted and replaced and sent_again else "FAILED"
    return (
        f"killed engine {first or 'none'} (running in {looks}/20 samples), its runaway query "
        f"sent again: {sent_again}; killed engine {second or 'none'}: the request got {status} "
        f"{'engine stopped' if aborted else body[:80]!r}; replaced: {replaced} — {verdict}"
    )


def _state(pid: int) -> str:
    """ "R" if any thread of ``pid`` is running (a query runs on a thread of its own)."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "R":
                return "R"
        except OSError:
            continue
    return "S"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=200_000, help="cap on all requests")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="kg serve server processes")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before sampling")
    parser.add_argument("--max-growth", type=float, default=10.0, help="MB of PSS allowed")
    args = parser.parse_args()
    env = {"HMIC_KG_QUERY_TIMEOUT": str(TIME_LIMIT)}
    with kg_serve(args.workers, env=env) as served:
        port = int(served.url.rsplit(":", 1)[1])
        root = served.process.pid
        expected = args.workers  # one engine per server process
        while len(query_workers(root)) < expected:
            time.sleep(0.05)
        plan = traffic(port)
        lock = threading.Lock()
        # warm-up: the same traffic for a few seconds, so the samples start warm
        warm_stop = threading.Event()
        warm = [
            threading.Thread(
                target=client, args=(port, plan, 100 + i, warm_stop, [10**9], Tally(), lock)
            )
            for i in range(args.clients)
        ]
        for thread in warm:
            thread.start()
        time.sleep(args.warmup)
        warm_stop.set()
        for thread in warm:
            thread.join(timeout=60)
        time.sleep(1.0)
        _procs, pss, rss = memory(root)
        idle_start = (pss, rss)
        kinds_start = by_kind(root)
        tally, stop, paused, budget = Tally(), threading.Event(), threading.Event(), [args.requests]
        threads = [
            threading.Thread(target=client, args=(port, plan, i + 1, stop, budget, tally, lock))
            for i in range(args.clients)
        ]
        threads.append(threading.Thread(target=runaways, args=(port, stop, paused, tally)))
        began = time.monotonic()
        for thread in threads:
            thread.start()
        samples: list[tuple[float, float, float]] = []
        killed = ""
        while time.monotonic() - began < args.seconds and any(t.is_alive() for t in threads):
            _procs, pss, rss = memory(root)
            samples.append((time.monotonic() - began, pss, rss))
            if not killed and time.monotonic() - began >= args.seconds / 2:
                paused.set()  # no other runaway query meanwhile
                time.sleep(TIME_LIMIT + 0.5)
                killed = kill_mid_query(port, root, expected)
                paused.clear()
            time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - began
        time.sleep(1.0)
        _procs, pss, rss = memory(root)
        idle_end = (pss, rss)
        kinds_end = by_kind(root)
    total, failures = sum(tally.sent.values()), sum(tally.failed.values())
    print(f"{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s), {args.clients} clients")
    print(f"{'kind':<11} {'requests':>8} {'failed':>6}")
    for kind in sorted(tally.sent):
        print(f"{kind:<11} {tally.sent[kind]:>8} {tally.failed[kind]:>6}")
    for example in tally.examples:
        print("  failure:", example)
    start, end = idle_start[0], idle_end[0]
    peak = max(s[1] for s in samples)
    print(
        f"memory, PSS of the process tree: idle after warm-up {start:.1f} MB, largest of "
        f"{len(samples)} samples under load {peak:.1f}, idle at the end {end:.1f}: growth "
        f"{end - start:+.1f} MB (RSS {idle_start[1]:.1f} → {idle_end[1]:.1f})"
    )
    for kind, (n, mean, _anon) in sorted(kinds_end.items()):
        was = kinds_start.get(kind, (0, 0.0, 0.0))
        print(f"  {kind:<14} x{n}: mean PSS {was[1]:.1f} → {mean:.1f} MB")
    print(killed or "no kill: the run ended first")
    grew = end - start > args.max_growth
    return 1 if failures or grew or "FAILED" in killed or not killed else 0


if __name__ == "__main__":
    sys.exit(main())
