"""``kg build``: encode → provenance → reason → validate → write, each stage timed.

Reads the sources (``ontology/``, ``data/``); writes one release folder under
``out/releases/`` and then swaps the ``out/current`` symlink to it, so a reader never sees a
half-written dataset. Skips the work when no input changed since the current release.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph

from kg.config import DATA_DIR, ONTOLOGY_DIR, ROOT, Settings
from kg.namespaces import Base
from kg.pipeline import dumps
from kg.pipeline.derived import comparisons
from kg.pipeline.encode import CorpusReport, corpus_reports, encode
from kg.pipeline.errors import BuildError
from kg.pipeline.external import links_graph, peel_graph
from kg.pipeline.metadata import describe
from kg.pipeline.provenance import annotations
from kg.pipeline.reason import infer_scalable
from kg.pipeline.validate import validate

# Extra asserted graphs produced from external sources: (graph name, builder).
ExtraGraph = Callable[[Base], Graph]
EXTRA_GRAPHS: list[tuple[str, ExtraGraph]] = [("links", links_graph), ("peel2014", peel_graph)]


@dataclass
class BuildReport:
    """What a build did: per-stage seconds, triple counts and where it wrote."""

    release: Path | None = None
    skipped: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


def input_hash(settings: Settings, corpus_dir: Path | None = None) -> str:
    """A digest of everything the dataset is built from (sources, build code, base IRI, and
    the corpus folder when there is one)."""
    digest = hashlib.sha256(settings.base_iri.encode())
    roots = [ONTOLOGY_DIR, DATA_DIR, ROOT / "kg" / "pipeline", ROOT / "kg" / "report.py"]
    if corpus_dir is not None:
        roots.append(corpus_dir)
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            digest.update(str(name).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@contextmanager
def _stage(report: BuildReport, name: str, log: Callable[[str], None]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    report.seconds[name] = round(time.perf_counter() - start, 3)
    log(f"[{name}] {report.seconds[name]:.2f} s")


def build(
    settings: Settings,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    corpus_dir: Path | None = None,
) -> BuildReport:
    """Build the dataset into a new release and make it current (with the further reports of
    ``corpus_dir``, see :func:`kg.pipeline.encode.corpus_reports`, when given)."""
    report = BuildReport()
    base = Base(settings.base_iri)
    out = settings.output_dir
    corpus = corpus_reports(corpus_dir) if corpus_dir is not None else []
    if any(r.synthetic for r in corpus) and out.resolve() == (ROOT / "out").resolve():
        raise BuildError(
            "synthetic reports are never built into the project's dataset (out/): "
            "set HMIC_KG_OUTPUT_DIR to another folder"
        )
    digest = input_hash(settings, corpus_dir)
    current = out / "current"
    stats_file = current / "stats.json"
    if not force and stats_file.exists():
        if json.loads(stats_file.read_text()).get("input_hash") == digest:
            log(f"up to date: {current.resolve()} (use --force to rebuild)")
            report.skipped, report.release = True, current.resolve()
            return report

    total = time.perf_counter()
    graphs = assemble(base, report, log, corpus=corpus)
    graphs["metadata"] = describe(base, graphs)
    with _stage(report, "write", log):
        release = _write_release(out, graphs, base, digest, report)
    report.seconds["total"] = round(time.perf_counter() - total, 3)
    report.release = release
    _finish_stats(release, report)
    log(
        f"built {release} in {report.seconds['total']:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
    )
    return report


def assemble(
    base: Base,
    report: BuildReport,
    log: Callable[[str], None] = print,
    data_paths: Sequence[Path] | None = None,
    corpus: Sequence[CorpusReport] = (),
) -> dict[str, Graph]:
    """Run encode → provenance → reason → validate and return the named graphs by role
    (``data_paths`` replaces the instance-data files, for tests; ``corpus`` adds reports)."""
    with _stage(report, "encode", log):
        sources = encode(base, data_paths, corpus)
        sources.asserted += comparisons(base, sources.ontology, sources.asserted)
        extras = {name: builder(base) for name, builder in EXTRA_GRAPHS}
    with _stage(report, "provenance", log):
        notes = annotations(sources.ontology + sources.asserted, base, sources.origin)
    with _stage(report, "reason", log):
        inference = infer_scalable(sources.ontology, [sources.asserted, *extras.values()])
        report.dropped = dict(inference.dropped)
        log(
            f"  kept {len(inference.inferred):,} inferred triples; dropped "
            + ", ".join(f"{n:,} ({why})" for why, n in inference.dropped.most_common())
        )
    with _stage(report, "validate", log):
        union = sources.ontology + sources.asserted  # one copy, grown in place
        for graph in [*extras.values(), inference.inferred]:
            union += graph
        validate(sources.ontology, union, inference.errors, base, sources.origin)
        del union
        gc.collect()  # rdflib graphs hold reference cycles: free the copies before writing
    return {
        "ontology": sources.ontology,
        "asserted": sources.asserted,
        "annotations": notes,
        **extras,
        "inferred": inference.inferred,
    }


def _write_release(
    out: Path, graphs: dict[str, Graph], base: Base, digest: str, report: BuildReport
) -> Path:
    releases = out / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = releases / f"{stamp}-{digest[:8]}"
    tmp = releases / f".tmp-{final.name}"
    try:
        report.counts = {name: len(graph) for name, graph in graphs.items()}
        dumps.write_all(tmp, graphs, base)
        (tmp / "stats.json").write_text(
            json.dumps(
                {
                    "input_hash": digest,
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "base_iri": base.iri,
                    "graphs": {str(base.GRAPH[n]): c for n, c in report.counts.items()},
                    "triples": report.counts,
                    "dropped_inferences": report.dropped,
                    "facts": dumps.fact_counts(graphs, base),
                },
                indent=2,
            )
        )
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    link = out / f".current-{os.getpid()}.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("releases") / final.name)
    os.replace(link, out / "current")
    for old in sorted(p for p in releases.iterdir() if not p.name.startswith("."))[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _finish_stats(release: Path, report: BuildReport) -> None:
    stats_file = release / "stats.json"
    stats = json.loads(stats_file.read_text())
    stats["seconds"] = report.seconds
    tmp = stats_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(stats, indent=2))
    os.replace(tmp, stats_file)


__all__ = ["EXTRA_GRAPHS", "BuildError", "BuildReport", "assemble", "build", "input_hash"]
