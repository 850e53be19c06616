"""What the endpoint does to a serialised result after the engine (either backend) wrote it:
the columns of ``SELECT *`` in the order their variables first appear in the query, ASK as the
CSV/TSV that common readers parse, and the refusal of a result cut at the result limit.

Pure functions over query text and result bytes (SPARQL 1.1 Query Results JSON, XML, CSV and
TSV); nothing here knows about HTTP or the store.

- ``SELECT *``: SPARQL leaves the order of its columns to the engine; Oxigraph sorts them by
  name (``o p s`` for ``?s ?p ?o``). Most engines and every user expect the order of first
  appearance, so the variable list (and every CSV/TSV row) is reordered to it.
- ASK in CSV and TSV: the Recommendations define no boolean form; Apache Jena writes and
  reads a one-column table named ``_askResult`` (``?_askResult`` in TSV), which rdflib,
  pandas and spreadsheets read as a table too, so that is what is written.
- A result over the limit is never sent as if whole: :class:`ResultTooLarge` says how to
  page through it instead.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from operator import itemgetter

import pyoxigraph as ox

from kg.sparql.lexer import LexError, tokens
from kg.store.base import QueryRefused

CACHED_LENGTH = 16384  # longer texts are scanned each time rather than kept in the cache
_MODIFIERS = frozenset(("DISTINCT", "REDUCED"))
_JSON_VARS = re.compile(rb'"vars"\s*:\s*\[([^\]]*)\]')
_XML_HEAD = re.compile(rb"<head>((?:\s*<variable\s+name=\"[^\"]*\"\s*/>)*\s*)</head>")
_XML_VARIABLE = re.compile(rb'<variable\s+name="([^"]*)"\s*/>')
ASK_TABLES = {
    "csv": (b"_askResult\r\n", b"\r\n"),
    "tsv": (b"?_askResult\n", b"\n"),
}


class ResultTooLarge(QueryRefused):
    """The result has more rows or triples than the endpoint's ``result-limit``."""


def too_large(limit: int) -> ResultTooLarge:
    """The one-line refusal of a result over ``limit`` rows or triples, saying how to page."""
    return ResultTooLarge(
        f"the result has more than {limit:,} rows or triples (the endpoint's result-limit); "
        f"nothing was cut silently: ask for it in pages, with ORDER BY and LIMIT {limit} "
        f"OFFSET 0, then OFFSET {limit}, and so on"
    )


def star_order(text: str) -> tuple[str, ...] | None:
    """For a ``SELECT *`` query, its variables in the order they first appear after the
    ``*`` (the names, without ``?``/``$``); None for any other query."""
    if "*" not in text:
        return None
    return _cached_order(text) if len(text) <= CACHED_LENGTH else _order(text)


def _order(text: str) -> tuple[str, ...] | None:
    try:
        toks = tokens(text)
    except LexError:
        return None
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        if word in ("PREFIX", "BASE"):
            continue
        if word != "SELECT":
            return None
        j = i + 1
        if j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() in _MODIFIERS:
            j += 1
        if j >= len(toks) or toks[j].text != "*":
            return None
        seen: dict[str, None] = {}
        for later in toks[j + 1 :]:
            if later.kind == "var":
                seen.setdefault(later.text[1:], None)
        return tuple(seen)
    return None


_cached_order = lru_cache(maxsize=1024)(_order)


def ordered(names: list[str], order: tuple[str, ...]) -> list[str]:
    """``names`` (a result's variables) sorted by their place in ``order``; names ``order``
    lacks keep their relative order, after the others."""
    place = {name: i for i, name in enumerate(order)}
    return sorted(names, key=lambda n: place.get(n, len(place)))


def reorder(body: bytes, fmt: str, order: tuple[str, ...]) -> bytes:
    """A SELECT result in ``fmt`` (json, xml, csv, tsv) with its variables put in the order
    of ``order``; anything it cannot read is returned unchanged."""
    if fmt == "json":
        return _reorder_json(body, order)
    if fmt == "xml":
        return _reorder_xml(body, order)
    if fmt in ("csv", "tsv"):
        return _reorder_table(body, fmt, order)
    return body


def _reorder_json(body: bytes, order: tuple[str, ...]) -> bytes:
    found = _JSON_VARS.search(body)
    if found is None:
        return body
    names = re.findall(rb'"((?:[^"\\]|\\.)*)"', found.group(1))
    wanted = ordered([n.decode("utf-8") for n in names], order)
    listed = b",".join(b'"' + n.encode("utf-8") + b'"' for n in wanted)
    return body[: found.start(1)] + listed + body[found.end(1) :]


def _reorder_xml(body: bytes, order: tuple[str, ...]) -> bytes:
    found = _XML_HEAD.search(body)
    if found is None:
        return body
    names = [n.decode("utf-8") for n in _XML_VARIABLE.findall(found.group(1))]
    wanted = ordered(names, order)
    head = b"".join(b'<variable name="' + n.encode("utf-8") + b'"/>' for n in wanted)
    return body[: found.start(1)] + head + body[found.end(1) :]


def _reorder_table(body: bytes, fmt: str, order: tuple[str, ...]) -> bytes:
    text = body.decode("utf-8")
    if fmt == "csv":  # slow in Python: the endpoint asks the engine for TSV instead
        rows = list(csv.reader(io.StringIO(text, newline="")))
        names = rows[0] if rows else []
    else:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        rows = [line.split("\t") for line in lines]
        names = [n[1:] for n in rows[0]] if rows else []
    if len(names) < 2 or any(len(row) != len(names) for row in rows):
        return body
    wanted = ordered(names, order)
    if wanted == names:
        return body
    pick = itemgetter(*(names.index(n) for n in wanted))
    if fmt == "tsv":
        return ("\n".join(["\t".join(pick(row)) for row in rows]) + "\n").encode("utf-8")
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(map(pick, rows))
    return out.getvalue().encode("utf-8")


def engine_format(fmt: str, text: str) -> str:
    """The format to ask the engine for when the client wants ``fmt``: TSV for a ``SELECT *``
    wanted as CSV (CSV is lossy and slow to read back; the columns are reordered in TSV, then
    written as CSV by Oxigraph), else ``fmt`` itself."""
    return "tsv" if fmt == "csv" and star_order(text) else fmt


def ask_table(body: bytes, fmt: str) -> bytes:
    """An ASK result in CSV or TSV as a one-row table headed ``_askResult`` (a bare
    ``true``/``false``, as Oxigraph writes it, gets the header; a table is left alone)."""
    head, end = ASK_TABLES[fmt]
    value = body.strip().lower()
    if value in (b"true", b"false"):
        return head + value + end
    return body


def finish(body: bytes, kind: str, fmt: str, text: str, written: str | None = None) -> bytes:
    """A serialised result as the endpoint sends it in ``fmt``: ASK tables for CSV/TSV,
    ``SELECT *`` columns in the order of first appearance; ``written`` is the format the
    engine wrote (:func:`engine_format`), converted to ``fmt`` if it differs."""
    written = written or fmt
    if kind == "ask":
        return ask_table(body, fmt) if fmt in ASK_TABLES else body
    if kind == "select":
        order = star_order(text)
        if order:
            body = reorder(body, written, order)
    if written == "tsv" and fmt == "csv":
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        body = parsed.serialize(format=ox.QueryResultsFormat.CSV)  # type: ignore[union-attr]
    return body
