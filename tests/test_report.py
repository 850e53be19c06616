"""The report parser: structure, stable passage ids and full coverage of the source text."""

from __future__ import annotations

import re

import pytest

from kg.config import SOURCE_TEXT
from kg.report import parse_report, report_graph


@pytest.fixture(scope="module")
def report():
    return parse_report()


def test_sections_follow_the_report_outline(report):
    top = [s.path for s in report.sections if s.parent is None]
    assert top == [
        "front-matter",
        "contents",
        "summary",
        "introduction",
        "methodology",
        "reducing-crime",
        "investigating-offending",
        "tackling-asb",
        "judgment-categories",
    ]
    subs = {s.path for s in report.sections if s.parent == "investigating-offending"}
    assert subs == {
        "investigating-offending/vulnerability-risk-victims",
        "investigating-offending/investigation",
        "investigating-offending/repeat-prolific-offenders",
        "investigating-offending/learning-from-experience",
        "investigating-offending/recommendations",
        "investigating-offending/summary",
    }


@pytest.mark.parametrize(
    ("local_id", "kind", "section", "start"),
    [
        ("paragraph/5", "front-matter", "front-matter", "ISBN: 978-1-78246-635-2"),
        ("paragraph/19", "grade", "summary/reducing-crime", "Good"),
        ("paragraph/46", "table-row", "reducing-crime/crime", "Crime excluding fraud 59.0 60.7"),
        ("paragraph/54", "paragraph", "reducing-crime/crime", "Leicestershire's detection rate"),
        ("paragraph/88", "grade", "reducing-crime/summary", "Good"),
        ("paragraph/107", "grade", "investigating-offending/summary", "Good"),
        ("paragraph/120", "grade", "tackling-asb/summary", "Good"),
        (
            "footnote/4",
            "footnote",
            "tackling-asb/community-contact-victim-care",
            "Operation Nighthawk",
        ),
    ],
)
def test_passage_ids_are_stable(report, local_id, kind, section, start):
    passage = report.passage(local_id)
    assert (passage.kind, passage.section) == (kind, section)
    assert passage.text.startswith(start)


def test_page_breaks_are_rejoined(report):
    texts = [p.text for p in report.passages]
    assert any("who may be particularly vulnerable and in understanding" in t for t in texts)
    assert any("strong links with the Muslim community" in t for t in texts)
    assert not any(t.startswith("out face-to-face") for t in texts)


def test_footnotes_are_numbered_one_to_five(report):
    assert [p.number for p in report.passages if p.kind == "footnote"] == [1, 2, 3, 4, 5]


def test_every_word_of_the_source_is_in_some_passage(report):
    corpus = " ".join(p.text for p in report.passages)
    headings = " ".join(s.title for s in report.sections)
    words = set(re.findall(r"[A-Za-z0-9][\w'’-]*", corpus + " " + headings))
    source_words = set(re.findall(r"[A-Za-z0-9][\w'’-]*", SOURCE_TEXT.read_text(encoding="utf-8")))
    assert source_words - words == set()


def test_report_graph_gives_every_passage_text_and_a_section(report):
    graph = report_graph(report)
    rows = list(
        graph.query(
            """PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
               PREFIX dct: <http://purl.org/dc/terms/>
               SELECT (COUNT(?p) AS ?n) WHERE { ?p hmic:text ?t ; dct:isPartOf ?s }"""
        )
    )
    assert int(rows[0][0]) == len(report.passages)
