"""Benchmark: ``kg serve`` against ``oxigraph serve`` on the generic 27-query mix
(:mod:`query_mix`), with hmic-kg's answer cache on and off, with its default engine (a copy of
the data in memory per server process) and over the shared on-disk store (``query-store =
"shared"``), before and after (an older commit's code, ``--before``, run over this tree's
release), in one run.

Every server is started on 127.0.0.1 at once (``kg serve`` with its default two server
processes); after checking that all return the same number of results for each query, each
is driven in turn by ``wrk`` (Debian's package; closed loop, keep-alive connections, the 27
queries in rotation) at 1 and at 4 connections, in alternating slices so all see the same
background load. Prints throughput, p50 and p99 per server and concurrency, the ratios to
Oxigraph (targets, cache off: throughput ≥ ×0.8 at 1 and 4 clients, p99 at 4 clients ≤ ×1.5),
and each server's resident memory (PSS and RSS of its process tree) at the end. Bounded:
``--seconds`` per server and concurrency (default 6: about 90 s in all).

    .venv/bin/python bench/mix_bench.py
    .venv/bin/python bench/mix_bench.py --seconds 4 --before none   # this code only
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from query_mix import JSON, Query, derive, open_release
from serving import ROOT, Served, kg_serve, memory, oxigraph_serve, source_tree

BEFORE = "e6f8f3f"  # the last commit with a query worker process (and a copy) per query

LUA = """
local paths = {%(paths)s}
local accepts = {%(accepts)s}
local i = 0
function init(args)
  i = tonumber(args[1]) or 0
end
function request()
  i = i + 1
  local k = (i %% #paths) + 1
  return wrk.format("GET", paths[k], { ["Accept"] = accepts[k] })
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%f %%f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _lua(endpoint: str, mix: list[Query]) -> str:
    paths = [f"{endpoint}?query={urllib.parse.quote(q.text)}" for q in mix]
    return LUA % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "accepts": ", ".join(json.dumps(q.accept) for q in mix),
    }


def _count(body: bytes, accept: str) -> int:
    if accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    return len({line for line in body.decode().splitlines() if line.strip()})


def check_same_answers(servers: dict[str, tuple[Served, str]], mix: list[Query]) -> None:
    """Every server returns the same number of results for every query."""
    found: dict[str, list[int]] = {}
    for label, (served, endpoint) in servers.items():
        counts = []
        for q in mix:
            request = urllib.request.Request(
                f"{served.url}{endpoint}?query={urllib.parse.quote(q.text)}",
                headers={"Accept": q.accept},
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                counts.append(_count(answer.read(), q.accept))
        found[label] = counts
    first = next(iter(found.values()))
    for label, counts in found.items():
        if counts != first:
            raise SystemExit(f"{label} disagrees on result sizes: {counts} against {first}")
    print(f"same result sizes on all {len(servers)} servers: {sum(first)} rows in all")


def wrk(
    url: str, script: Path, clients: int, seconds: float
) -> tuple[int, int, float, float, float]:
    """(requests, errors, seconds, p50 ms, p99 ms) of one wrk run."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, errors, micros, p50, p99 = line.split()[1:]
    return int(n), int(errors), int(micros) / 1e6, float(p50) / 1000, float(p99) / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per server and concurrency")
    parser.add_argument("--slices", type=int, default=2, help="alternating runs per server")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--before",
        default=BEFORE,
        help=f"git revision to compare with (default {BEFORE}: a process per query); 'none'",
    )
    parser.add_argument(
        "--shared",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run this code with query-store = shared (the on-disk store)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    release = open_release()
    mix = derive(release)
    del release
    before = args.before
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="kg-wrk-") as tmp:
        servers: dict[str, tuple[Served, str]] = {}
        configs = [  # (label, source tree, settings)
            ("after, cache off", ROOT, {"RESULT_CACHE_ENTRIES": "0"}),
            ("after, cache on", ROOT, {"RESULT_CACHE_ENTRIES": "256"}),
        ]
        if args.shared:
            configs.append(
                (
                    "after, shared store, cache off",
                    ROOT,
                    {"RESULT_CACHE_ENTRIES": "0", "QUERY_STORE": "shared"},
                )
            )
        if before and before != "none":
            tree = stack.enter_context(source_tree(before))
            configs += [
                (f"before {before}, cache off", tree, {"RESULT_CACHE_ENTRIES": "0"}),
                (f"before {before}, cache on", tree, {"RESULT_CACHE_ENTRIES": "256"}),
            ]
        for name, code, settings in configs:
            env = {f"HMIC_KG_{k}": v for k, v in settings.items()}
            served = stack.enter_context(kg_serve(env=env, code=code))
            servers[f"hmic-kg {name}"] = (served, "/sparql")
        servers["oxigraph serve"] = (stack.enter_context(oxigraph_serve()), "/query")
        check_same_answers(servers, mix)
        scripts = {}
        for label, (_served, endpoint) in servers.items():
            scripts[label] = Path(tmp) / f"{len(scripts)}.lua"
            scripts[label].write_text(_lua(endpoint, mix))
        for label, (served, _endpoint) in servers.items():  # warm up: one pass of the mix
            wrk(served.url, scripts[label], 1, 1)
        results: dict[tuple[str, int], list[tuple[int, int, float, float, float]]] = {}
        for clients in args.concurrency:
            for turn in range(args.slices):
                order = list(servers.items())
                for label, (served, _e) in order if turn % 2 == 0 else order[::-1]:
                    run = wrk(served.url, scripts[label], clients, args.seconds / args.slices)
                    results.setdefault((label, clients), []).append(run)
        memories = {label: memory(served.process.pid) for label, (served, _e) in servers.items()}
    print(
        f"\n{len(mix)} queries in rotation (wrk, keep-alive), {args.seconds:g} s per server "
        f"and concurrency in {args.slices} alternating slices"
    )
    header = f"{'server':<40} {'clients':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
    print(header + f" {'×oxigraph q/s':>13} {'p99':>6}")
    summary: dict[tuple[str, int], tuple[float, float, float]] = {}
    for (label, clients), runs in results.items():
        n = sum(r[0] for r in runs)
        seconds = sum(r[2] for r in runs)
        p50 = max(r[3] for r in runs)
        p99 = max(r[4] for r in runs)  # the worse slice: conservative
        summary[(label, clients)] = (n / seconds, p50, p99)
    for (label, clients), (rate, p50, p99) in sorted(summary.items(), key=lambda x: x[0][1]):
        ox_rate, _p50, ox_p99 = summary[("oxigraph serve", clients)]
        errors = sum(r[1] for r in results[(label, clients)])
        print(
            f"{label:<40} {clients:>7} {rate:>8.0f} {p50:>7.2f} {p99:>7.2f} {errors:>6} "
            f"{rate / ox_rate:>12.2f}× {p99 / ox_p99:>5.2f}×"
        )
    print(f"\n{'server':<40} {'processes':>9} {'PSS MB':>7} {'RSS MB':>7}")
    for label, (procs, pss, rss) in memories.items():
        print(f"{label:<40} {procs:>9} {pss:>7.1f} {rss:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
