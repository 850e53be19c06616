"""Benchmark: the real build plus N synthetic reports, per stage, time and peak memory.

For each N, writes N synthetic reports (bench/corpus.py) into a temporary folder and runs the
real ``kg build --corpus`` pipeline on them in a fresh process, into a temporary output
folder; a sampler thread reads the process's resident memory every 10 ms, so each stage gets
the peak reached while it ran, and the process CPU time of each stage is kept too (steadier
than wall time on a busy machine). Prints one table row per N and stage, then the graph sizes
(the closure is the ``inferred`` graph). Each N has a wall-time bound (``--timeout``).

Usage: ``python bench/corpus_bench.py [--sizes 1,10,43,100] [--timeout 600]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("encode", "provenance", "reason", "validate", "write")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


def worker(count: int, folder: Path, out: Path) -> dict[str, object]:
    """Generate and build one corpus in this process; return timings, peaks and counts."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import generate

    from kg.config import load_settings
    from kg.pipeline.build import build

    generate(count, folder)
    samples: list[tuple[float, int]] = []
    running = True

    def sample() -> None:
        while running:
            samples.append((time.perf_counter(), _rss()))
            time.sleep(0.01)

    ends: dict[str, float] = {}
    cpu_ends: dict[str, float] = {}

    def log(line: str) -> None:
        if line.startswith("[") and "]" in line:
            ends[line[1 : line.index("]")]] = time.perf_counter()
            cpu_ends[line[1 : line.index("]")]] = time.process_time()

    thread = threading.Thread(target=sample, daemon=True)
    start, cpu_start = time.perf_counter(), time.process_time()
    thread.start()
    report = build(load_settings(output_dir=str(out)), force=True, log=log, corpus_dir=folder)
    running = False
    thread.join()
    peaks, cpu, previous, cpu_previous = {}, {}, start, cpu_start
    for stage in STAGES:
        end = ends.get(stage, previous)
        inside = [rss for t, rss in samples if previous <= t <= end]
        peaks[stage] = max(inside, default=0)
        cpu[stage] = cpu_ends.get(stage, cpu_previous) - cpu_previous
        previous, cpu_previous = end, cpu_ends.get(stage, cpu_previous)
    cpu["total"] = time.process_time() - cpu_start
    return {"seconds": report.seconds, "cpu": cpu, "peaks": peaks, "counts": report.counts}


def run(count: int, timeout: float) -> dict[str, object] | None:
    """One N in a fresh process (so peaks do not carry over); None when it timed out."""
    with tempfile.TemporaryDirectory(prefix="hmic-corpus-") as tmp:
        cmd = [sys.executable, __file__, "--worker", str(count), tmp]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return None
        except subprocess.CalledProcessError as exc:
            sys.stderr.write(exc.stderr[-2000:])
            raise
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the stage × N table and the graph sizes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,43,100")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per N")
    parser.add_argument("--worker", nargs=2, metavar=("N", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        count, folder = int(args.worker[0]), Path(args.worker[1])
        result = worker(count, folder / "corpus", folder / "out")
        print(json.dumps(result))
        return
    sizes = [int(n) for n in args.sizes.split(",")]
    results = {}
    print("| N | stage | wall s | CPU s | peak RSS MB |")
    print("|---:|---|---:|---:|---:|")
    for count in sizes:
        result = run(count, args.timeout)
        if result is None:
            print(f"| {count} | (timed out after {args.timeout:.0f} s) | | | |", flush=True)
            continue
        results[count] = result
        seconds, cpu, peaks = result["seconds"], result["cpu"], result["peaks"]
        for stage in (*STAGES, "total"):
            peak = max(peaks.values()) if stage == "total" else peaks[stage]  # type: ignore[attr-defined]
            wall, used = seconds.get(stage, 0), cpu.get(stage, 0)  # type: ignore[attr-defined]
            print(
                f"| {count} | {stage} | {wall:.2f} | {used:.2f} | {peak / 2**20:.0f} |", flush=True
            )
    if results:
        names = list(next(iter(results.values()))["counts"])  # type: ignore[call-overload]
        print()
        print("| N | " + " | ".join(names) + " |")
        print("|---:|" + "---:|" * len(names))
        for count, result in results.items():
            counts = result["counts"]
            print(f"| {count} | " + " | ".join(f"{counts[n]:,}" for n in names) + " |")  # type: ignore[index]


if __name__ == "__main__":
    main()
