"""The query editor: write SPARQL (prefixes pre-filled, syntax highlighting when JavaScript
runs), run it, see the results as a table whose IRIs link to their pages, download them as
CSV or JSON, and share the permalink (the query is in the URL).

Reads the user's query and runs it on the app's store (read-only); the example queries are
the ``example-*.rq`` files. Parse errors are shown next to the query, with the line and
column the parser names. SERVICE clauses that would reach outside the allow-list are refused
before the query runs, so the page cannot be used to make the server fetch other sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.exceptions import BadRequest

from kg.sparql import results
from kg.sparql.errors import explain
from kg.sparql.guards import Limits, check_services, inspect
from kg.sparql.prefixes import shift_positions
from kg.store.base import QueryRefused, QueryResult, QuerySyntaxError, QueryTimeout, StoreError
from web.data import access, queries
from web.http import params
from web.model.iris import Iris
from web.model.terms import Shown, show
from web.pages import query_terms

bp = Blueprint("query", __name__)
MAX_QUERY = 20_000
MAX_ROWS_SHOWN = 1000
DOWNLOADS = ("csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld", "rdfxml")
TABLE_DOWNLOADS = (("csv", "CSV"), ("json", "JSON"))
GRAPH_DOWNLOADS = (("turtle", "Turtle"), ("ntriples", "N-Triples"))
EXTENSIONS = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.I)


@dataclass
class Table:
    """A result ready to render."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[list[Shown | None]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None


@dataclass
class ParseProblem:
    """A parse error: the message and, when known, the line it points at."""

    message: str
    line: int | None = None
    column: int | None = None
    source_line: str | None = None
    hint: str | None = None


def with_prefixes(query: str, prefixes: dict[str, str]) -> tuple[str, int]:
    """``query`` with a ``PREFIX`` line added for every known prefix it does not declare, and
    how many lines were added (so parse-error positions can be mapped back)."""
    declared = {m.group(1) for m in _DECLARED.finditer(query)}
    missing = [f"PREFIX {p}: <{ns}>" for p, ns in prefixes.items() if p not in declared]
    if not missing:
        return query, 0
    return "\n".join(missing) + "\n" + query, len(missing)


def problem_of(
    error: QuerySyntaxError,
    query: str,
    offset: int = 0,
    prefixes: dict[str, str] | None = None,
) -> ParseProblem:
    """The parse error explained (:func:`kg.sparql.errors.explain`), with the offending line
    picked out (``offset``: lines added in front of the user's query)."""
    problem = explain(query, shift_positions(str(error), offset), prefixes)
    if problem.line is None:
        return ParseProblem(problem.message, hint=problem.hint)
    lines = query.splitlines()
    source = lines[problem.line - 1] if problem.line <= len(lines) else None
    return ParseProblem(problem.message, problem.line, problem.column, source, problem.hint)


def table(result: QueryResult, iris: Iris) -> Table:
    """A query result as rows of shown terms (at most :data:`MAX_ROWS_SHOWN`)."""
    if result.kind == "ask":
        return Table("ask", boolean=result.boolean)
    if result.kind == "graph":
        triples = sorted(result.graph or [], key=lambda t: tuple(str(x) for x in t))
        rows = [[show(x, iris) for x in t] for t in triples[:MAX_ROWS_SHOWN]]
        return Table("graph", ["subject", "predicate", "object"], rows, len(triples))
    rows = [
        [show(r[v], iris) if v in r else None for v in result.variables]
        for r in result.rows[:MAX_ROWS_SHOWN]
    ]
    return Table("select", list(result.variables), rows, len(result.rows))


TOPIC_ORDER = (
    "Judgments and grades",
    "Statistics",
    "Initiatives",
    "Partners",
    "Recommendations",
    "Findings",
    "Methodology",
    "Provenance",
    "Comparison across the 43 forces",
)


def examples_by_topic() -> list[tuple[str, list[queries.Example]]]:
    """The example queries grouped by research topic, the topics in :data:`TOPIC_ORDER` first."""
    groups: dict[str, list[queries.Example]] = {}
    for example in queries.examples():
        groups.setdefault(example.topic, []).append(example)
    order = {topic: i for i, topic in enumerate(TOPIC_ORDER)}
    return sorted(groups.items(), key=lambda g: (order.get(g[0], len(order)), g[0]))


@bp.get("/query/terms.json")
def terms() -> Response:
    """The prefixes, classes, properties and concepts the editor completes (JSON)."""
    response = jsonify(query_terms.document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/query")
def editor() -> Response | tuple[str, int] | str:
    """The editor; runs ``?query=`` (or ``?example=``) and renders or downloads the result."""
    settings, base, iris = access.settings(), access.base(), access.iris()
    text = request.args.get("query")
    example_name = request.args.get("example")
    example = queries.example(example_name) if example_name else None
    if example_name and example is None:
        raise BadRequest(f"there is no example query named {example_name!r}")
    if text is None and example is not None:
        text = queries.prefix_block(base, used_in=example.body) + "\n" + example.body
    if text is not None and len(text) > MAX_QUERY:
        raise BadRequest(f"the query is longer than {MAX_QUERY:,} characters")
    fmt = request.args.get("format", "html")
    if fmt != "html" and fmt not in DOWNLOADS:
        raise BadRequest(f"unknown format {fmt!r}; use html or one of: {', '.join(DOWNLOADS)}")
    params.text("example", 100)
    context: dict[str, object] = {
        "title": "Query",
        "examples": queries.examples(),
        "topics": examples_by_topic(),
        "max_length": settings.max_query_length,
        "example": example,
        "text": text
        if text is not None
        else queries.prefix_block(base) + queries.body("editor-start"),
        "ran": False,
    }
    if not text or not text.strip():
        return render_template("query.html", **context)
    status = 200
    full, added = with_prefixes(text, access.prefixes())
    try:
        check_services(inspect(full, Limits.from_settings(settings)), settings.service_allowlist)
        if fmt != "html":
            raw = access.store().query_raw(full, fmt, timeout=settings.query_timeout)
            if raw.truncated:  # a download is never silently partial
                raise results.too_large(settings.result_limit)
            media_type = raw.media_type.split(";")[0].strip()
            response = Response(raw.body, mimetype=media_type)
            name = f"results.{EXTENSIONS.get(media_type, 'txt')}"
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        result = access.store().query(full, timeout=settings.query_timeout)
        order = results.star_order(full)
        if order and result.kind == "select":  # SELECT *: columns as they appear in the text
            result.variables = results.ordered(result.variables, order)
        context["table"] = table(result, iris)
        context["ran"] = True
    except QuerySyntaxError as exc:
        context["problem"] = problem_of(exc, text, added, access.prefixes())
        status = 400
    except (QueryRefused, QueryTimeout) as exc:
        context["problem"] = ParseProblem(str(exc))
        status = exc.status
    except StoreError as exc:
        context["problem"] = ParseProblem(str(exc))
        status = exc.status if exc.status >= 400 else 500
    link = f"{iris.root}/query?{urlencode({'query': text})}"
    context["permalink"] = link
    shown = context.get("table")
    offered = (
        GRAPH_DOWNLOADS if isinstance(shown, Table) and shown.kind == "graph" else TABLE_DOWNLOADS
    )
    context["downloads"] = [(label, f"{link}&format={key}") for key, label in offered]
    return render_template("query.html", **context), status
