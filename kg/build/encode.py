"""Build stage "encode": read the hand-edited sources into graphs.

Reads ``ontology/**/*.ttl`` (minus the SHACL shapes), ``data/report/*.ttl`` and the report
text (through :mod:`kg.report`); returns one graph per role and remembers which file each
subject came from, so later stages can name the file in their errors. Writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.build.errors import BuildError
from kg.config import DATA_DIR, ONTOLOGY_DIR
from kg.namespaces import AUTHORED_BASE, Base
from kg.report import parse_report, report_graph

SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


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


def encode(base: Base, data_paths: Sequence[Path] | None = None) -> Sources:
    """Load every source into the ontology and asserted graphs (``data_paths`` replaces the
    instance-data files, for tests and checks of a single file)."""
    sources = Sources(Graph(), Graph())
    data = list(data_paths) if data_paths is not None else data_files()
    _merge(sources.ontology, ontology_files(), base, sources.origin)
    _merge(sources.asserted, data, base, sources.origin)
    structure = report_graph(parse_report(), base)
    for s in set(structure.subjects()):
        if isinstance(s, URIRef):
            sources.origin.setdefault(
                s, "data/source/hmic-crime-inspection-2014-leicestershire.txt"
            )
    sources.asserted += structure
    for prefix, ns in base.prefixes().items():
        sources.asserted.bind(prefix, ns, replace=True)
        sources.ontology.bind(prefix, ns, replace=True)
    return sources
