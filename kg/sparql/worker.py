"""The query engine process: opens the release's store and runs the queries its parent
(:mod:`kg.sparql.pool`) sends it, several at a time on its own threads, so the parent can stop
a runaway query by killing this process. Started as
``python -m kg.sparql.worker <store folder or dataset.nq> <options>``.

Given an N-Quads file (the default, setting ``query-store = "memory"``), the engine parses it
into memory once, with the merge of its named graphs as default graph: one copy of the data
per server process, however many queries run at once (pyoxigraph releases the GIL while it
evaluates, so the threads run in parallel). Given the release's ``store/`` folder (setting
``query-store = "shared"``, for data too large to hold in memory), it opens Oxigraph's on-disk
store read-only: the data is held once, in the page cache, by every engine of every server
process, and queries take about twice as long.

Has one thread per query it may run at once, each with a channel of its own: a pipe it reads
requests from and one it writes answers to (frames: a 4-byte length, then a pickle), so the
parent's caller of each slot talks to its thread directly; standard output says it is ready.
Once the store is open it limits itself: a sandboxed engine keeps only its three standard
file descriptors, its channels and the store's own files (all opened when the store opens),
and may open no new one, so no query it runs can open a file or a socket (Oxigraph
would otherwise call a ``SERVICE`` endpoint itself); its address space may grow by at most the
configured memory limit. Queries run on threads with 256 MiB stacks, so a deep expression ends
in a timeout rather than a stack overflow. It dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pickle
import resource
import signal
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

HEADER = struct.Struct(">I")  # a frame's length
STACK_BYTES = 256 * 1024 * 1024
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
# The default graph is the RDF merge of the named graphs: a set, so a triple stated in two
# graphs (e.g. asserted and peel2014) is one triple, not two rows.
MERGE_DEFAULT_GRAPH = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def load(path: Path) -> ox.Store:
    """The release's on-disk store at ``path`` (a folder), opened read-only; or, given an
    N-Quads file, an in-memory store holding its quads plus their merge as default graph."""
    if path.is_dir():
        return ox.Store.read_only(str(path))
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    store.update(MERGE_DEFAULT_GRAPH)
    return store


def encode(term: Any) -> tuple[Any, ...]:
    """A pyoxigraph term as a plain tuple (u: IRI, b: blank node, l: literal, t: triple)."""
    kind = type(term)
    if kind is ox.NamedNode:
        return ("u", term.value)
    if kind is ox.Literal:
        return ("l", term.value, term.datatype.value, term.language)
    if kind is ox.BlankNode:
        return ("b", term.value)
    return ("t", encode(term.subject), encode(term.predicate), encode(term.object))


def decode(term: tuple[Any, ...]) -> Any:
    """The pyoxigraph term of an :func:`encode` tuple."""
    if term[0] == "u":
        return ox.NamedNode(term[1])
    if term[0] == "b":
        return ox.BlankNode(term[1])
    if term[0] == "l":
        if term[3]:
            return ox.Literal(term[1], language=term[3])
        return ox.Literal(term[1], datatype=ox.NamedNode(term[2] or XSD_STRING))
    return ox.Triple(decode(term[1]), decode(term[2]), decode(term[3]))


def _cut_tsv(tsv: bytes, cap: int) -> tuple[bytes, bool]:
    """TSV results (one line per row: values escape their newlines) cut to ``cap`` rows."""
    if tsv.count(b"\n") - 1 <= cap:
        return tsv, False
    end = -1
    for _ in range(cap + 1):  # the header line and cap rows
        end = tsv.index(b"\n", end + 1)
    return tsv[: end + 1], True


def dataset_options(default_graphs: Sequence[str], named_graphs: Sequence[str]) -> dict[str, Any]:
    """The engine's dataset options for the protocol's ``default-graph-uri`` and
    ``named-graph-uri`` (SPARQL 1.1 Protocol §2.1.4): given either, the dataset is exactly
    what they name, and they replace the query's ``FROM``/``FROM NAMED`` — ``default-graph-uri``
    alone leaves no named graphs, ``named-graph-uri`` alone an empty default graph. Given
    neither, the query's own ``FROM``/``FROM NAMED`` (which Oxigraph reads as §13.2 says) or
    else the store's default dataset. An IRI naming no graph is an empty graph."""
    if not default_graphs and not named_graphs:
        return {}
    return {
        "default_graph": [ox.NamedNode(g) for g in default_graphs],
        "named_graphs": [ox.NamedNode(g) for g in named_graphs],
    }


def run(store: ox.Store, request: dict[str, Any]) -> tuple[Any, ...]:
    """Execute one request; the answer is ("ok", …) or (error kind, message)."""
    options: dict[str, Any] = dataset_options(
        request.get("default_graphs") or (), request.get("named_graphs") or ()
    )
    if request.get("bindings"):
        options["substitutions"] = {
            ox.Variable(name): decode(value) for name, value in request["bindings"].items()
        }
    if request.get("prefixes"):
        options["prefixes"] = request["prefixes"]
    cap: int = request["cap"]
    try:
        result = store.query(request["text"], **options)
        if request["op"] == "terms":
            return ("ok", *_terms(result, cap))
        again = partial(store.query, request["text"], **options)
        return ("ok", *_serialised(result, request["format"], cap, request["count_rows"], again))
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except OSError as exc:
        return ("os", str(exc))
    except (RuntimeError, ValueError, TypeError, KeyError) as exc:
        return ("query", str(exc))


def _terms(result: Any, cap: int) -> tuple[Any, ...]:
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result), False)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        columns = range(len(names))
        rows = [
            tuple(None if s[i] is None else encode(s[i]) for i in columns)
            for s in islice(result, cap + 1)
        ]
        return ("select", (names, rows[:cap]), len(rows) > cap)
    triples = [
        (encode(t.subject), encode(t.predicate), encode(t.object)) for t in islice(result, cap + 1)
    ]
    return ("graph", triples[:cap], len(triples) > cap)


def most_rows(body: bytes, fmt: str, cap: int) -> int:
    """An upper bound of the rows in serialised results, from byte counts only: exact for
    TSV and XML (values escape their line breaks and '<'), and for JSON unless a value holds
    "{}" (a value cannot hold '{"': quotes are escaped) or for CSV a line break."""
    if fmt == "json":
        braces = body.count(b"{") - 3  # one fast pass: every row opens at least one brace
        if braces <= cap:
            return braces
        objects = body.count(b'{"') + body.count(b"{}")
        terms = body.count(b'{"type":"') + body.count(b'"value":{"subject":')
        return objects - terms - 3  # the head, vars and bindings objects
    if fmt == "xml":
        return body.count(b"<result>") + body.count(b"<result/>")
    return body.count(b"\n") - 1  # the header line


def _serialised(
    result: Any, fmt: str, cap: int, count_rows: bool, again: Callable[[], Any]
) -> tuple[Any, ...]:
    if isinstance(result, ox.QueryTriples):
        triples = list(islice(result, cap + 1))
        body = ox.serialize(triples[:cap], format=RDF_FORMATS.get(fmt, ox.RdfFormat.TURTLE))
        return ("graph", body, len(triples) > cap)
    kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
    fmt = fmt if fmt in RESULT_FORMATS else "json"
    target = RESULT_FORMATS[fmt]
    body = result.serialize(format=target)
    # A SELECT without a small LIMIT of its own was sent with LIMIT cap + 1: cut the extra
    # row if it came back (rarely: only results that big are read a second time).
    if kind == "ask" or not count_rows or most_rows(body, fmt, cap) <= cap:
        return (kind, body, False)
    if fmt == "tsv":
        tsv = body
    elif fmt == "csv":  # CSV cannot be read back faithfully: run the query again as TSV
        tsv = again().serialize(format=ox.QueryResultsFormat.TSV)
    else:
        parsed = ox.parse_query_results(body, format=target)
        tsv = parsed.serialize(format=ox.QueryResultsFormat.TSV)  # type: ignore[union-attr]
    tsv, truncated = _cut_tsv(tsv, cap)
    if fmt == "tsv":
        return (kind, tsv, truncated)
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return (kind, parsed.serialize(format=target), truncated)  # type: ignore[union-attr]


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def _write(fd: int, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)


def _open_files() -> dict[int, str]:
    """This process's file descriptors and what each names."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone already
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return found


def _seal(keep_under: Path | None, channels: Sequence[int] = ()) -> None:
    """Close every descriptor but the standard three, the ``channels`` and the store's files
    (those under ``keep_under``), fill the gaps below the highest one kept with /dev/null, and
    lower the descriptor limit to just above it: a new file or socket then fails with EMFILE."""
    prefix = f"{keep_under.resolve()}{os.sep}" if keep_under is not None else None
    kept = {
        fd
        for fd, target in _open_files().items()
        if fd > 2 and prefix is not None and target.startswith(prefix)
    } | set(channels)
    for fd in range(3, 1024):
        if fd not in kept:
            with contextlib.suppress(OSError):
                os.close(fd)
    top = max(kept, default=2)
    null = os.open(os.devnull, os.O_RDONLY)  # takes the lowest gap, if there is one
    for fd in range(3, top):
        if fd not in kept and fd != null:
            os.dup2(null, fd, inheritable=False)
    if null > top:
        os.close(null)
    resource.setrlimit(resource.RLIMIT_NOFILE, (top + 1, top + 1))


def _limit(
    sandbox: bool, memory_mb: int, store: Path | None = None, channels: Sequence[int] = ()
) -> None:
    if memory_mb > 0:
        with open("/proc/self/statm", encoding="ascii") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
        limit = size + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if sandbox:
        _seal(store, channels)


def serve(
    store: ox.Store,
    channels: Sequence[tuple[int, int]],
    sandbox: bool,
    memory_mb: int,
    wfd: int,
    location: Path | None,
) -> None:
    """Answer requests on one thread per channel (a pipe to read requests from and one to
    write answers to) until the parent closes them (``location``: the on-disk store's folder,
    whose open files the sandbox keeps)."""

    def answer(rfd: int, wfd: int) -> None:
        # Buffered: a whole request frame usually arrives in one read.
        stream = os.fdopen(rfd, "rb", buffering=1 << 16, closefd=False)
        while True:
            header = _read_exact(stream, HEADER.size)
            payload = None if header is None else _read_exact(stream, HEADER.unpack(header)[0])
            if payload is None:  # the parent has gone: queries still running are not wanted
                os._exit(0)
            # The parent is the only writer of this pipe, which nothing else can reach.
            request = pickle.loads(payload)  # noqa: S301
            try:
                result = run(store, request)
            except Exception as exc:  # a bad request must not end the engine
                result = ("query", f"{type(exc).__name__}: {exc}")
            _write(wfd, result)

    threading.stack_size(STACK_BYTES)
    answering = [threading.Thread(target=answer, args=pair, daemon=True) for pair in channels]
    for thread in answering:  # started first: the memory limit counts their stacks
        thread.start()
    _limit(sandbox, memory_mb, location, [fd for pair in channels for fd in pair])
    _write(wfd, ("ready", len(store)))
    for thread in answering:
        thread.join()


def main(argv: list[str]) -> int:
    """Load the dataset named in ``argv`` and serve requests on stdin/stdout."""
    options = json.loads(argv[2])
    _die_with_parent(int(options["parent"]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    wfd = sys.stdout.fileno()  # says ready (or failed); requests come on the channels
    source = Path(argv[1])
    try:
        store = load(source)
    except (OSError, SyntaxError, ValueError) as exc:
        _write(wfd, ("failed", f"cannot load {argv[1]}: {exc}"))
        return 1
    location = source if source.is_dir() else None  # the store's files stay open
    sandbox, memory_mb = bool(options["sandbox"]), int(options["memory_mb"])
    channels = [(int(r), int(w)) for r, w in options["channels"]]
    serve(store, channels, sandbox, memory_mb, wfd, location)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
