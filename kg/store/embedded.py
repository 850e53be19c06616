"""The embedded backend: the built release's data, queried by a query engine process per
server process (:mod:`kg.sparql.pool`) that runs several queries at once on its threads, so a
query is stopped at its time limit by killing the engine (the other queries it was running
are sent again to a fresh one). Setting ``query-store``: ``memory``: the engine parses the
release's ``dataset.nq`` into memory once (one copy of the data per server process, about
17 MB here); ``shared``: it queries the release's on-disk Oxigraph store
(``out/current/store/``, written by ``kg build``) read-only, the data held once in the page
cache by every engine, for data too large to copy (queries take about twice as long);
``auto``, the default: ``memory`` up to ``AUTO_MEMORY_BYTES`` of N-Quads, else ``shared``. A
release without ``store/`` is parsed into memory either way.

Reads the release the ``current`` link names when the store opens (so the engine and every
restarted one open the same build); writes nothing.
The default graph of a query is the RDF merge of all named graphs unless the request names
its own default graphs. Every query text is checked first (:func:`kg.sparql.guards.inspect`:
size, nesting, no update) from a per-text cache; a text Oxigraph rejected is remembered, so
it is not sent again. Results are cut at the ``result-limit`` setting (flagged ``truncated``).
The engine is sandboxed (no file or socket can be opened); a query with a ``SERVICE`` clause
runs on a separate, unsandboxed engine, because Oxigraph calls the service itself: callers
that take query text from users must check the allowlist first
(:func:`kg.sparql.guards.check_services`), as ``/sparql`` and ``/query`` do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.config import Settings, load_settings
from kg.sparql.guards import Limits, inspect
from kg.sparql.pool import WorkerPool
from kg.store.base import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    QueryRefused,
    QueryResult,
    QuerySyntaxError,
    RawResult,
    StoreError,
    StoreUnavailable,
)

MERGE_DEFAULT_GRAPH = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
STORE_DIR = "store"  # the on-disk store's folder in a release, next to dataset.nq
AUTO_MEMORY_BYTES = 64 << 20  # N-Quads copied into memory by query-store = "auto" (here: 5.4 MB)
SYNTAX_CACHE = 1024  # query texts whose syntax error is remembered
PREFIX_CACHE = 4096  # query texts whose predeclared prefixes in use are remembered
_UNSEEN = object()


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


def store_source(dataset: Path) -> Path:
    """What a shared query engine opens for the N-Quads ``dataset``: its release's ``store/``
    folder when there is one, else the file itself."""
    folder = dataset.resolve().parent / STORE_DIR
    return folder if (folder / "CURRENT").is_file() else dataset.resolve()


def query_store(setting: str, dataset: Path) -> str:
    """``memory`` or ``shared`` for the ``query-store`` setting: ``auto`` (the default) copies
    a dataset of up to ``AUTO_MEMORY_BYTES`` of N-Quads into each engine's memory (fast; one
    copy per server process) and leaves a larger one on disk (one copy in the page cache)."""
    if setting == "auto":
        return "memory" if dataset.stat().st_size <= AUTO_MEMORY_BYTES else "shared"
    if setting not in ("shared", "memory"):
        raise ValueError(f"unknown query-store {setting!r} (use 'auto', 'memory' or 'shared')")
    return setting


def _wire(term: Node) -> tuple[Any, ...]:
    """An rdflib term as the worker protocol's tuple (checked here: an IRI or language tag
    Oxigraph would refuse raises ValueError in the caller's process)."""
    to_oxigraph(term)
    if isinstance(term, URIRef):
        return ("u", str(term))
    if isinstance(term, BNode):
        return ("b", str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else None
        return ("l", str(term), datatype, term.language)
    raise TypeError(f"unsupported term {term!r}")


CACHED_ANSWER_BYTES = 1 << 20
CACHED_ANSWER_ROWS = 5000


def _cache_key(request: dict[str, Any]) -> tuple[Any, ...]:
    """The identity of a request: the dataset never changes while a store is open, so the same
    request always has the same answer."""
    bindings = tuple(sorted(request["bindings"].items())) if request["bindings"] else ()
    return (
        request["op"],
        request["text"],
        request["format"],
        bindings,
        tuple(request["default_graphs"]),
        tuple(request["named_graphs"]),
        tuple(sorted(request["prefixes"].items())) if request.get("prefixes") else (),
    )


def _small(answer: tuple[Any, ...]) -> bool:
    """Whether an answer is small enough to keep in the result cache."""
    payload = answer[2]
    if isinstance(payload, bytes):
        return len(payload) <= CACHED_ANSWER_BYTES
    if isinstance(payload, tuple) and len(payload) == 2:  # (variables, rows)
        return len(payload[1]) <= CACHED_ANSWER_ROWS
    if isinstance(payload, list):  # triples
        return len(payload) <= CACHED_ANSWER_ROWS
    return True


def _used(prefixes: Mapping[str, str] | None, sparql: str) -> dict[str, str] | None:
    """The predeclared prefixes the text may use (its ``name:`` occurs in it): the engine
    then parses a few prefixes, not the whole table, and the request frame stays small."""
    if not prefixes:
        return None
    return {name: iri for name, iri in prefixes.items() if f"{name}:" in sparql} or None


@lru_cache(maxsize=1 << 16)
def _node(term: tuple[Any, ...]) -> Node:
    """The rdflib term of a worker protocol tuple (memoised: rdflib terms are immutable, and
    building a Literal is the dearest part of reading a result)."""
    if term[0] == "u":
        return URIRef(term[1])
    if term[0] == "b":
        return BNode(term[1])
    if term[0] == "l":
        if term[3]:
            return Literal(term[1], lang=term[3])
        return Literal(term[1], datatype=URIRef(term[2]))
    raise StoreError("RDF 1.2 triple terms are not supported in parsed results")


class EmbeddedStore:
    """Queries the built dataset in a query engine process (``workers``: queries it runs at
    once)."""

    backend = "embedded"

    def __init__(
        self,
        dataset: Path,
        *,
        settings: Settings | None = None,
        workers: int | None = None,
        timeout: float | None = None,
        result_limit: int | None = None,
    ) -> None:
        settings = settings or load_settings()
        if not dataset.exists():
            raise StoreUnavailable(f"no built dataset at {dataset}: run `kg build` first")
        self.path = dataset.resolve()
        self.timeout = settings.query_timeout if timeout is None else timeout
        self.result_limit = settings.result_limit if result_limit is None else result_limit
        self.limits = Limits.from_settings(settings)
        self.memory_mb = settings.query_memory_limit
        self.workers = workers or settings.query_workers
        self.query_store = query_store(settings.query_store, self.path)
        # what the engine opens: the release's store (shared), or the dataset to parse
        shared = self.query_store == "shared"
        self.source = store_source(self.path) if shared else self.path
        self._pool = WorkerPool(self.source, self.workers, memory_mb=self.memory_mb)
        self._service_pool: WorkerPool | None = None
        self._lock = threading.Lock()
        self._syntax_errors: OrderedDict[str | tuple[Any, ...], str] = OrderedDict()
        self._answers: OrderedDict[tuple[Any, ...], tuple[Any, ...]] = OrderedDict()
        self.cache_entries = settings.result_cache_entries
        self._prefix_table: Mapping[str, str] | None = None
        self._prefixes_used: dict[str, dict[str, str] | None] = {}

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
        answer = self._call(
            "terms", sparql, "", bindings, default_graphs, named_graphs, timeout, prefixes
        )
        kind, payload, truncated = answer[1], answer[2], answer[3]
        if kind == "ask":
            return QueryResult("ask", boolean=bool(payload))
        if kind == "select":
            names, rows = payload
            parsed = [
                {n: _node(v) for n, v in zip(names, row, strict=True) if v is not None}
                for row in rows
            ]
            return QueryResult("select", variables=names, rows=parsed, truncated=truncated)
        graph = Graph()
        for s, p, o in payload:
            graph.add((_node(s), _node(p), _node(o)))
        return QueryResult("graph", graph=graph, truncated=truncated)

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
        """Run a read-only query and serialise its result with Oxigraph's own writers."""
        answer = self._call(
            "raw", sparql, result_format, None, default_graphs, named_graphs, timeout, prefixes
        )
        kind, body, truncated = answer[1], answer[2], answer[3]
        if kind == "graph":
            fmt = result_format if result_format in GRAPH_FORMATS else "turtle"
            return RawResult(body, GRAPH_FORMATS[fmt], kind, truncated)
        fmt = result_format if result_format in SELECT_FORMATS else "json"
        return RawResult(body, SELECT_FORMATS[fmt], kind, truncated)

    def close(self) -> None:
        """Stop the query engines."""
        self._pool.close()
        if self._service_pool is not None:
            self._service_pool.close()

    # -- the work ------------------------------------------------------------------------------

    def _call(
        self,
        op: str,
        sparql: str,
        result_format: str,
        bindings: Mapping[str, Node] | None,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        timeout: float | None,
        prefixes: Mapping[str, str] | None = None,
    ) -> tuple[Any, ...]:
        analysis = inspect(sparql, self.limits)
        table = self._prefixes_of(prefixes, sparql)
        remembered = (sparql, tuple(sorted(table.items()))) if table else sparql
        with self._lock:
            known = self._syntax_errors.get(remembered)
        if known is not None:
            raise QuerySyntaxError(known)
        capped = analysis.capped(sparql, self.result_limit)
        request = {
            "op": op,
            "text": capped or sparql,
            "format": result_format,
            "cap": self.result_limit,
            "count_rows": capped is not None,
            "default_graphs": list(default_graphs or ()),
            "named_graphs": list(named_graphs or ()),
            "bindings": {k: _wire(v) for k, v in bindings.items()} if bindings else None,
            "prefixes": table,  # passed to Oxigraph, so error positions stay the user's
        }
        key = None
        if self.cache_entries and not analysis.services:
            key = _cache_key(request)
            with self._lock:
                cached = self._answers.get(key)
                if cached is not None:
                    self._answers.move_to_end(key)
                    return cached
        pool = self._services() if analysis.services else self._pool
        limit = self.timeout if timeout is None else timeout
        answer = pool.call(request, limit)
        if answer[0] == "syntax" and capped is not None:  # report the user's text, not ours
            answer = pool.call({**request, "text": sparql, "count_rows": False}, limit)
        if answer[0] == "ok":
            if key is not None and _small(answer):
                with self._lock:
                    self._answers[key] = answer
                    if len(self._answers) > self.cache_entries:
                        self._answers.popitem(last=False)
            return answer
        message = " ".join(str(answer[1]).split())
        if answer[0] == "syntax":
            self._remember(remembered, message)
            raise QuerySyntaxError(message)
        if answer[0] == "query":
            raise QueryRefused(f"the query cannot be evaluated: {message}")
        raise StoreUnavailable(f"the query engine failed: {message}")

    def _prefixes_of(
        self, prefixes: Mapping[str, str] | None, sparql: str
    ) -> dict[str, str] | None:
        """:func:`_used`, remembered per text while the same table is passed (the endpoint
        passes one table for the app's lifetime; a scan of it costs more than the lookup)."""
        if not prefixes:
            return None
        if prefixes is not self._prefix_table:
            self._prefix_table, self._prefixes_used = prefixes, {}
        found = self._prefixes_used.get(sparql, _UNSEEN)
        if found is _UNSEEN:
            found = _used(prefixes, sparql)
            if len(self._prefixes_used) >= PREFIX_CACHE:
                self._prefixes_used.clear()
            self._prefixes_used[sparql] = found
        return found  # type: ignore[return-value]

    def _services(self) -> WorkerPool:
        with self._lock:
            if self._service_pool is None:
                self._service_pool = WorkerPool(
                    self.source, 1, sandbox=False, memory_mb=self.memory_mb
                )
            return self._service_pool

    def _remember(self, sparql: str | tuple[Any, ...], message: str) -> None:
        with self._lock:
            self._syntax_errors[sparql] = message
            if len(self._syntax_errors) > SYNTAX_CACHE:
                self._syntax_errors.popitem(last=False)
