"""The embedded backend: the built dataset (``out/current/dataset.nq``) loaded into an
in-memory Oxigraph store (pyoxigraph), queried in-process.

Reads the dataset written by ``kg build``; writes nothing. The default graph of a query is
the merge of all named graphs (each triple once) unless the request names its own default
graphs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.store.base import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    QueryResult,
    QuerySyntaxError,
    RawResult,
    StoreError,
    StoreUnavailable,
)

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def to_rdflib(term: object) -> Node:
    """Convert a pyoxigraph term to the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


MERGE_DEFAULT_GRAPH = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def load_dataset(path: Path) -> ox.Store:
    """An in-memory Oxigraph store holding the N-Quads dataset at ``path``."""
    if not path.exists():
        raise StoreUnavailable(f"no built dataset at {path}: run `kg build` first")
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    # The default graph is the RDF merge of the named graphs: a set, so a triple stated in
    # two graphs (e.g. asserted and peel2014) is one triple, not two rows.
    store.update(MERGE_DEFAULT_GRAPH)
    return store


class EmbeddedStore:
    """Queries an in-memory copy of the built dataset."""

    backend = "embedded"

    def __init__(self, dataset: Path) -> None:
        self.path = dataset
        self._store = load_dataset(dataset)

    def _run(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> object:
        kwargs: dict[str, object] = {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if bindings:
            kwargs["substitutions"] = {
                ox.Variable(name): to_oxigraph(value) for name, value in bindings.items()
            }
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(str(exc)) from None

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a read-only query and return parsed results."""
        result = self._run(sparql, bindings, default_graphs, named_graphs)
        try:
            if isinstance(result, ox.QueryBoolean):
                return QueryResult("ask", boolean=bool(result))
            if isinstance(result, ox.QuerySolutions):
                names = [v.value for v in result.variables]
                rows = [
                    {n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in result
                ]
                return QueryResult("select", variables=names, rows=rows)
            graph = Graph()
            for t in result:  # type: ignore[attr-defined]
                graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
            return QueryResult("graph", graph=graph)
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(str(exc)) from None

    def query_raw(
        self,
        sparql: str,
        result_format: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> RawResult:
        """Run a read-only query and serialise its result with Oxigraph's own writers."""
        result = self._run(sparql, None, default_graphs, named_graphs)
        try:
            if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
                kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
                fmt = result_format if result_format in _RESULT_FORMATS else "json"
                body = result.serialize(format=_RESULT_FORMATS[fmt])
                return RawResult(body, SELECT_FORMATS[fmt], kind)
            fmt = result_format if result_format in _RDF_FORMATS else "turtle"
            body = result.serialize(format=_RDF_FORMATS[fmt])  # type: ignore[attr-defined]
            return RawResult(body, GRAPH_FORMATS[fmt], "graph")
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(str(exc)) from None

    def close(self) -> None:
        """Drop the in-memory store."""
        self._store = ox.Store()
