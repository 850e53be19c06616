"""Units of the SPARQL endpoint that need no server: the lexer and its analysis, the guards,
content negotiation, request parsing, and the worker's row counting."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from kg.sparql import negotiation as neg
from kg.sparql.guards import Limits, check, check_dataset, check_services, inspect
from kg.sparql.lexer import LexError, analyse, tokens
from kg.sparql.protocol import ProtocolError, parse_request
from kg.sparql.worker import _cut_tsv, most_rows
from kg.store.base import QueryRefused, QuerySyntaxError, QueryTooLarge, UpdateRefused

LIMITS = Limits(max_length=131072, max_nesting=64, max_chain=256)


# -- the lexer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("SELECT * { ?s ?p ?o }", "select"),
        ("PREFIX x: <http://x/> ASK { ?s x:p ?o }", "ask"),
        ("BASE <http://x/> CONSTRUCT WHERE { ?s ?p ?o }", "graph"),
        ("describe <http://x/a>", "graph"),
        ("# a comment with SELECT\nINSERT DATA { <a> <b> <c> }", "update"),
        ("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
        ("LOAD <http://example.org/data.ttl>", "update"),
        ("garbage", "unknown"),
    ],
)
def test_the_form_is_the_first_keyword_after_the_prologue(text, kind):
    assert analyse(text).kind == kind


def test_keywords_inside_strings_iris_and_comments_are_not_keywords():
    text = """PREFIX ex: <http://ex.org/SERVICE/>
    SELECT * WHERE { ?s ?p 'SERVICE <http://a/> {}' , \"\"\"FROM <http://b/>\"\"\" ,
    <http://c/SERVICE> . # SERVICE <http://d/> {}
    ?s ex:SERVICE ?o }"""
    found = analyse(text)
    assert found.services == () and found.from_graphs == ()


def test_service_targets_are_resolved_like_the_engine_resolves_them():
    text = r"""BASE <http://127.0.0.1:9/base/>
    PREFIX e: <http://e.org/>
    SELECT * WHERE {
      SERVICE <http://a.org/sparql> {} SERVICE SILENT e:sparql {} SERVICE <rel> {}
      SERVICE ?endpoint {} SERVICE undeclared:x {} SERVICE <http://b.org/\u0061> {}
    }"""
    assert analyse(text).services == (
        "http://a.org/sparql",
        "http://e.org/sparql",
        "http://127.0.0.1:9/base/rel",
        None,
        None,
        "http://b.org/a",
    )


def test_a_service_right_after_a_literal_and_a_dot_is_seen():
    text = "PREFIX e: <http://e/> SELECT * { ?s ?p true.SERVICE e:x.y {} ?s e:a\\#b ?o }"
    assert analyse(text).services == ("http://e/x.y",)


def test_from_and_from_named_are_collected():
    text = "SELECT * FROM <http://g/1> FROM NAMED <http://g/2> FROM <http://g/3> { ?s ?p ?o }"
    found = analyse(text)
    assert found.from_graphs == ("http://g/1", "http://g/3")
    assert found.from_named == ("http://g/2",)


def test_nesting_and_operator_chains_are_measured():
    assert analyse("SELECT * WHERE " + "{" * 40 + "}" * 40).nesting == 40
    path = "/".join(["<http://p>"] * 300)
    assert analyse(f"SELECT * {{ ?s {path} ?o }}").chain == 299
    union = " UNION ".join(["{ ?s ?p ?o }"] * 50)
    assert analyse(f"SELECT * {{ {union} }}").chain == 49


@pytest.mark.parametrize(
    "text",
    [
        "'''" + "''a" * 40000,
        "'" + "\\'" * 60000,
        "a" + ".a" * 60000,
        "é." * 60000,
        "ex:" + "." * 120000,
        "<a" * 60000,
        "(" * 120000,
        "?" * 120000,
        "@a-" * 40000,
    ],
    ids=[
        "long-strings",
        "escapes",
        "dotted-names",
        "letters",
        "dots",
        "iris",
        "parens",
        "qmarks",
        "langtags",
    ],
)
def test_lexing_is_linear_whatever_the_text(text):
    began = time.process_time()
    try:
        tokens(text)
    except LexError:
        pass
    assert time.process_time() - began < 2.0  # quadratic lexing would take minutes


def test_a_quote_that_opens_no_string_is_a_syntax_error_with_a_position():
    with pytest.raises(QuerySyntaxError, match="unterminated string at 2:9"):
        inspect("SELECT *\n{ ?s ?p 'oops }", LIMITS)


def test_the_result_cap_is_added_as_a_top_level_limit():
    plain = "SELECT ?s WHERE { ?s ?p ?o } # no newline at the end"
    assert analyse(plain).capped(plain, 100) == plain + "\nLIMIT 101\n"
    big = "SELECT ?s { ?s ?p ?o { SELECT * { ?a ?b ?c } LIMIT 5 } } LIMIT 500 OFFSET 2"
    assert analyse(big).capped(big, 100) == big.replace("LIMIT 500", "LIMIT 101")
    small = "SELECT ?s { ?s ?p ?o } LIMIT 7"
    assert analyse(small).capped(small, 100) is None
    values = "SELECT ?s { ?s ?p ?o } VALUES ?s { <http://a> }"
    assert analyse(values).capped(values, 9) == values.replace("VALUES", "LIMIT 10\nVALUES")
    assert analyse("ASK {}").capped("ASK {}", 1) is None


def test_the_analysis_of_a_repeated_text_is_cached():
    text = "SELECT ?cached WHERE { ?cached ?p ?o }"
    assert analyse(text) is analyse(text)


# -- the guards -------------------------------------------------------------------------------


def test_sizes_are_checked_before_any_parser():
    with pytest.raises(QueryTooLarge) as too_long:
        inspect("ASK {}" + " " * 200, Limits(max_length=100))
    assert too_long.value.status == 413
    with pytest.raises(QueryRefused, match="nests brackets 300 deep"):
        inspect("SELECT * " + "{" * 300 + "}" * 300, LIMITS)
    with pytest.raises(QueryRefused, match="chains 9999 operators"):
        inspect("SELECT * { ?s " + "/".join(["<http://p>"] * 10000) + " ?o }", LIMITS)


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/x>",
        "CLEAR ALL",
        "DROP GRAPH <http://g>",
        "CREATE GRAPH <http://g>",
        "ADD DEFAULT TO <http://g>",
        "MOVE DEFAULT TO <http://g>",
        "COPY DEFAULT TO <http://g>",
        "PREFIX x: <http://x/> WITH x:g INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused_with_403(text):
    with pytest.raises(UpdateRefused) as caught:
        inspect(text, LIMITS)
    assert caught.value.status == 403 and "read-only" in str(caught.value)


def test_services_must_be_on_the_allowlist():
    allowed = "http://allowed.example/sparql"
    check_services(analyse(f"SELECT * {{ SERVICE <{allowed}> {{}} }}"), {allowed})
    for text in (
        "SELECT * { SERVICE <http://other.example/sparql> {} }",
        "SELECT * { SERVICE ?x {} }",
        f"SELECT * {{ SERVICE <{allowed}> {{}} SERVICE <http://x/> {{}} }}",
    ):
        with pytest.raises(QueryRefused, match="SERVICE"):
            check_services(analyse(text), {allowed})


def test_from_and_graph_parameters_need_absolute_iris_only():
    """Any absolute IRI may name a graph (one the dataset lacks is empty; nothing is fetched)."""
    for text, dg, ng in (
        ("SELECT * FROM <https://w3id.org/hmic-kg/id/graph/asserted> {}", [], []),
        ("SELECT * FROM <http://remote.example/data.ttl> {}", [], []),
        ("SELECT * FROM NAMED <http://remote.example/data.ttl> {}", [], []),
        ("SELECT * {}", ["http://remote.example/g", "urn:x"], []),
        ("SELECT * {}", [], ["http://remote.example/g"]),
    ):
        check_dataset(analyse(text), dg, ng)
    check("SELECT * FROM <http://remote.example/data.ttl> {}", LIMITS, ())
    for text, dg, ng, reason in (
        ("SELECT * FROM x:g {}", [], [], "FROM needs an absolute IRI"),
        ("SELECT * FROM NAMED x:g {}", [], [], "FROM NAMED needs an absolute IRI"),
        ("SELECT * {}", ["relative/g"], [], "default-graph-uri 'relative/g' is not"),
        ("SELECT * {}", [], ["http://a b"], "named-graph-uri 'http://a b' is not"),
    ):
        with pytest.raises(QueryRefused, match=reason):
            check_dataset(analyse(text), dg, ng)


# -- content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "key"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("text/csv", "csv"),
        ("text/csv;q=0.5, application/sparql-results+xml", "xml"),
        ("application/json", "json"),
        ("text/*", "csv"),
        ("text/*;q=0.2, text/tab-separated-values", "tsv"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
        ("text/tab-separated-values, text/csv", "tsv"),
        ("text/csv, text/tab-separated-values", "csv"),
        ("garbage", "json"),
    ],
)
def test_solutions_are_negotiated_with_q_values(accept, key):
    assert neg.negotiate(accept, neg.SOLUTION_OFFERS).key == key  # type: ignore[union-attr]


def test_nothing_acceptable_is_none():
    assert neg.negotiate("image/png", neg.SOLUTION_OFFERS) is None
    assert neg.negotiate("text/csv;q=0", neg.SOLUTION_OFFERS) is None


@pytest.mark.parametrize(
    ("accept", "key"),
    [
        ("application/rdf+xml", "rdfxml"),
        ("application/n-triples", "ntriples"),
        ("text/plain", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("text/turtle;q=0.9, application/ld+json;q=0.8", "turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "rdfxml"),
    ],
)
def test_graphs_are_negotiated(accept, key):
    assert neg.negotiate(accept, neg.GRAPH_OFFERS).key == key  # type: ignore[union-attr]


def test_the_format_parameter_takes_names_and_media_types():
    assert neg.by_name(["tsv", "text/tab-separated-values"], neg.SOLUTION_OFFERS).key == "tsv"
    assert (
        neg.by_name(["json-ld", "application/ld+json,application/x-json+ld"], neg.GRAPH_OFFERS).key
        == "jsonld"
    )  # type: ignore[union-attr]
    assert neg.by_name(["xml"], neg.GRAPH_OFFERS).key == "rdfxml"  # type: ignore[union-attr]
    assert neg.by_name(["nonsense"], neg.SOLUTION_OFFERS) is None


# -- request parsing --------------------------------------------------------------------------


def _parse(method="GET", qs=b"", ctype=None, body=b"", limit=1000):
    return parse_request(method, qs, ctype, lambda n: body[:n], len(body) if body else None, limit)


def test_a_get_and_its_dataset_parameters():
    wanted = _parse(
        qs=b"query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fg&named-graph-uri=x&format=csv"
    )
    assert wanted.query == "ASK{}"
    assert wanted.default_graph_uris == ["http://g"] and wanted.named_graph_uris == ["x"]
    assert wanted.formats == ["csv"]
    assert _parse().query is None


def test_post_bodies_in_utf8():
    form = _parse("POST", ctype="application/x-www-form-urlencoded", body=b"query=ASK+%7B%7D")
    assert form.query == "ASK {}"
    direct = _parse("POST", ctype="application/sparql-query", body="ASK { ?s ?p 'é' }".encode())
    assert direct.query == "ASK { ?s ?p 'é' }"
    declared = _parse("POST", ctype="application/sparql-query; charset=UTF-8", body=b"ASK {}")
    assert declared.query == "ASK {}"


@pytest.mark.parametrize(
    ("kwargs", "status", "reason"),
    [
        ({"qs": b"query=ASK&query=ASK"}, 400, "2 query parameters"),
        ({"qs": b"query=%FF%FE"}, 400, "not valid UTF-8"),
        ({"qs": b"query="}, 400, "empty"),
        ({"method": "POST", "ctype": "text/plain", "body": b"ASK {}"}, 415, "POST a query"),
        ({"method": "POST", "body": b"ASK {}"}, 415, "no Content-Type"),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query",
                "body": b"\xff\xfeA\x00\x00\xd8",
            },
            400,
            "UTF-16",
        ),
        (
            {"method": "POST", "ctype": "application/sparql-query", "body": b"ASK \xc3\x28"},
            400,
            "UTF-8",
        ),
        (
            {"method": "POST", "ctype": "application/sparql-query; charset=latin-9", "body": b"A"},
            415,
            "unsupported charset 'latin-9'",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query; charset=utf-16",
                "body": "ASK {}".encode("utf-16"),
            },
            415,
            "unsupported charset 'utf-16': send the query as UTF-8",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query",
                "body": "ASK {}".encode("utf-16"),
            },
            400,
            "UTF-16 byte-order mark",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query",
                "body": "ASK {}".encode("utf-16-be"),
            },
            400,
            "NUL bytes (UTF-16",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query",
                "body": "ASK {}".encode("utf-32"),
            },
            400,
            "UTF-32 byte-order mark",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/x-www-form-urlencoded; charset=utf-16",
                "body": b"q",
            },
            415,
            "unsupported charset 'utf-16' for a form",
        ),
        (
            {
                "method": "POST",
                "ctype": "application/sparql-query",
                "qs": b"query=ASK",
                "body": b"ASK",
            },
            400,
            "both",
        ),
        (
            {"method": "POST", "ctype": "application/x-www-form-urlencoded", "body": b"x=1"},
            400,
            "missing query",
        ),
        ({"qs": b"&".join([b"a=1"] * 300)}, 400, "more than"),
    ],
)
def test_malformed_requests_get_a_status_and_a_reason(kwargs, status, reason):
    with pytest.raises(ProtocolError) as caught:
        _parse(**kwargs)
    assert caught.value.status == status and reason in str(caught.value)


def test_updates_and_oversized_bodies_are_refused_before_reading_them():
    with pytest.raises(UpdateRefused):
        _parse("POST", ctype="application/sparql-update", body=b"CLEAR ALL")
    with pytest.raises(UpdateRefused):
        _parse(qs=b"update=CLEAR+ALL")
    with pytest.raises(QueryTooLarge):
        parse_request("POST", b"", "application/sparql-query", lambda n: b"", 10**9, 1000)
    with pytest.raises(QueryTooLarge):  # no Content-Length (chunked): read one byte too many
        parse_request("POST", b"", "application/sparql-query", lambda n: b"x" * n, None, 1000)


# -- the worker's result cap ------------------------------------------------------------------


def _results(rows: int, fmt: ox.QueryResultsFormat, literal: str = "a{}b") -> bytes:
    store = ox.Store()
    text = (
        f"SELECT ?x ?type WHERE {{ VALUES ?x {{ {' '.join(str(i) for i in range(rows))} }} "
        f"BIND('{literal}' AS ?type) }}"
    )
    return store.query(text).serialize(format=fmt)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_counts_from_bytes_are_never_below_the_truth(fmt):
    formats = {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
    }
    for rows in (0, 1, 7, 40):
        assert rows <= most_rows(_results(rows, formats[fmt]), fmt, 5)
    assert most_rows(_results(7, formats[fmt], "plain"), fmt, 0) == 7


def test_tsv_is_cut_after_the_header_and_cap_rows():
    tsv = _results(10, ox.QueryResultsFormat.TSV)
    cut, truncated = _cut_tsv(tsv, 4)
    assert truncated and cut.count(b"\n") == 5
    assert _cut_tsv(tsv, 10) == (tsv, False)
