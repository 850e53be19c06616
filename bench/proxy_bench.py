"""Benchmark: the app direct, through nginx with its cache off, and with it on, in one run.

Starts ``deploy/replicas.py`` (``--replicas`` kg serve processes behind nginx), then drives a
fixed mix of pages and SPARQL GETs (clients send ``Accept-Encoding: gzip``, as browsers do)
with wrk (Debian's ``wrk``; a small Python closed-loop client when it is missing) against one
replica directly, nginx's port with the cache off, and its port with the cache on, at 1 and 4
clients. Prints a table: throughput, p50 and p99 latency, and the share of answers nginx served
from its cache (``$upstream_cache_status`` in its access log). Bounded: ``--seconds`` per cell.

Usage: ``python bench/proxy_bench.py [--seconds 8] [--replicas 2]``
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPARQL = [
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
    "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 50",
    "ASK { ?s ?p ?o }",
]
PATHS = [
    "/",
    "/doc/force/leicestershire",
    "/forces",
    "/classes",
    "/charts",
    "/report",
    "/search?q=crime",
    "/def/hmic",
    "/.well-known/void",
    "/id/force/leicestershire",
    *("/sparql?" + urllib.parse.urlencode({"query": q}) for q in SPARQL),
]
HEADERS = {"Accept-Encoding": "gzip"}
LUA = """
local paths = {%s}
local tags = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  if tags[i] ~= "" then
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["If-None-Match"] = tags[i]
    return wrk.format("GET", paths[i], headers)
  end
  return wrk.format("GET", paths[i])
end
"""


def start_replicas(replicas: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``deploy/replicas.py`` running, and what it announced."""
    command = [sys.executable, str(ROOT / "deploy" / "replicas.py"), "--replicas", str(replicas)]
    process = subprocess.Popen(
        [*command, "--port", "0", "--no-watch"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    while not seen or seen[-1] != "ready":
        try:
            seen.append(lines.get(timeout=120))
        except queue.Empty:
            process.kill()
            raise SystemExit(f"replicas did not start: {seen}") from None
        if seen[-1].startswith("error"):
            raise SystemExit(seen[-1])
    text = "\n".join(seen)
    return process, {
        "direct": re.findall(r"replica (\S+) pid", text)[0],
        "nginx, cache off": re.search(r"nginx (\S+) cache off", text).group(1),
        "nginx, cache on": re.search(r"nginx (\S+) cache on", text).group(1),
        "run": re.search(r"run (\S+)", text).group(1),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def warm(base: str) -> list[str]:
    """Every URL of the mix twice (so nginx has stored each variant); their ETags."""
    tags = []
    for _ in range(2):
        tags = []
        for path in PATHS:
            request = urllib.request.Request(base + path, headers=HEADERS)
            try:
                with OPENER.open(request, timeout=60) as answer:
                    answer.read()
                    tags.append(answer.headers.get("ETag", ""))
            except urllib.error.HTTPError as redirect:  # the 303 of /id/…
                tags.append(redirect.headers.get("ETag", ""))
    return tags


def lua(tags: list[str] | None) -> str:
    """The wrk script cycling through the mix (sending ``tags`` as If-None-Match)."""
    quoted = ", ".join("'" + t.replace("'", "") + "'" for t in (tags or [""] * len(PATHS)))
    return LUA % (", ".join(f'"{p}"' for p in PATHS), quoted)


def run_wrk(base: str, clients: int, seconds: float, script: Path) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) from wrk."""
    command = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{round(seconds)}s", "--latency"]
    done = subprocess.run(
        [*command, "-H", "Accept-Encoding: gzip", "-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if "Socket errors" in done.stdout:
        print("  ! " + re.search(r"Socket errors.*", done.stdout).group(0), file=sys.stderr)
    if errors:
        print(f"  ! {errors.group(1)} answers were errors", file=sys.stderr)

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", done.stdout).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rate, percentile("50"), percentile("99")


def run_python(base: str, clients: int, seconds: float) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) from closed-loop Python clients."""
    netloc = urllib.parse.urlsplit(base).netloc
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(netloc, timeout=60)
        mine, i = [], offset
        while time.monotonic() < stop:
            began = time.perf_counter()
            connection.request("GET", PATHS[i % len(PATHS)], headers=HEADERS)
            connection.getresponse().read()
            mine.append(time.perf_counter() - began)
            i += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return (
        len(latencies) / seconds,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


def cache_statuses(log: Path, skip: int) -> list[str]:
    """The ``cache=`` field of nginx's access-log lines after the first ``skip``."""
    lines = log.read_text().splitlines()[skip:]
    return [m.group(1) for line in lines if (m := re.search(r"cache=(\S+)", line))]


def main() -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per cell (bounded: ≤ 15)")
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    seconds = min(args.seconds, 15.0)
    wrk = shutil.which("wrk")
    process, targets = start_replicas(args.replicas)
    log = Path(targets.pop("run")) / "access.log"
    folder = Path(tempfile.mkdtemp(prefix="proxy-bench-"))
    script, conditional = folder / "mix.lua", folder / "conditional.lua"
    script.write_text(lua(None), encoding="utf-8")
    rows = []
    try:
        order = ["direct", "direct, If-None-Match (304s)", "nginx, cache off", "nginx, cache on"]
        targets["direct, If-None-Match (304s)"] = targets["direct"]
        for name in order:
            base = targets[name]
            if "304" in name and not wrk:
                continue  # the Python clients send no validators
            tags = warm(base)
            if "304" in name:
                conditional.write_text(lua(tags), encoding="utf-8")
            for clients in (1, 4):
                mix = conditional if "304" in name else script
                before = len(log.read_text().splitlines())
                if wrk:
                    rate, p50, p99 = run_wrk(base, clients, seconds, mix)
                else:
                    rate, p50, p99 = run_python(base, clients, seconds)
                statuses = cache_statuses(log, before)
                hits = statuses.count("HIT")
                ratio = f"{hits / len(statuses):.1%}" if "cache on" in name and statuses else "–"
                rows.append((name, clients, rate, p50, p99, ratio))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    client = "wrk" if wrk else "Python closed-loop clients"
    print(
        f"\n{len(PATHS)} URLs (pages and SPARQL GETs, Accept-Encoding: gzip), {seconds:g} s per "
        f"cell, {client}; {args.replicas} replicas × 1 gunicorn worker behind nginx; "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| target | clients | requests/s | p50 ms | p99 ms | cache hits |")
    print("|---|---|---|---|---|---|")
    for name, clients, rate, p50, p99, ratio in rows:
        print(f"| {name} | {clients} | {rate:,.0f} | {p50:.2f} | {p99:.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
