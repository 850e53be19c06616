"""The store interface: what the web app, the SPARQL endpoint and the Python API need from a
graph store, whichever backend (embedded or a remote SPARQL 1.1 server) provides it.

Reads nothing itself; implementations live in :mod:`kg.store.embedded` and
:mod:`kg.store.remote`, and :func:`kg.store.open_store` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from rdflib import Graph, Literal
from rdflib.term import Node

SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


class StoreError(Exception):
    """Base class of every error a store raises; its message is safe to show to a user."""

    status = 500


class QuerySyntaxError(StoreError):
    """The query does not parse; the message is the parser's."""

    status = 400


class QueryRefused(StoreError):
    """The query parses but is not allowed (update, SERVICE/FROM to a non-allowed IRI, too big)."""

    status = 400


class UpdateRefused(QueryRefused):
    """A SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP…) sent where only queries are run."""

    status = 403


class QueryTooLarge(QueryRefused):
    """The query text (or the request carrying it) is longer than the configured limit."""

    status = 413


class QueryTimeout(StoreError):
    """The query ran past the time limit and was stopped."""

    status = 503


class StoreUnavailable(StoreError):
    """The backend cannot be reached or failed."""

    status = 503


class QueryAborted(StoreUnavailable):
    """The engine stopped while running the query (a memory or stack limit); it restarts."""


@dataclass
class QueryResult:
    """A parsed query result: rows of rdflib terms (SELECT), a boolean (ASK) or a graph."""

    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False  # True when the result limit cut rows or triples off

    def dicts(self) -> list[dict[str, Any]]:
        """Rows as plain Python values (literals converted, IRIs as strings): pandas-friendly."""
        out = []
        for row in self.rows:
            out.append(
                {
                    k: (v.toPython() if isinstance(v, Literal) else str(v))
                    if v is not None
                    else None
                    for k, v in row.items()
                }
            )
        return out


@dataclass
class RawResult:
    """A result already serialised by the backend, ready to send over HTTP."""

    body: bytes
    media_type: str
    kind: str
    truncated: bool = False  # True when the result limit cut rows or triples off


@runtime_checkable
class GraphStore(Protocol):
    """What every backend provides. Values are bound as RDF terms, never spliced into text."""

    backend: str

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
        """Run a read-only query and return parsed results (``prefixes``: prefix → namespace
        the query may use without declaring; its own ``PREFIX`` lines win)."""
        ...

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
        """Run a read-only query and return it serialised in ``result_format``
        (a key of :data:`SELECT_FORMATS` or :data:`GRAPH_FORMATS`)."""
        ...

    def close(self) -> None:
        """Release processes, files and connections."""
        ...
