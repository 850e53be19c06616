"""The browser's pure parts: value formatting, chart and graph layout, report highlighting,
search ranking, the SERVICE guard of the query editor and the named-query loader."""

from __future__ import annotations

import pytest
from rdflib import XSD, Literal

from kg.namespaces import Base
from kg.sparql.guards import check_services
from kg.sparql.lexer import analyse
from kg.store.base import QuerySyntaxError
from web.data import queries
from web.model.svg import grade_scale, grouped_bars, neighbourhood, nice_ticks, wrap
from web.model.terms import Shown, best_label, format_literal, format_number
from web.pages.query_editor import problem_of, with_prefixes
from web.pages.reader import locate, segments
from web.pages.search import rank, score, terms_of


def test_dates_read_as_dates_and_numbers_are_grouped():
    assert format_literal(Literal("2015-02-28", datatype=XSD.date)) == "28 February 2015"
    assert format_literal(Literal("2014-11", datatype=XSD.gYearMonth)) == "November 2014"
    assert format_literal(Literal("24544", datatype=XSD.integer)) == "24,544"
    assert format_literal(Literal("23.8", datatype=XSD.decimal)) == "23.8"
    assert format_number("-22") == "-22"
    assert format_number("1698.50") == "1,698.50"
    assert format_literal(Literal("not a date", datatype=XSD.date)) == "not a date"


def test_best_label_prefers_english():
    labels = [Literal("Leicestershire", lang="cy"), Literal("Leicestershire Police", lang="en")]
    assert best_label(labels) == "Leicestershire Police"
    assert best_label([]) is None


def test_bars_place_negative_values_left_of_zero():
    chart = grouped_bars(
        "Change", "per cent", ["Crime"], [("Leics", "a", [-22.0]), ("E&W", "b", [-16.0])], "%"
    )
    leics, ew = chart.groups[0].bars
    assert leics.x < ew.x < chart.zero_x
    assert leics.x + leics.width == pytest.approx(chart.zero_x, abs=0.02)
    assert leics.text == "-22%" and leics.anchor == "end"
    assert chart.ticks[0][1] == "-25" and chart.ticks[-1][1] == "0"


def test_bars_skip_missing_values_and_scale_to_the_largest():
    chart = grouped_bars("Rates", "per 1,000", ["A", "B"], [("x", "a", [59.0, None])])
    assert len(chart.groups[1].bars) == 0
    assert chart.groups[0].bars[0].x + chart.groups[0].bars[0].width <= chart.plot_right


def test_ticks_and_wrapping():
    assert nice_ticks(0, 60.7) == [0, 20, 40, 60, 80]
    assert wrap("Recorded crime change, since 12 months to June 2010", 20) == [
        "Recorded crime",
        "change, since 12",
        "months to June 2010",
    ]


def test_grade_scale_places_each_judgment_in_its_column():
    scale = grade_scale(
        [(4, "outstanding"), (3, "good"), (2, "requires improvement"), (1, "inadequate")],
        [("Reducing crime", "/doc/j/1", 3, "good"), ("Overall", None, None, "not graded")],
    )
    good_x = next(x for x, label in scale.columns if label == "good")
    assert scale.columns[0][1] == "inadequate"
    assert scale.rows[0].marker_x == good_x
    assert scale.rows[1].marker_x is None


def test_neighbourhood_points_arrows_the_right_way():
    node = Shown("Leicester", "iri", "/doc/place/leicester", "http://x/leicester")
    view = neighbourhood("Hinckley", [(node, "within area", True), (node, "contains", False)])
    out_edge, in_edge = view.edges
    centre = view.nodes[0]
    # outgoing: starts near the centre; incoming: ends near the centre
    assert abs(out_edge.x1 - centre.x) + abs(out_edge.y1 - centre.y) < 30
    assert abs(in_edge.x2 - centre.x) + abs(in_edge.y2 - centre.y) < 30


def test_highlight_segments_cover_overlapping_quotes():
    text = "Crime fell by 22 percent over four years."
    spans = [(0, 10, 1), (6, 24, 2)]
    pieces = segments(text, spans, focus={2})
    assert "".join(p.text for p in pieces) == text
    assert [(p.text, p.facts) for p in pieces] == [
        ("Crime ", [1]),
        ("fell", [1, 2]),
        (" by 22 percent", [2]),
        (" over four years.", []),
    ]
    assert [p.focus for p in pieces] == [False, True, True, False]


def test_quote_positions_fall_back_to_finding_the_quote():
    text = "The force works well with partners."
    assert locate(text, "works well", 10, 20) == (10, 20)
    assert locate(text, "works well", 0, 10) == (10, 20)
    assert locate(text, "absent", 0, 6) is None


def test_search_ranks_label_matches_first():
    hmic_text = "https://w3id.org/hmic-kg/def/hmic/text"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    desc = "http://purl.org/dc/terms/description"
    rows = [
        {"s": Literal("passage"), "prop": hmic_text, "text": Literal("Operation Tiger patrols")},
        {"s": Literal("described"), "prop": desc, "text": Literal("Part of Operation Tiger")},
        {"s": Literal("named"), "prop": label, "text": Literal("Operation Tiger")},
    ]
    rows = [{k: (Literal(v) if isinstance(v, str) else v) for k, v in r.items()} for r in rows]
    ordered = [str(h.node) for h in rank(rows, terms_of("operation tiger"), hmic_text)]
    assert ordered == ["named", "described", "passage"]
    assert score("Operation Tiger", label, ["tiger"], "tiger", hmic_text) > score(
        "Operation Tiger", desc, ["tiger"], "tiger", hmic_text
    )


def test_search_terms_are_lower_case_and_capped():
    assert terms_of("  Operation   TIGER  ") == ["operation", "tiger"]
    assert len(terms_of("a b c d e f g h")) == 6


def test_service_clauses_are_found_outside_strings_and_comments():
    query = """
    # SERVICE <http://in-a-comment/> is ignored
    SELECT * WHERE {
      ?s ?p "SERVICE <http://in-a-string/>" .
      SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o }
      service ?endpoint { ?a ?b ?c }
    }"""
    assert analyse(query).services == ("http://example.org/sparql", None)
    with pytest.raises(Exception, match="SERVICE needs a constant endpoint"):
        check_services(analyse(query), ("http://example.org/sparql",))
    check_services(analyse("SELECT * WHERE { ?s ?p ?o }"), ())


def test_parse_errors_point_at_their_line():
    query = "SELECT ?s\nWHERE { ?s ?p }\n"
    problem = problem_of(QuerySyntaxError("error at 2:15: expected a term"), query)
    assert problem.line == 2 and problem.column == 15
    assert problem.source_line == "WHERE { ?s ?p }"


def test_missing_prefixes_are_declared_and_error_lines_mapped_back():
    full, added = with_prefixes(
        "PREFIX hmic: <x:>\nASK { ?s a hmic:A }", {"hmic": "h:", "id": "i:"}
    )
    assert added == 1 and full.startswith("PREFIX id: <i:>\n")
    query = "ASK {\n ?s ?p ?o\n ?s ?p ?o }"
    problem = problem_of(QuerySyntaxError("error at 4:5: oops"), query, offset=1)
    assert problem.line == 3 and problem.source_line == " ?s ?p ?o }"
    assert problem.message.startswith("line 3, column 2: ?s starts a new triple pattern")
    assert problem.hint == "add . after ?o (line 2, column 8)"


def test_named_queries_declare_the_prefixes_of_the_configured_base():
    text = queries.load("resource", Base("http://example.org/kg/"))
    assert "PREFIX hmic: <http://example.org/kg/def/hmic/>" in text
    assert "PREFIX grade: <http://example.org/kg/def/grade/>" in text
    with pytest.raises(KeyError):
        queries.load("../secrets", Base())


def test_there_are_at_least_ten_example_queries_each_with_a_question():
    examples = queries.examples()
    assert len(examples) >= 10
    for example in examples:
        assert example.title and example.question, example.name
        assert not example.body.lstrip().startswith("#")
