"""The remote backend: the same store interface over any SPARQL 1.1 server (Oxigraph, Apache
Jena Fuseki, GraphDB, Virtuoso…), spoken to through SPARQLWrapper.

Reads the settings ``remote-query-endpoint`` and ``remote-timeout``; sends read-only queries
(GET, or a form POST when the text is long) and parses the answers into the interface's
results. Bound values become a ``VALUES`` block written by :mod:`kg.store.bindings`. The
dataset is loaded by ``kg load`` (see docs/joining.md for Oxigraph, Fuseki, GraphDB and
Virtuoso). ``SERVICE`` clauses to
endpoints outside the ``service-allowlist`` setting are refused before anything is sent, as
the server would call them itself.

**The dataset.** Every query is sent with the project's dataset named in the protocol
(``default-graph-uri`` / ``named-graph-uri``) unless the caller names graphs or the query has
``FROM``/``FROM NAMED`` of its own: the default graph is ``graph:default`` (the merge of the
named graphs, each triple once, which ``kg load`` writes) and the named graphs are those the
dataset's own VoID description lists (``void:subset`` in the ``metadata`` graph, read from the
server once). So a server's own graphs (Virtuoso's system graphs) never appear, and a server's
"union default graph" cannot count a triple twice.

**Time limits.** The store gives up on the socket after its limit; stopping the query on the
server is the server's own setting (Virtuoso: ``MaxQueryExecutionTime``, whose all-or-nothing
HTTP 500 "Transaction timed out" becomes a :class:`QueryTimeout`). Virtuoso's per-request
``timeout`` parameter is deliberately not sent: it switches on "anytime" answers, partial
results that Virtuoso does not always flag (see docs/joining.md). An answer that is flagged
as cut short (``X-SQL-State: S1TAT``) is a :class:`QueryTimeout`, never a short answer.

**Formats.** The store reads SPARQL JSON results or N-Triples from the server and writes the
requested serialisation with Oxigraph's writers, as the embedded store does, so a server's own
variants (Virtuoso's ``typed-literal``, extra JSON keys, TSV header) never reach a client.

Failures map to the interface's errors: unreachable →
:class:`StoreUnavailable`, too slow → :class:`QueryTimeout`, a 400 →
:class:`QuerySyntaxError` carrying the server's own message.
"""

from __future__ import annotations

import ast
import http.client
import json
import math
import urllib.error
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import GET, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg.config import Settings
from kg.sparql.guards import Limits, check_services, inspect
from kg.sparql.prefixes import shift_positions, with_prologue
from kg.sparql.worker import RDF_FORMATS, RESULT_FORMATS
from kg.store import bindings as binder
from kg.store.base import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    QueryRefused,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    RawResult,
    StoreError,
    StoreUnavailable,
)
from kg.store.embedded import to_rdflib

GET_LIMIT = 1500  # characters of query text above which the query is POSTed
AGENT = "hmic-kg (https://w3id.org/hmic-kg/)"
_TIMEOUT_WORDS = ("timeout", "timed out", "time limit", "took too long")


class RemoteStore:
    """Queries a SPARQL 1.1 server over the SPARQL protocol."""

    backend = "remote"

    def __init__(self, settings: Settings) -> None:
        if not settings.remote_query_endpoint:
            raise ValueError("store = 'remote' needs the setting remote-query-endpoint")
        self.endpoint = settings.remote_query_endpoint
        self.timeout = settings.remote_timeout
        self.allowlist = frozenset(settings.service_allowlist)
        self.limits = Limits.from_settings(settings)
        self.default_graph = dataset_default_graph(settings.base_iri)
        self.metadata_graph = settings.base_iri + "id/graph/metadata"
        self._graphs: tuple[str, ...] | None = None  # the dataset's named graphs, read once

    # -- the interface -------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a read-only query and return parsed results."""
        text = binder.inject(sparql, bindings) if bindings else sparql
        form = _form(text)
        media = _NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else _JSON
        body = self._send(text, form, media, default_graphs, named_graphs, timeout, prefixes)
        try:
            if media == _JSON:
                return _parse_json(body)
            graph = Graph()
            for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
                graph.add(
                    (
                        to_rdflib(triple.subject),
                        to_rdflib(triple.predicate),
                        to_rdflib(triple.object),
                    )
                )
            return QueryResult("graph", graph=graph)
        except (ValueError, SyntaxError, KeyError, TypeError) as exc:
            raise StoreUnavailable(f"the SPARQL server sent a malformed result: {exc}") from None

    def query_raw(
        self,
        sparql: str,
        result_format: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> RawResult:
        """Run a read-only query and pass the server's serialisation through."""
        form = _form(sparql)
        if form in ("CONSTRUCT", "DESCRIBE"):
            fmt = result_format if result_format in GRAPH_FORMATS else "turtle"
            body = self._send(
                sparql, form, _NTRIPLES, default_graphs, named_graphs, timeout, prefixes
            )
            return RawResult(_rewrite_graph(body, fmt), GRAPH_FORMATS[fmt], "graph")
        fmt = result_format if result_format in SELECT_FORMATS else "json"
        body = self._send(sparql, form, _JSON, default_graphs, named_graphs, timeout, prefixes)
        kind = "ask" if form == "ASK" else "select"
        return RawResult(_rewrite_results(body, fmt), SELECT_FORMATS[fmt], kind)

    def close(self) -> None:
        """Nothing to release: every query opens and closes its own connection."""

    # -- the protocol --------------------------------------------------------------------------

    def _send(
        self,
        sparql: str,
        form: str,
        media: str,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        timeout: float | None,
        prefixes: Mapping[str, str] | None = None,
    ) -> bytes:
        # Most servers take no prefix table: declare, on one line in front, the prefixes the
        # query uses and does not declare, and move the server's error positions back.
        sparql, added = with_prologue(sparql, prefixes) if prefixes else (sparql, 0)
        self._check_services(sparql)
        wrapper = SPARQLWrapper(self.endpoint, agent=AGENT)
        # Set the text and form directly: SPARQLWrapper's own guess would route anything it
        # takes for an update to the update endpoint, and warn on what it cannot classify.
        wrapper.queryString = sparql
        wrapper.queryType = form or "SELECT"
        wrapper.setOnlyConneg(True)
        wrapper.addCustomHttpHeader("Accept", media)
        wrapper.setMethod(POST if len(sparql) > GET_LIMIT else GET)
        # SPARQLWrapper takes whole seconds and treats 0 as "no limit": round up, at least 1.
        wrapper.setTimeout(max(1, math.ceil(timeout or self.timeout)))
        default_graphs, named_graphs = self._dataset(sparql, default_graphs, named_graphs)
        for iri in default_graphs:
            wrapper.addDefaultGraph(binder.iri(iri)[1:-1])
        for iri in named_graphs:
            wrapper.addNamedGraph(binder.iri(iri)[1:-1])
        try:
            with wrapper.query().response as response:
                self._check_complete(response.headers)
                return response.read()
        except QueryBadFormed as exc:
            message = shift_positions(_server_message(exc) or "the query does not parse", added)
            raise QuerySyntaxError(message) from None
        except SPARQLWrapperException as exc:
            raise _server_error(_server_message(exc) or str(exc)) from None
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout() from None
            raise StoreUnavailable(
                f"the SPARQL server at {self.endpoint} cannot be reached ({exc.reason})"
            ) from None
        except TimeoutError:
            raise self._timeout() from None
        except (OSError, http.client.HTTPException) as exc:
            raise StoreUnavailable(
                f"the SPARQL server at {self.endpoint} failed ({exc.__class__.__name__})"
            ) from None

    def _check_services(self, sparql: str) -> None:
        """The endpoint's guards, before anything is sent: limits, no update, and no SERVICE
        outside the allowlist (the server would call any endpoint itself)."""
        check_services(inspect(sparql, self.limits), self.allowlist)

    # -- the dataset and cut-short answers (see the module docstring) --------------------------

    def _dataset(
        self,
        sparql: str,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> tuple[Sequence[str], Sequence[str]]:
        """The graphs to name in the request: the caller's, none when the query has a
        ``FROM``/``FROM NAMED`` of its own, else the project's dataset."""
        if default_graphs or named_graphs:
            return default_graphs or (), named_graphs or ()
        analysis = inspect(sparql, self.limits)  # cached per text by the lexer
        if analysis.from_graphs or analysis.from_named:
            return (), ()
        return (self.default_graph,), self.named_graphs()

    def named_graphs(self) -> tuple[str, ...]:
        """The dataset's named graphs as its VoID description on the server lists them
        (asked once the server holds it; the ``metadata`` graph is always one)."""
        if self._graphs is not None:
            return self._graphs
        result = self.query(
            DATASET_GRAPHS_QUERY,
            {"ns": Literal(self.metadata_graph.rsplit("/", 1)[0] + "/")},
            named_graphs=[self.metadata_graph],
        )
        found = {str(row["g"]) for row in result.rows} | {self.metadata_graph}
        graphs = tuple(sorted(found - {self.default_graph}))
        if result.rows:  # not loaded yet: ask again next time
            self._graphs = graphs
        return graphs

    def _check_complete(self, headers: Mapping[str, str]) -> None:
        """Refuse an answer the server says it cut short at a time limit."""
        state = headers.get("X-SQL-State", "")
        if state in VIRTUOSO_TIMEOUT_STATES:
            message = headers.get("X-SQL-Message", "").strip()
            raise QueryTimeout(f"the SPARQL server stopped the query at its time limit: {message}")

    def _timeout(self) -> QueryTimeout:
        return QueryTimeout(f"the SPARQL server at {self.endpoint} did not answer in time")


_JSON = SELECT_FORMATS["json"]
_NTRIPLES = GRAPH_FORMATS["ntriples"]
# Virtuoso's SQL states for a result cut short by a time limit ("anytime" answers).
VIRTUOSO_TIMEOUT_STATES = frozenset({"S1TAT", "S1T00"})
DATASET_GRAPHS_QUERY = """
SELECT DISTINCT ?g ?ns WHERE {
  GRAPH ?metadata { ?dataset <http://rdfs.org/ns/void#subset> ?g }
  FILTER (isIRI(?g) && STRSTARTS(STR(?g), ?ns))
}"""


def dataset_default_graph(base_iri: str) -> str:
    """The graph that holds the dataset's default graph on a server: the merge of its named
    graphs, each triple once (written by ``kg load``)."""
    return base_iri + "id/graph/default"


def _json_results(body: bytes) -> bytes:
    """A server's SPARQL JSON results reduced to the standard's own keys and term types (no
    ``link``/``distinct``/``ordered``; Virtuoso's ``typed-literal`` is a ``literal``)."""
    data = json.loads(body)
    if "boolean" in data:
        return json.dumps({"head": {}, "boolean": bool(data["boolean"])}).encode()
    head = {"vars": list(data["head"].get("vars", []))}
    rows = []
    for binding in data["results"]["bindings"]:
        row = {}
        for name, value in binding.items():
            term = {
                key: value[key] for key in ("type", "value", "xml:lang", "datatype") if key in value
            }
            if term["type"] == "typed-literal":
                term["type"] = "literal"
            if term.get("datatype") == str(XSD.string):
                del term["datatype"]
            row[name] = term
        rows.append(row)
    return json.dumps({"head": head, "results": {"bindings": rows}}).encode()


def _rewrite_results(body: bytes, fmt: str) -> bytes:
    """SPARQL JSON results from the server written in ``fmt`` by Oxigraph's writers."""
    try:
        parsed = ox.parse_query_results(_json_results(body), format=ox.QueryResultsFormat.JSON)
    except (ValueError, SyntaxError, KeyError, TypeError) as exc:
        raise StoreUnavailable(f"the SPARQL server sent a malformed result: {exc}") from None
    return parsed.serialize(format=RESULT_FORMATS[fmt])


def _rewrite_graph(body: bytes, fmt: str) -> bytes:
    """N-Triples from the server written in ``fmt`` by Oxigraph's writers."""
    try:
        triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    except (ValueError, SyntaxError) as exc:
        raise StoreUnavailable(f"the SPARQL server sent a malformed graph: {exc}") from None
    return ox.serialize(triples, format=RDF_FORMATS[fmt])


def _form(sparql: str) -> str:
    form = binder.query_form(sparql)
    if form == "UPDATE":
        raise QueryRefused("updates are not allowed: this store is read-only")
    return form


def _server_message(exc: SPARQLWrapperException) -> str:
    """The response body SPARQLWrapper folds into its exception text (``…Response:\\nb'…'``)."""
    text = str(exc)
    marker = "\n\nResponse:\n"
    if marker not in text:
        return ""
    raw = text.split(marker, 1)[1]
    try:
        body = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw.strip()
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body).strip()[:2000]


def _server_error(message: str) -> StoreError:
    if any(word in message.lower() for word in _TIMEOUT_WORDS):
        return QueryTimeout(f"the SPARQL server stopped the query: {message}")
    return StoreUnavailable(f"the SPARQL server failed: {message}")


def _http_error(exc: urllib.error.HTTPError) -> StoreError:
    try:
        message = exc.read().decode("utf-8", "replace").strip()[:2000]
    except OSError:
        message = ""
    if exc.code in (408, 504):
        return QueryTimeout(f"the SPARQL server timed out (HTTP {exc.code}) {message}".strip())
    if exc.code in (406, 413, 415) or 400 <= exc.code < 500:
        return QueryRefused(f"the SPARQL server refused the query (HTTP {exc.code}): {message}")
    return _server_error(f"HTTP {exc.code} {message}".strip())


def _parse_json(body: bytes) -> QueryResult:
    data = json.loads(body)
    if "boolean" in data:
        return QueryResult("ask", boolean=bool(data["boolean"]))
    variables = list(data["head"].get("vars", []))
    rows = [
        {name: _term(value) for name, value in binding.items()}
        for binding in data["results"]["bindings"]
    ]
    return QueryResult("select", variables=variables, rows=rows)


def _term(value: dict[str, Any]) -> Node:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(value["value"], lang=value["xml:lang"])
        if "datatype" in value:
            return Literal(value["value"], datatype=URIRef(value["datatype"]))
        return Literal(value["value"], datatype=XSD.string)  # as the embedded store gives it
    raise ValueError(f"unsupported term type {kind!r}")
