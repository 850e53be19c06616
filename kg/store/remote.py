"""The remote backend: the same store interface over any SPARQL 1.1 server (Oxigraph, Apache
Jena Fuseki, GraphDB, Virtuoso…), spoken to through SPARQLWrapper.

Reads the settings ``remote-query-endpoint`` and ``remote-timeout``; sends read-only queries
(GET, or a form POST when the text is long) and parses the answers into the interface's
results. Bound values become a ``VALUES`` block written by :mod:`kg.store.bindings`. The
server must answer queries without ``GRAPH`` from the merge of its named graphs, as the
embedded store does: ``kg load`` writes that merge as the server's default graph and checks
it (see docs/joining.md for Oxigraph, Fuseki, GraphDB and Virtuoso). ``SERVICE`` clauses to
endpoints outside the ``service-allowlist`` setting are refused before anything is sent, as
the server would call them itself. Failures map to the interface's errors: unreachable →
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
        media = "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else _JSON
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
            media, kind = GRAPH_FORMATS[fmt], "graph"
        else:
            fmt = result_format if result_format in SELECT_FORMATS else "json"
            media, kind = SELECT_FORMATS[fmt], "ask" if form == "ASK" else "select"
        body = self._send(sparql, form, media, default_graphs, named_graphs, timeout, prefixes)
        return RawResult(body, media, kind)

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
        for iri in default_graphs or ():
            wrapper.addDefaultGraph(binder.iri(iri)[1:-1])
        for iri in named_graphs or ():
            wrapper.addNamedGraph(binder.iri(iri)[1:-1])
        try:
            with wrapper.query().response as response:
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

    def _timeout(self) -> QueryTimeout:
        return QueryTimeout(f"the SPARQL server at {self.endpoint} did not answer in time")


_JSON = SELECT_FORMATS["json"]


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
