"""The error explainer never fails and never lists expected tokens: every competency query,
broken by deleting one character at many places, gets (from Oxigraph's real parser) a message
of at most two lines, with its position in the broken text when the parser gave one."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import AUTHORED_BASE
from kg.sparql.errors import explain
from kg.sparql.prefixes import predeclared

QUERIES = sorted((Path(__file__).resolve().parent / "competency").glob("*.rq"))
STEP = 17  # delete the character at every STEP-th offset


def test_broken_queries_get_short_explained_messages():
    table = predeclared(AUTHORED_BASE)
    store = ox.Store()
    checked = 0
    for path in QUERIES:
        text = path.read_text(encoding="utf-8")
        for at in range(0, len(text), STEP):
            broken = text[:at] + text[at + 1 :]
            try:
                store.query(broken, prefixes=table)
            except SyntaxError as exc:
                parser = str(exc)
                problem = explain(broken, parser, table)
            else:
                continue
            checked += 1
            shown = problem.text()
            assert shown.count("\n") <= 1, (path.name, at, shown)
            listed = re.search(r"\bexpected (.{12})", parser)  # the parser's expected tokens
            assert listed is None or listed.group(1) not in shown, (path.name, at, shown)
            assert "expected one of" not in shown
            if problem.line is not None:
                assert shown.startswith(f"line {problem.line}, column {problem.column}: ")
                assert 1 <= problem.line <= broken.count("\n") + 1, (path.name, at, shown)
    assert checked > 500
