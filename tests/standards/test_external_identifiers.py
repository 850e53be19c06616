"""Every verified identifier that data/external/SOURCES.md lists for the report's own entities
(its table, a copy of the shared data README) is in the links graph."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal

from kg.config import Settings
from kg.pipeline.external import EXTERNAL

TABLE_HEADING = "## Identifiers for the report's own entities"
# How each kind of identifier in the table is written, and how it appears in the graph.
PATTERNS = {
    "ONS code": (r"\b[EWK]\d{8}\b", "http://statistics.data.gov.uk/id/statistical-geography/"),
    "Wikidata item": (r"\bQ\d+\b", "http://www.wikidata.org/entity/"),
    "web address": (r"https?://[^\s`|]+", ""),
    "ISBN": (r"ISBN [\d-]+", None),
}


def table_rows() -> list[tuple[str, str, str]]:
    """(entity, identifier, confidence) of each row of the table in SOURCES.md."""
    text = (EXTERNAL / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split(TABLE_HEADING, 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in section.strip().splitlines()[2:]:  # skip the header and the rule
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def identifiers(cell: str) -> list[tuple[str, str | None]]:
    """(identifier, graph form) of each identifier written in a cell."""
    found = []
    for _kind, (pattern, namespace) in PATTERNS.items():
        for match in re.findall(pattern, cell):
            if namespace == "" or "://" in match:
                found.append((match, match))
            elif namespace is None:
                found.append((match, None))
            else:
                found.append((match, namespace + match))
    return found


@pytest.fixture(scope="module")
def links(settings: Settings) -> Graph:
    return Graph().parse(settings.dataset_dir / "dumps" / "links.ttl")


def test_the_table_is_read() -> None:
    rows = table_rows()
    assert len(rows) >= 12
    assert ("Rutland (unitary authority)", "E06000017", "high") in rows


@pytest.mark.parametrize(("entity", "cell", "_confidence"), table_rows())
def test_every_listed_identifier_is_linked(
    links: Graph, entity: str, cell: str, _confidence: str
) -> None:
    found = identifiers(cell)
    assert found, f"{entity}: no identifier recognised in {cell!r}"
    terms = {str(o) for o in links.objects()} | {str(s) for s in links.subjects()}
    literals = {str(o) for o in links.objects() if isinstance(o, Literal)}
    for identifier, form in found:
        if form is None or not form.startswith("http"):
            assert any(identifier in text for text in literals), f"{entity}: {identifier}"
        else:
            assert form in terms, f"{entity}: {form}"
