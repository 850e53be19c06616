"""Competency questions: each ``tests/competency/*.rq`` file holds a question a researcher
would ask, the SPARQL that answers it from the built graph, and the expected answer; each is
asked of the embedded store and of a real Virtuoso (tests/virtuoso_server.py)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.namespaces import AUTHORED

CQ_DIR = Path(__file__).resolve().parent / "competency"
CQ_FILES = sorted(CQ_DIR.glob("*.rq"))
PREFIXES = AUTHORED.prefixes()


def parse_cq(path: Path) -> tuple[str, str, list[list[str]]]:
    """(question, query, expected table) of one competency-question file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    question = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# Question:")), ""
    )
    expected: list[str] = []
    in_expected = False
    for line in lines:
        if line.startswith("# Expected"):
            in_expected = True
            continue
        if in_expected:
            if not line.startswith("#"):
                break
            text = line[1:].strip()
            if text:
                expected.append(text)
    table = list(csv.reader(io.StringIO("\n".join(expected))))
    return question, "\n".join(lines), table


def normalise(value: str) -> object:
    """Compare values by meaning: IRIs expanded, numbers as decimals, text stripped."""
    value = value.strip()
    match = re.fullmatch(r"([A-Za-z][\w-]*):(\S*)", value)
    if match and match.group(1) in PREFIXES:
        return PREFIXES[match.group(1)] + match.group(2)
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    try:
        return Decimal(value).normalize()
    except InvalidOperation:
        return value


def term_value(term: object) -> object:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return normalise(str(term))
    return str(term)


def test_there_are_enough_competency_questions():
    assert len(CQ_FILES) >= 60, f"only {len(CQ_FILES)} competency questions"


@pytest.fixture(
    params=[
        pytest.param("store", id="embedded"),
        pytest.param("virtuoso_store", id="virtuoso", marks=pytest.mark.virtuoso),
    ]
)
def backend(request):
    """The store the questions are asked of."""
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("path", CQ_FILES, ids=[p.stem for p in CQ_FILES])
def test_competency_question(path: Path, backend):
    question, query, table = parse_cq(path)
    assert question, f"{path.name}: no '# Question:' line"
    assert table, f"{path.name}: no '# Expected:' table"
    result = backend.query(query, prefixes=PREFIXES)  # predeclared, as /sparql does
    if result.kind == "ask":
        assert table == [[str(result.boolean).lower()]], question
        return
    header, expected_rows = table[0], table[1:]
    assert result.variables == header or set(result.variables) == set(header), (
        f"{path.name}: projects {result.variables}, expected {header}"
    )
    actual = [tuple(term_value(row.get(v)) for v in header) for row in result.rows]
    expected = [tuple(normalise(c) for c in row) for row in expected_rows]
    if re.search(r"ORDER\s+BY", query, re.IGNORECASE):
        assert actual == expected, f"{question}\n got {actual}\nwant {expected}"
    else:
        assert sorted(map(repr, actual)) == sorted(map(repr, expected)), (
            f"{question}\n got {actual}\nwant {expected}"
        )
