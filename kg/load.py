"""``kg load``: upload the built dataset to a SPARQL 1.1 server, named graphs preserved.

Reads ``out/current/dataset.nq``; writes each named graph to the server with the SPARQL 1.1
Graph Store HTTP Protocol (``PUT {graph-store}?graph={iri}``, which replaces that graph and
leaves the others alone, so loading twice is harmless), or, with ``nquads=True``, deletes
those graphs and POSTs the whole N-Quads file in one request (Oxigraph's ``/store``). Then
it writes the RDF merge of the named graphs (each triple once) into the graph
``<{base}id/graph/default>``, the dataset's default graph on any server: the remote store names
it (``default-graph-uri``) and the named graphs (``named-graph-uri``) in every request, so a
server's own graphs (Virtuoso's system graphs) and its union default graph, if any, are never
read. Finally it counts the triples of every graph, and of that default graph, through the
query endpoint with the same dataset, and fails if any differs from the file.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.config import Settings
from kg.store.base import StoreError
from kg.store.remote import RemoteStore, dataset_default_graph

UPLOAD_TIMEOUT = 300.0
COUNT_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
DEFAULT_COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
DEFAULT = "(default graph)"


class LoadError(StoreError):
    """The upload failed, or the server does not hold what was sent."""

    status = 502


@dataclass
class LoadReport:
    """Triples per graph in the file and on the server after the upload."""

    sent: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the server holds exactly the triples of every graph that was sent."""
        return all(self.found.get(g) == n for g, n in self.sent.items())


def graph_store_url(endpoint: str) -> str:
    """The Graph Store endpoint next to a query endpoint, for the servers whose layout is
    known: Oxigraph (``/query`` → ``/store``) and Fuseki (``/{ds}/query`` or ``/{ds}/sparql``
    → ``/{ds}/data``). Anything else needs ``--graph-store``."""
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if path == "/query":
        new = "/store"
    elif path.endswith(("/query", "/sparql")) and path.count("/") >= 2:
        new = path.rsplit("/", 1)[0] + "/data"
    else:
        raise ValueError(
            f"cannot tell the Graph Store endpoint of {endpoint}: give it with --graph-store"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new, "", ""))


def split_graphs(dataset: Path) -> dict[str, list[ox.Triple]]:
    """The triples of each named graph of an N-Quads file (default-graph quads refused)."""
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise LoadError(f"{dataset} has triples outside a named graph")
        graphs[quad.graph_name.value].append(quad.triple)
    return dict(graphs)


def _send(url: str, method: str, body: bytes, media: str, ok: tuple[int, ...] = ()) -> None:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) Graph Store endpoint: {url!r}")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (checked)
    request.add_header("Content-Type", media)
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in ok:
            return
        detail = exc.read().decode("utf-8", "replace").strip()[:500]
        raise LoadError(f"{method} {url} answered HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise LoadError(f"{method} {url} failed: {getattr(exc, 'reason', exc)}") from None


def _graph_url(store_url: str, graph: str) -> str:
    sep = "&" if "?" in store_url else "?"
    return f"{store_url}{sep}graph={urllib.parse.quote(graph, safe='')}"


def _upload(
    store_url: str,
    dataset: Path,
    graphs: dict[str, list[ox.Triple]],
    merge: set[ox.Triple] | None,
    default_iri: str,
    nquads: bool,
    log: Callable[[str], None],
) -> None:
    if nquads:
        for graph in graphs:  # POST adds: empty the graphs first so a reload is not a merge
            _send(_graph_url(store_url, graph), "DELETE", b"", "application/n-triples", ok=(404,))
        _send(store_url, "POST", dataset.read_bytes(), "application/n-quads")
        log(f"POST {store_url}: {dataset.name}")
    else:
        for graph, triples in graphs.items():
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            _send(_graph_url(store_url, graph), "PUT", body, "application/n-triples")
    if merge is not None:
        body = ox.serialize(merge, format=ox.RdfFormat.N_TRIPLES)
        _send(_graph_url(store_url, default_iri), "PUT", body, "application/n-triples")


def server_counts(settings: Settings, endpoint: str, graphs: list[str]) -> dict[str, int]:
    """Triples per named graph on the server and in the dataset's default graph, through its
    query endpoint, with the dataset named as the remote store names it."""
    store = RemoteStore(settings.with_(remote_query_endpoint=endpoint))
    timeout = max(settings.remote_timeout, 60.0)
    result = store.query(COUNT_QUERY, named_graphs=graphs, timeout=timeout)
    counts = {str(row["g"]): int(row["n"].toPython()) for row in result.rows}
    default = store.query(
        DEFAULT_COUNT_QUERY, default_graphs=[store.default_graph], timeout=timeout
    ).rows
    counts[DEFAULT] = int(default[0]["n"].toPython()) if default else 0
    return counts


def load(
    settings: Settings,
    endpoint: str,
    graph_store: str | None = None,
    *,
    nquads: bool = False,
    default_graph: bool = True,
    check_only: bool = False,
    log: Callable[[str], None] = print,
) -> LoadReport:
    """Upload ``out/current/dataset.nq`` and verify the triple counts on the server (with
    ``check_only``, only verify: for a dataset loaded with the server's own bulk loader)."""
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) SPARQL endpoint: {endpoint!r}")
    dataset = settings.dataset_dir / "dataset.nq"
    if not dataset.exists():
        raise LoadError(f"no built dataset at {dataset}: run `kg build` first")
    graphs = split_graphs(dataset)
    report = LoadReport(sent={g: len(set(triples)) for g, triples in graphs.items()})
    merge = {t for triples in graphs.values() for t in triples}
    report.sent[DEFAULT] = len(merge)
    if not check_only:
        store_url = graph_store or settings.remote_store_endpoint or graph_store_url(endpoint)
        default_iri = dataset_default_graph(settings.base_iri)
        merged = merge if default_graph else None
        _upload(store_url, dataset, graphs, merged, default_iri, nquads, log)
    report.found = server_counts(settings, endpoint, sorted(graphs))
    width = max(len(g) for g in report.sent)
    for graph, count in report.sent.items():
        found = report.found.get(graph, 0)
        mark = "ok" if found == count else f"MISMATCH: the server holds {found:,}"
        log(f"{graph.ljust(width)}  {count:>8,} triples  {mark}")
    if not report.ok:
        bad = Counter({g: report.found.get(g, 0) - n for g, n in report.sent.items()})
        hint = ""
        if bad[DEFAULT]:
            hint = (
                f". The dataset's default graph <{dataset_default_graph(settings.base_iri)}>"
                " must be the merge of the named graphs, each triple once (load without"
                " --no-default-graph)"
            )
        raise LoadError(
            "the server does not hold what was sent: "
            + ", ".join(f"{g} ({d:+,})" for g, d in bad.items() if d)
            + hint
        )
    return report
