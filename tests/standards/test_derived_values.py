"""Derived values say they are derived: every value the report does not state — deadline dates,
confidence-interval bounds, a year supplied for "from January", the comparisons with England
and Wales, the indicators' directions, the first and last days of the reference periods —
carries a PROV-O record naming its property and value and how it was made; every date in the
data is either written in one of its subject's quotes or so marked; no label or description
presents a derived date as the report's."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from rdflib import XSD, Literal

from kg.report import parse_report
from kg.store.embedded import EmbeddedStore

PREFIXES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct:  <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
"""
# Each kind of derived value, found by what it is rather than by a list of subjects.
DERIVED = {
    "deadline dates": "?s a hmic:Deadline ; time:inXSDDate ?v . BIND (time:inXSDDate AS ?p)",
    "confidence-interval bounds": "VALUES ?p { hmic:ciLower hmic:ciUpper } ?s ?p ?v",
    "the dataset's temporal coverage": (
        "VALUES ?p { <http://www.w3.org/ns/dcat#startDate> <http://www.w3.org/ns/dcat#endDate> } "
        "?s ?p ?v"
    ),
    "comparisons": ("VALUES ?p { hmic:difference hmic:comparisonResult hmic:assessment } ?s ?p ?v"),
    # an expected date whose year none of the subject's quotes gives
    "expected dates": (
        "?s hmic:expectedDate ?v . BIND (hmic:expectedDate AS ?p) "
        "FILTER NOT EXISTS { ?s hmic:quote ?q FILTER (CONTAINS(?q, SUBSTR(STR(?v), 1, 4))) }"
    ),
}
# Every date-typed value in the report's data (the metadata graph describes the dataset, not the
# report): its subject, and the quotes that could state it — the subject's own, or, for a blank
# node (a period's beginning or end), those of the resource it belongs to.
DATES = """
GRAPH ?g { ?s ?p ?v }
FILTER (?g != <https://w3id.org/hmic-kg/id/graph/metadata>)
FILTER (isLiteral(?v) && DATATYPE(?v) IN (xsd:date, xsd:dateTime, xsd:gYearMonth, xsd:gYear))
FILTER NOT EXISTS { ?s a hmic:ValueDerivation }
"""
QUOTES = "{ ?s hmic:quote ?q } UNION { ?owner ?link ?s FILTER (isBlank(?s)) ?owner hmic:quote ?q }"
MARKED = """
?s prov:qualifiedDerivation ?record .
?record a hmic:ValueDerivation ; hmic:ofProperty ?p ; hmic:ofValue ?v ;
        rdfs:label ?how ; prov:entity ?from .
FILTER (STRSTARTS(STR(?how), "derived: "))
"""
MONTHS = [date(2000, m, 1).strftime("%B") for m in range(1, 13)]


def _rows(store: EmbeddedStore, where: str) -> list[dict[str, object]]:
    return store.query(f"{PREFIXES} SELECT DISTINCT ?s ?p ?v WHERE {{ {where} }}").rows


@pytest.mark.parametrize("kind", sorted(DERIVED))
def test_every_derived_value_is_marked(store: EmbeddedStore, kind: str) -> None:
    found = _rows(store, DERIVED[kind])
    assert found, f"no {kind} found: the rule that finds them is out of date"
    unmarked = _rows(store, f"{DERIVED[kind]} FILTER NOT EXISTS {{ {MARKED} }}")
    assert not unmarked, [f"{r['s']} {r['p']} {r['v']}" for r in unmarked]


def as_the_report_writes(value: Literal) -> str:
    """A date as the report writes it: "31 July 2014", "November 2014", "2015"."""
    text = str(value)
    if value.datatype == XSD.gYear:
        return text
    year, month, *day = text[:10].split("-")
    words = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day[0])} {words}" if day else words


def test_how_the_report_writes_a_date() -> None:
    assert as_the_report_writes(Literal("2014-07-31", datatype=XSD.date)) == "31 July 2014"
    assert as_the_report_writes(Literal("2014-11", datatype=XSD.gYearMonth)) == "November 2014"
    assert as_the_report_writes(Literal("2015", datatype=XSD.gYear)) == "2015"


def test_every_date_is_stated_by_the_report_or_marked_as_derived(store: EmbeddedStore) -> None:
    rows = store.query(
        f"""{PREFIXES} SELECT DISTINCT ?s ?p ?v ?q ?marked WHERE {{ {DATES}
        OPTIONAL {{ {QUOTES} }}
        BIND (EXISTS {{ {MARKED} }} AS ?marked) }}"""
    ).rows
    stated: dict[tuple[str, str, Literal], bool] = {}
    for row in rows:
        key = (str(row["s"]), str(row["p"]), row["v"])
        said = "q" in row and as_the_report_writes(row["v"]) in str(row["q"])  # type: ignore[arg-type]
        stated[key] = stated.get(key, False) or said or row["marked"].toPython()  # type: ignore[union-attr]
    # the first and last days of the 11 reference periods with day-precise instants are among them
    periods = {
        k: v
        for k, v in stated.items()
        if k[1].endswith("#inXSDDate") and not k[0].startswith("http")
    }
    assert len(periods) == 22, periods
    assert len(stated) >= 40
    neither = [f"{s} {p} {v}" for (s, p, v), ok in stated.items() if not ok]
    assert not neither, neither


def test_no_date_the_report_writes_out_is_marked_as_derived(store: EmbeddedStore) -> None:
    rows = store.query(
        f"{PREFIXES} SELECT DISTINCT ?s ?p ?v ?q WHERE {{ {DATES} {MARKED} {{ {QUOTES} }} }}"
    ).rows
    days = {(str(r["s"]), r["v"]) for r in rows if not str(r["s"]).startswith("http")}
    assert len(days) == 19  # of the 22 days of the periods; 31 July 2014 (×3) is the report's
    written = [r for r in rows if as_the_report_writes(r["v"]) in str(r["q"])]  # type: ignore[arg-type]
    assert not written, written


def test_every_observation_with_a_comparator_is_compared(store: EmbeddedStore) -> None:
    missing = _rows(
        store,
        "?s hmic:comparator ?v . BIND (hmic:comparator AS ?p) "
        "FILTER NOT EXISTS { ?s hmic:comparison/hmic:comparatorObservation ?v }",
    )
    assert not missing, missing


def test_the_comparisons_are_right(store: EmbeddedStore) -> None:
    rows = store.query(
        PREFIXES
        + """SELECT ?a ?b ?difference ?result ?direction ?assessment WHERE {
          ?c a hmic:Comparison ; hmic:difference ?difference ; hmic:comparisonResult ?result ;
             hmic:comparedObservation ?o ; hmic:comparatorObservation ?k .
          ?o sdmx-measure:obsValue ?a . ?k sdmx-measure:obsValue ?b .
          OPTIONAL { ?o hmic:indicator/hmic:direction ?direction }
          OPTIONAL { ?c hmic:assessment ?assessment }
        }"""
    ).rows
    assert len(rows) == 11
    hmic = "https://w3id.org/hmic-kg/def/hmic/"
    for row in rows:
        a, b, difference = (row[k].toPython() for k in ("a", "b", "difference"))  # type: ignore[union-attr]
        assert difference == a - b
        sign = "Higher" if a > b else "Lower" if a < b else "Equal"
        assert str(row["result"]) == hmic + sign
        direction = str(row.get("direction", ""))
        if direction.endswith(("HigherIsBetter", "LowerIsBetter")):
            better = (sign == "Higher") == direction.endswith("HigherIsBetter")
            expected = "Same" if sign == "Equal" else "Better" if better else "Worse"
            assert str(row["assessment"]) == hmic + expected
        else:
            assert "assessment" not in row


def test_directions_are_marked_as_the_projects_modelling(store: EmbeddedStore) -> None:
    where = "?s hmic:direction ?v . BIND (hmic:direction AS ?p)"
    assert len(_rows(store, where)) == 10
    unmarked = _rows(
        store,
        f"""{where} FILTER NOT EXISTS {{
          ?s prov:qualifiedAttribution ?r . ?r a hmic:ModellingChoice ; hmic:ofProperty ?p ;
             hmic:ofValue ?v ; prov:agent ?agent ; rdfs:label ?why .
          FILTER (STRSTARTS(STR(?why), "project modelling: ")) }}""",
    )
    assert not unmarked, unmarked


def test_where_the_report_says_broadly_in_line_it_is_data(store: EmbeddedStore) -> None:
    rows = store.query(
        PREFIXES
        + """SELECT ?c ?q WHERE { ?c hmic:reportedRelation "broadly in line"@en ;
             a hmic:Comparison ; hmic:quote ?q }"""
    ).rows
    assert len({str(r["c"]) for r in rows}) == 2
    assert all("broadly in line" in str(r["q"]) for r in rows)


def _forms(value: date) -> set[str]:
    """Ways a label could write a date: 2015-05-31, 31 May 2015, May 2015, end of May 2015."""
    month = MONTHS[value.month - 1]
    return {
        value.isoformat(),
        f"{value.day} {month} {value.year}",
        f"{month} {value.year}",
        f"end of {month}",
    }


def derived_date_forms(dates: list[date], report_text: str) -> set[str]:
    """The written forms of derived dates that the report itself never uses."""
    return {form for d in dates for form in _forms(d) if form not in report_text}


def test_no_label_presents_a_derived_date_as_the_reports(store: EmbeddedStore) -> None:
    text = " ".join(p.text for p in parse_report().passages)
    values = [
        str(row["v"])
        for kind in ("deadline dates", "expected dates")
        for row in _rows(store, DERIVED[kind])
    ]
    dates = [date.fromisoformat(v if len(v) == 10 else f"{v}-01") for v in values]
    forms = derived_date_forms(dates, text)
    assert "end of May" in derived_date_forms([date(2015, 5, 31)], text)  # the old label's words
    rows = store.query(
        PREFIXES
        + """SELECT ?s ?text WHERE { ?s rdfs:label|dct:description ?text
             FILTER NOT EXISTS { ?s a hmic:ValueDerivation } }"""
    ).rows
    offending = [
        f"{row['s']}: {row['text']}"
        for row in rows
        if any(re.search(rf"\b{re.escape(f)}\b", str(row["text"])) for f in forms)
    ]
    assert not offending, offending


def test_the_page_says_a_value_is_derived(client: FlaskClient) -> None:
    page = client.get(
        "/id/deadline/leicestershire-2014/recommendation-1-within-six-months",
        follow_redirects=True,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "derived: six months after publication" in html


def test_the_period_page_says_its_first_and_last_days_are_derived(client: FlaskClient) -> None:
    html = client.get("/doc/period/12-months-to-2014-06").get_data(as_text=True)
    assert "1 July 2013; derived: the first day of the 12 months to June 2014" in html
    assert "30 June 2014; derived: the last day of June 2014" in html
    stated = client.get("/doc/period/as-of-2014-07-31").get_data(as_text=True)
    assert "31 July 2014" in stated and "derived:" not in stated


def test_the_home_page_gives_the_reports_deadline_words_and_marks_the_date(
    client: FlaskClient,
) -> None:
    html = re.sub(r"\s+", " ", client.get("/").get_data(as_text=True))
    assert "<strong>within six months</strong> (derived: 31 May 2015)" in html
    assert "<strong>31 May 2015</strong>" not in html


def test_the_exports_say_which_values_are_derived(client: FlaskClient) -> None:
    def table(name: str) -> list[dict[str, str]]:
        body = client.get(f"/export/{name}.csv").get_data(as_text=True)
        return list(csv.DictReader(io.StringIO(body)))

    for row in table("recommendations"):
        if row["deadline_date"]:
            assert all(
                part.startswith("derived: ") for part in row["deadline_date_derived"].split(" | ")
            ), row
    for row in table("statistics"):
        for column, prop in (("ci_lower", "ciLower"), ("difference", "difference")):
            if row[column]:
                assert f"{prop} derived: " in row["derived"], row
