"""Benchmark: hmic-kg's SPARQL endpoint (``kg serve``) side by side with Oxigraph's server.

Starts ``kg serve`` and ``oxigraph serve-read-only`` on free 127.0.0.1 ports, both over the
current build (``out/current/dataset.nq``; Oxigraph's copy is loaded into a temporary
directory and given the same default graph, the merge of the named graphs), checks that both
give the same number of results for every query, then drives both with the same mix of real
queries (resource lookup, judgments per question, GROUP BY statistics, property paths, a text
filter, DESCRIBE and CONSTRUCT of a resource, OPTIONAL joins, ORDER BY … LIMIT) over HTTP
keep-alive connections at 1 and 4 concurrent clients (one process each). Prints p50 / p99
latency and throughput of each server and hmic-kg's ratios. Targets: throughput at least half
of Oxigraph's, p50 at most twice Oxigraph's, at each concurrency.

With ``--engines`` it also times each query in-process on the two candidate embedded engines
(rdflib's SPARQL engine and pyoxigraph) over the same dataset — the measurement the embedded
engine was chosen by. Bounded: each run stops after ``--seconds`` or ``--requests``.

    .venv/bin/python bench/sparql_bench.py                 # about a minute on 2 cores
    .venv/bin/python bench/sparql_bench.py --seconds 3 --engines
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "out" / "current" / "dataset.nq"
OXIGRAPH = Path(sys.executable).with_name("oxigraph")
MERGE = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"

P = """PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
PREFIX force: <https://w3id.org/hmic-kg/id/force/>
PREFIX initiative: <https://w3id.org/hmic-kg/id/initiative/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""
JSON = "application/sparql-results+json"
NT = "application/n-triples"
QUERIES = [
    (
        "lookup",
        P + "SELECT ?p ?o WHERE { force:leicestershire ?p ?o }",
        JSON,
    ),
    (
        "judgments",
        P
        + """SELECT ?question ?grade WHERE {
  ?j a hmic:Judgment ; hmic:question ?question ; hmic:grade ?grade ;
     hmic:judgedForce force:leicestershire } ORDER BY ?question""",
        JSON,
    ),
    (
        "group-by",
        P
        + """SELECT ?question ?grade (COUNT(?j) AS ?forces) WHERE {
  ?j a hmic:Judgment ; hmic:question ?question ; hmic:grade ?grade }
GROUP BY ?question ?grade ORDER BY ?question DESC(?forces)""",
        JSON,
    ),
    (
        "path",
        P
        + """SELECT ?unit ?label WHERE {
  ?unit org:subOrganizationOf+ force:leicestershire . OPTIONAL { ?unit rdfs:label ?label } }""",
        JSON,
    ),
    (
        "subclasses",
        P + "SELECT ?s WHERE { ?s a ?c . ?c rdfs:subClassOf* hmic:Finding }",
        JSON,
    ),
    (
        "text",
        P
        + """SELECT ?passage ?text WHERE { ?passage a hmic:Paragraph ; hmic:text ?text
  FILTER (CONTAINS(LCASE(?text), "domestic abuse")) }""",
        JSON,
    ),
    (
        "describe",
        P + "DESCRIBE initiative:street-drinking-orders",
        NT,
    ),
    (
        "construct",
        P
        + """CONSTRUCT { force:leicestershire ?p ?o . ?o rdfs:label ?label }
WHERE { force:leicestershire ?p ?o OPTIONAL { ?o rdfs:label ?label } }""",
        NT,
    ),
    (
        "optional",
        P
        + """SELECT ?finding ?label ?topic ?passage WHERE { ?finding a hmic:Finding
  OPTIONAL { ?finding rdfs:label ?label } OPTIONAL { ?finding hmic:topic ?topic }
  OPTIONAL { ?finding hmic:statedIn ?passage } }""",
        JSON,
    ),
    (
        "top-values",
        P
        + """SELECT ?observation ?value WHERE { ?observation a qb:Observation ;
  sdmx-measure:obsValue ?value } ORDER BY DESC(?value) LIMIT 10""",
        JSON,
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(host: str, port: int, path: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", path + "?query=" + urllib.parse.quote("ASK {}"))
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no answer from {host}:{port}{path}")


@contextmanager
def kg_server(workers: int, result_cache: bool) -> Iterator[tuple[int, str, int]]:
    port = free_port()
    env = {**os.environ, "HMIC_KG_RESULT_CACHE_ENTRIES": "256" if result_cache else "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up("127.0.0.1", port, "/sparql")
        yield port, "/sparql", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def oxigraph_server() -> Iterator[tuple[int, str, int]]:
    with tempfile.TemporaryDirectory(prefix="sparql-bench-") as tmp:
        location = str(Path(tmp) / "db")
        for args in (
            ["load", "--location", location, "--file", str(DATASET)],
            ["update", "--location", location, "--update", MERGE],
        ):
            subprocess.run([str(OXIGRAPH), *args], check=True, capture_output=True, timeout=300)
        port = free_port()
        proc = subprocess.Popen(
            [
                str(OXIGRAPH),
                "serve-read-only",
                "--location",
                location,
                "--bind",
                f"127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up("127.0.0.1", port, "/query")
            yield port, "/query", proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _request(conn: http.client.HTTPConnection, path: str, query: str, accept: str) -> bytes:
    conn.request("GET", path + "?query=" + urllib.parse.quote(query), headers={"Accept": accept})
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{answer.status}: {body[:300]!r}")
    return body


def result_size(body: bytes, accept: str) -> int:
    if accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    return len(set(body.decode().splitlines()))


def client(args: tuple[int, str, int, float, int]) -> list[tuple[str, float]]:
    """One client process: its own keep-alive connection, the query mix in turn."""
    port, path, start, seconds, cap = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[tuple[str, float]] = []
    deadline = time.perf_counter() + seconds
    i = start
    while time.perf_counter() < deadline and len(latencies) < cap:
        name, query, accept = QUERIES[i % len(QUERIES)]
        began = time.perf_counter()
        _request(conn, path, query, accept)
        latencies.append((name, time.perf_counter() - began))
        i += 1
    conn.close()
    return latencies


def cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def measure(
    servers: dict[str, tuple[int, str, int]], clients: int, seconds: float, cap: int, slices: int
) -> dict[str, dict[str, float]]:
    """Each server in turn for ``slices`` short runs (so both see the same background load),
    with ``clients`` client processes; latency percentiles, throughput, server CPU time."""
    found: dict[str, dict[str, Any]] = {
        label: {"latencies": [], "wall": 0.0, "cpu": 0.0} for label in servers
    }
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        for port, path, _pid in servers.values():  # warm up
            pool.map(client, [(port, path, i, 1.0, len(QUERIES)) for i in range(clients)])
        for turn in range(slices):
            order = list(servers.items())
            for label, (port, path, pid) in order if turn % 2 == 0 else order[::-1]:
                cpu = cpu_seconds(pid)
                began = time.perf_counter()
                jobs = [(port, path, i, seconds / slices, cap // clients) for i in range(clients)]
                results = pool.map(client, jobs)
                found[label]["wall"] += time.perf_counter() - began
                found[label]["cpu"] += cpu_seconds(pid) - cpu
                found[label]["latencies"] += [x for r in results for x in r]
    out = {}
    for label, data in found.items():
        latencies = sorted(x for _name, x in data["latencies"])
        per_query = {
            name: statistics.median(x for n, x in data["latencies"] if n == name) * 1000
            for name, _q, _a in QUERIES
        }
        out[label] = {
            "per_query": per_query,  # type: ignore[dict-item]
            "requests": len(latencies),
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000,
            "throughput": len(latencies) / data["wall"],
            "cpu": data["cpu"] / len(latencies) * 1000,
        }
    return out


def check_same_answers(servers: dict[str, tuple[int, str, int]]) -> None:
    sizes: dict[str, dict[str, int]] = {}
    for label, (port, path, _pid) in servers.items():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sizes[label] = {n: result_size(_request(conn, path, q, a), a) for n, q, a in QUERIES}
        conn.close()
    first, *others = sizes.values()
    for other in others:
        if other != first:
            raise SystemExit(f"the servers disagree on result sizes: {sizes}")
    print("same result sizes on both servers:", ", ".join(f"{k} {v}" for k, v in first.items()))


def engines(repeats: int, budget: float) -> None:
    """Each query in-process on rdflib's engine and on pyoxigraph, same data."""
    import pyoxigraph as ox
    from rdflib import Dataset

    sys.path.insert(0, str(ROOT))
    from kg.sparql.worker import load

    oxi = load(DATASET)
    rdf = Dataset(default_union=True)
    rdf.parse(DATASET, format="nquads")
    print(f"\nembedded engines, in-process, median of up to {repeats} runs (ms):")
    print(f"{'query':<12} {'rdflib':>10} {'pyoxigraph':>11} {'ratio':>8}")
    for name, query, _accept in QUERIES:
        times = {}
        for label, run in (
            ("rdflib", lambda q=query: len(list(rdf.query(q)))),
            (
                "pyoxigraph",
                lambda q=query: (
                    len(list(oxi.query(q))) if not isinstance(oxi.query(q), ox.QueryBoolean) else 1
                ),
            ),
        ):
            spent: list[float] = []
            stop = time.perf_counter() + budget
            while len(spent) < repeats and time.perf_counter() < stop:
                began = time.perf_counter()
                run()
                spent.append(time.perf_counter() - began)
            times[label] = statistics.median(spent) * 1000
        ratio = times["rdflib"] / times["pyoxigraph"]
        print(f"{name:<12} {times['rdflib']:>10.2f} {times['pyoxigraph']:>11.3f} {ratio:>7.0f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per server and concurrency")
    parser.add_argument("--slices", type=int, default=4, help="alternating runs per server")
    parser.add_argument("--requests", type=int, default=50000, help="cap per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--workers", type=int, default=2, help="kg serve worker processes")
    parser.add_argument("--engines", action="store_true", help="also time rdflib vs pyoxigraph")
    parser.add_argument(
        "--result-cache",
        choices=["off", "on"],
        default="off",
        help="hmic-kg's cache of answers (off: compare the engines; on: as deployed)",
    )
    args = parser.parse_args()
    if not DATASET.exists():
        raise SystemExit(f"no dataset at {DATASET}: run `kg build`")
    print(f"hmic-kg result cache: {args.result_cache}")
    with kg_server(args.workers, args.result_cache == "on") as kg, oxigraph_server() as oxigraph:
        servers = {"hmic-kg": kg, "oxigraph": oxigraph}
        check_same_answers(servers)
        print(
            f"\n{len(QUERIES)} queries in turn; {args.seconds:g} s per server and concurrency, "
            f"in {args.slices} alternating slices"
        )
        print(
            f"{'clients':>7} {'server':<9} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'req/s':>8} {'CPU ms/req':>10}"
        )
        rows = []
        for clients in args.concurrency:
            found = measure(servers, clients, args.seconds, args.requests, args.slices)
            for label, r in found.items():
                print(
                    f"{clients:>7} {label:<9} {r['requests']:>8.0f} {r['p50']:>8.2f} "
                    f"{r['p99']:>8.2f} {r['throughput']:>8.0f} {r['cpu']:>10.2f}"
                )
            rows.append((clients, found))
        print("\np50 per query (ms), hmic-kg / oxigraph:")
        for clients, found in rows:
            ours, theirs = found["hmic-kg"]["per_query"], found["oxigraph"]["per_query"]
            cells = [f"{n} {ours[n]:.2f}/{theirs[n]:.2f}" for n in ours]  # type: ignore[index]
            print(f"{clients} clients: " + ", ".join(cells))
        print("\nhmic-kg / oxigraph (targets: p50 ratio <= 2, throughput ratio >= 0.5)")
        for clients, found in rows:
            ours, theirs = found["hmic-kg"], found["oxigraph"]
            p50 = ours["p50"] / theirs["p50"]
            tput = ours["throughput"] / theirs["throughput"]
            verdict = "met" if p50 <= 2 and tput >= 0.5 else "NOT met"
            print(f"{clients} clients: p50 x{p50:.2f}, throughput x{tput:.2f} — {verdict}")
    if args.engines:
        engines(repeats=20, budget=5.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
