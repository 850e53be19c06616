"""Build stage "encode": read the hand-edited sources into graphs.

Reads ``ontology/**/*.ttl`` (minus the SHACL shapes), ``data/report/*.ttl`` and the report
text (through :mod:`kg.report`), and any further reports of a corpus folder (one subfolder
per report: ``report.json`` naming the report's IRI, its text and its Turtle files); returns
one graph per role and remembers which file each subject came from, so later stages can name
the file in their errors. Writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.config import DATA_DIR, ONTOLOGY_DIR, SOURCE_TEXT
from kg.namespaces import AUTHORED_BASE, Base
from kg.pipeline.errors import BuildError
from kg.report import parse_report, report_graph

SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
MANIFEST = "report.json"
# Synthetic reports (bench/corpus.py) name everything below {base}synthetic/{report}/id/.
SYNTHETIC_PATH = "synthetic/"


def id_namespace(base: Base, node: URIRef) -> str:
    """The ``…/id/`` namespace a node belongs to: its synthetic report's, or the project's."""
    text, root = str(node), base.iri + SYNTHETIC_PATH
    if text.startswith(root):
        head, sep, _rest = text[len(root) :].partition("/id/")
        if sep:
            return f"{root}{head}/id/"
    return str(base.ID)


@dataclass(frozen=True)
class CorpusReport:
    """One report of a corpus folder: its IRI (as authored), text and Turtle files."""

    folder: Path
    iri: str
    text: Path
    data: tuple[Path, ...]
    synthetic: bool = False

    def rebased(self, base: Base) -> URIRef:
        """The report's IRI under the configured base."""
        return URIRef(base.iri + self.iri[len(AUTHORED_BASE) :])


def corpus_reports(folder: Path) -> list[CorpusReport]:
    """The reports of a corpus folder, in folder order; a missing or malformed manifest is a
    :class:`BuildError` naming it."""
    if not folder.is_dir():
        raise BuildError(f"{folder}: the corpus folder does not exist")
    reports = []
    for manifest in sorted(folder.glob(f"*/{MANIFEST}")):
        try:
            entry = json.loads(manifest.read_text(encoding="utf-8"))
            iri, text, data = str(entry["report"]), str(entry["text"]), list(entry["data"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BuildError(f"{manifest}: not a report manifest ({exc})") from None
        if not iri.startswith(AUTHORED_BASE):
            raise BuildError(f"{manifest}: the report IRI must start with {AUTHORED_BASE}")
        here = manifest.parent
        files = tuple(here / d for d in data)
        synthetic = entry.get("synthetic") is True or iri.startswith(AUTHORED_BASE + SYNTHETIC_PATH)
        reports.append(CorpusReport(here, iri, here / text, files, synthetic))
    return reports


@dataclass
class Sources:
    """The graphs the build starts from, by role, and where each subject was written."""

    ontology: Graph
    asserted: Graph
    origin: dict[URIRef, str] = field(default_factory=dict)


def ontology_files() -> list[Path]:
    """The ontology and its code lists (not the shapes)."""
    return sorted(p for p in ONTOLOGY_DIR.rglob("*.ttl") if p != SHAPES_FILE)


def data_files() -> list[Path]:
    """The hand-written instance data."""
    return sorted((DATA_DIR / "report").glob("*.ttl"))


def parse_turtle(path: Path, base: Base) -> Graph:
    """Parse one Turtle file, rebased onto ``base``; a syntax error names the file and line."""
    text = path.read_text(encoding="utf-8")
    if base.iri != AUTHORED_BASE:
        text = text.replace(AUTHORED_BASE, base.iri)
    graph = Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=base.iri)
    except (BadSyntax, ParserError, ValueError) as exc:
        raise BuildError(f"{_rel(path)}: does not parse: {exc}") from None
    return graph


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent))
    except ValueError:
        return str(path)


def _merge(target: Graph, files: Iterable[Path], base: Base, origin: dict[URIRef, str]) -> None:
    for path in files:
        graph = parse_turtle(path, base)
        for prefix, ns in graph.namespaces():
            target.bind(prefix, ns, replace=True)
        for s in set(graph.subjects()):
            if isinstance(s, URIRef):
                origin.setdefault(s, _rel(path))
        target += graph


def _add_structure(sources: Sources, structure: Graph, text: Path) -> None:
    for s in set(structure.subjects()):
        if isinstance(s, URIRef):
            sources.origin.setdefault(s, _rel(text))
    sources.asserted += structure


def encode(
    base: Base,
    data_paths: Sequence[Path] | None = None,
    corpus: Sequence[CorpusReport] = (),
) -> Sources:
    """Load every source into the ontology and asserted graphs (``data_paths`` replaces the
    instance-data files, for tests and checks of a single file; ``corpus`` adds reports, each
    with passages named below its own IRI)."""
    sources = Sources(Graph(), Graph())
    data = list(data_paths) if data_paths is not None else data_files()
    _merge(sources.ontology, ontology_files(), base, sources.origin)
    _merge(sources.asserted, data, base, sources.origin)
    _add_structure(sources, report_graph(parse_report(), base), SOURCE_TEXT)
    for report in corpus:
        _merge(sources.asserted, report.data, base, sources.origin)
        structure = report_graph(parse_report(report.text), base, report.rebased(base))
        _add_structure(sources, structure, report.text)
    for prefix, ns in base.prefixes().items():
        sources.asserted.bind(prefix, ns, replace=True)
        sources.ontology.bind(prefix, ns, replace=True)
    return sources
