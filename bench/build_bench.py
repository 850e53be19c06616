"""Benchmark the build: time each stage over a few runs and print a table, with the triple
counts and facts by kind of the last run.

    .venv/bin/python bench/build_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from kg.config import load_settings
from kg.pipeline.build import build

STAGES = ("encode", "provenance", "reason", "validate", "write", "total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(output_dir=Path(tmp))
        for _ in range(args.runs):
            report = build(settings, force=True, log=lambda _m: None)
            for stage in STAGES:
                times[stage].append(report.seconds[stage])
        stats = json.loads((settings.dataset_dir / "stats.json").read_text())
    print(f"build stages over {args.runs} run(s), seconds")
    print(f"{'stage':<12}{'median':>10}{'min':>10}{'max':>10}")
    for stage in STAGES:
        values = times[stage]
        print(
            f"{stage:<12}{statistics.median(values):>10.2f}{min(values):>10.2f}{max(values):>10.2f}"
        )
    print()
    print(f"{'graph':<14}{'triples':>10}")
    for graph, count in stats["triples"].items():
        print(f"{graph:<14}{count:>10,}")
    print()
    print(f"{'facts':<22}{'count':>8}")
    for kind, count in stats["facts"].items():
        print(f"{kind:<22}{count:>8,}")
    print()
    print(
        "dropped inferences:",
        ", ".join(f"{k}: {v:,}" for k, v in stats["dropped_inferences"].items()),
    )


if __name__ == "__main__":
    main()
