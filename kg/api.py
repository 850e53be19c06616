"""The Python API for researchers: open the built graph (or connect to a SPARQL server holding
it), run a SPARQL query, get rows as dicts of plain Python values.

Reads a built dataset (``out/current`` by default) or talks to a SPARQL 1.1 endpoint through
the remote store; writes nothing. Rows are plain ``dict``s of ``str``, ``int``,
``decimal.Decimal``, ``float``, ``bool``, ``datetime.date`` or ``None``, so
``pandas.DataFrame(rows, columns=rows.columns)`` works without this package depending on
pandas. The project's and the usual W3C prefixes (``hmic:``, ``force:``, ``grade:``, ``skos:``…)
are predeclared for every query (its own ``PREFIX`` lines win); a query that does not parse
raises :class:`~kg.sparql.errors.ExplainedSyntaxError`, whose message gives the line and
column in the query as written and, for the common mistakes, a hint. Values passed as
keyword arguments are bound as RDF terms, never pasted into the text (use :func:`iri` for
IRIs; a ``str`` is a string literal, numbers and dates typed literals); as on every store, a
bound variable must be projected by a SELECT query.

>>> from kg.api import open_graph, iri
>>> with open_graph() as kg:
...     rows = kg.query("SELECT ?force ?label WHERE { ?force rdfs:label ?label }",
...                     force=iri("force:leicestershire"))
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from types import TracebackType

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.config import Settings, load_settings
from kg.namespaces import AUTHORED_BASE, Base
from kg.sparql.errors import explained
from kg.store import open_store
from kg.store.base import GraphStore, QueryResult, QuerySyntaxError

Value = str | int | float | Decimal | bool | datetime.date | None


class Rows(list[dict[str, Value]]):
    """The rows of a SELECT result, with the projected variable names in ``columns``
    (kept even when there are no rows, and in the query's order)."""

    def __init__(self, rows: Iterable[dict[str, Value]], columns: list[str]) -> None:
        super().__init__(rows)
        self.columns = columns


def iri(text: str, base: str = AUTHORED_BASE) -> URIRef:
    """An IRI to bind: absolute (``https://…``) or a project prefixed name (``force:x``)."""
    prefix, sep, rest = text.partition(":")
    prefixes = Base(base).prefixes()
    if sep and prefix in prefixes and not rest.startswith("//"):
        return URIRef(prefixes[prefix] + rest)
    return URIRef(text)


def plain(term: Node | None) -> Value:
    """A result term as a plain Python value: literals converted (a literal of an unknown
    datatype, or with an ill-formed value, stays its text), IRIs and blank nodes as text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, str | int | float | Decimal | bool | datetime.date):
            return value
        return str(term)
    return str(term)


def as_term(value: object) -> Node:
    """A keyword argument as an RDF term (rdflib terms pass through)."""
    if isinstance(value, Node):
        return value
    if isinstance(value, str | int | float | Decimal | bool | datetime.date):
        return Literal(value)
    raise TypeError(f"cannot bind a {type(value).__name__}: use kg.api.iri() or an rdflib term")


class KnowledgeGraph:
    """A queryable graph over one store (embedded or remote); close it, or use ``with``."""

    def __init__(self, store: GraphStore, base_iri: str = AUTHORED_BASE) -> None:
        self.store = store
        self.base = Base(base_iri)
        self.prefixes = self.base.prefixes()

    def query(self, sparql: str, **bindings: object) -> Rows | bool | Graph:
        """Rows (SELECT), a boolean (ASK) or an rdflib graph (CONSTRUCT/DESCRIBE). A query
        that does not parse raises :class:`~kg.sparql.errors.ExplainedSyntaxError`: its
        ``problem`` names the line and column in ``sparql`` and, often, a fix."""
        terms = {name: as_term(value) for name, value in bindings.items()}
        try:
            result = self.store.query(sparql, terms or None, prefixes=self.prefixes)
        except QuerySyntaxError as exc:
            raise explained(exc, sparql, self.prefixes) from None
        return _unwrap(result)

    def iri(self, text: str) -> URIRef:
        """:func:`iri` under this graph's base IRI."""
        return iri(text, self.base.iri)

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _unwrap(result: QueryResult) -> Rows | bool | Graph:
    if result.kind == "ask":
        return bool(result.boolean)
    if result.kind == "graph":
        return result.graph if result.graph is not None else Graph()
    return Rows(
        ({v: plain(row.get(v)) for v in result.variables} for row in result.rows),
        list(result.variables),
    )


def open_graph(path_or_settings: str | Path | Settings | None = None) -> KnowledgeGraph:
    """The built graph: from the project settings (``None``: the configured store, embedded by
    default), a :class:`~kg.config.Settings`, or a path to a build folder (``out``,
    ``out/current``) or its ``dataset.nq``."""
    if path_or_settings is None or isinstance(path_or_settings, Settings):
        settings = path_or_settings or load_settings()
        return KnowledgeGraph(open_store(settings), settings.base_iri)
    path = Path(path_or_settings)
    if path.is_dir() and (path / "current").is_dir():
        path = path / "current"
    folder = path if path.is_dir() else path.parent
    dataset = path / "dataset.nq" if path.is_dir() else path
    from kg.store.embedded import EmbeddedStore

    return KnowledgeGraph(EmbeddedStore(dataset), _built_base(folder))


def connect(
    endpoint_url: str, timeout: float = 30.0, base_iri: str = AUTHORED_BASE
) -> KnowledgeGraph:
    """The graph held by a running SPARQL 1.1 server (loaded with ``kg load``, or the
    ``/sparql`` endpoint of ``kg serve``)."""
    from kg.store.remote import RemoteStore

    settings = load_settings().with_(
        store="remote", remote_query_endpoint=endpoint_url, remote_timeout=timeout
    )
    return KnowledgeGraph(RemoteStore(settings), base_iri)


def _built_base(folder: Path) -> str:
    stats = folder / "stats.json"
    if stats.is_file():
        return str(json.loads(stats.read_text(encoding="utf-8")).get("base_iri", AUTHORED_BASE))
    return AUTHORED_BASE


__all__ = ["KnowledgeGraph", "Rows", "connect", "iri", "open_graph", "plain"]
