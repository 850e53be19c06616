"""docs/guide.md is executed: each worked example runs on ``/sparql`` without PREFIX lines (the
endpoint predeclares them), names no term the dataset lacks, and answers with the lines its
``output`` block shows (CSV, IRIs as prefixed names), in that order; every term the guide
names in the project's vocabulary exists."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from kg.namespaces import Base
from kg.sparql.prefixes import predeclared
from kg.sparql.unknown import KnownTerms, named_iris

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _examples() -> list[tuple[str, list[str]]]:
    blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(GUIDE.read_text("utf-8"))]
    found = []
    for i, (kind, text) in enumerate(blocks):
        if kind == "sparql":
            assert blocks[i + 1][0] == "output", f"example {len(found) + 1} has no output"
            found.append((text, blocks[i + 1][1].splitlines()))
    return found


EXAMPLES = _examples()


def test_the_guide_has_twenty_examples_without_prefix_lines():
    assert len(EXAMPLES) >= 20
    assert not any(re.search(r"^\s*PREFIX", q, re.I | re.M) for q, _ in EXAMPLES)


@pytest.mark.parametrize(
    ("query", "lines"), EXAMPLES, ids=[f"ex{i + 1}" for i in range(len(EXAMPLES))]
)
def test_a_worked_example_answers_what_the_guide_shows(client, settings, query, lines):
    answer = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "X-Unknown-Terms" not in answer.headers, answer.headers["X-Unknown-Terms"]
    base = Base(settings.base_iri)
    rows = [
        ",".join((base.curie(cell) or cell) if cell.startswith("http") else cell for cell in row)
        for row in csv.reader(io.StringIO(answer.get_data(as_text=True)))
    ]
    assert rows[: len(lines)] == lines


def test_every_project_term_the_guide_names_exists(store, settings):
    known = KnownTerms.load(store, settings.base_iri, settings.query_timeout)
    names = set(re.findall(r"`([a-z][\w-]*:[A-Za-z][\w-]*)`", GUIDE.read_text("utf-8")))
    for text in re.findall(r"`([^`]+)`", GUIDE.read_text("utf-8")):
        names.update(re.findall(r"\b(hmic:[A-Za-z]\w*)", text))
    names.remove("hmic:Judgement")  # the guide's example of a misspelt term
    iris = named_iris(" ".join(sorted(names)), predeclared(settings.base_iri))
    assert known.unknown(iris) == []
    misspelt = named_iris("hmic:Judgement", predeclared(settings.base_iri))
    assert [u.suggestion for u in known.unknown(misspelt)] == [
        f"{settings.base_iri}def/hmic/Judgment"
    ]
    assert len(iris) > 60
