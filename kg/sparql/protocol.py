"""The SPARQL 1.1 Protocol's query operation, read from the raw parts of an HTTP request:
``GET`` with ``query=``, ``POST`` of a form, ``POST`` of an ``application/sparql-query``
body; ``default-graph-uri``, ``named-graph-uri`` and ``format`` parameters.

Reads bytes, never trusts them: the body is read up to the size limit and no further (a body
whose framing is malformed, e.g. a broken chunked encoding, is a 400), every parameter and body
must be valid UTF-8 (a body declared or marked as anything else is refused, naming its
charset), ``query`` must come exactly once, and anything that is an update (an ``update``
parameter, an ``application/sparql-update`` body) is refused. Each refusal is a
:class:`ProtocolError` (or a store error) with its HTTP status and a one-line reason.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from kg.store.base import QueryTooLarge, UpdateRefused

MAX_FIELDS = 200  # parameters in a query string or form
CACHED_LENGTH = 16384  # bytes of query string or form above which nothing is cached
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UTF8 = ("utf-8", "utf8")
BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16: it starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAFE_CHARSET = re.compile(r"[A-Za-z0-9._:+-]{1,40}")


class ProtocolError(Exception):
    """A request the protocol does not allow; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class QueryRequest:
    """What a request asks: the query (None: no query, e.g. for the service description),
    its dataset and the result formats named by ``format`` parameters."""

    query: str | None
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)


def _pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    if len(raw) <= CACHED_LENGTH:
        return list(_cached_pairs(raw, where))
    return _decoded_pairs(raw, where)


def _decoded_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    """``name=value`` pairs of a query string or form: '+' is a space, %XX a byte, and the
    bytes must then be UTF-8 (nothing is replaced)."""
    fields = [part for part in raw.split(b"&") if part]
    if len(fields) > MAX_FIELDS:
        raise ProtocolError(400, f"the {where} has more than {MAX_FIELDS} parameters")
    pairs = []
    for part in fields:
        name, _, value = part.partition(b"=")
        try:
            pairs.append((_text(name), _text(value)))
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                400, f"the {where} is not valid UTF-8 once percent-decoded ({exc.reason})"
            ) from None
    return pairs


def _text(part: bytes) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")


@lru_cache(maxsize=512)
def _cached_pairs(raw: bytes, where: str) -> tuple[tuple[str, str], ...]:
    """A repeated request (the same query string) is not percent-decoded again (failures
    are exceptions, which the cache does not keep)."""
    return tuple(_decoded_pairs(raw, where))


def _media(content_type: str | None) -> tuple[str, dict[str, str]]:
    if not content_type:
        return "", {}
    media, *params = content_type.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), parsed


def _shown(charset: str) -> str:
    return charset if _SAFE_CHARSET.fullmatch(charset) else "(unreadable)"


def _decode_body(body: bytes, charset: str | None) -> str:
    """The text of an ``application/sparql-query`` body, which must be UTF-8 (SPARQL 1.1
    Protocol §2.1.3): another declared charset is a 415 naming it; a UTF-16 or UTF-32
    byte-order mark, NUL bytes (UTF-16 without a mark) or bytes that are not UTF-8, a 400.
    Nothing is ever replaced."""
    if charset is not None and charset not in UTF8:
        shown = _shown(charset)
        raise ProtocolError(415, f"unsupported charset {shown!r}: send the query as UTF-8")
    for mark, name in BOMS:
        if body.startswith(mark):
            raise ProtocolError(
                400, f"the body starts with a {name} byte-order mark: send the query as UTF-8"
            )
    if b"\x00" in body:  # a SPARQL text holds no NUL; UTF-16 without a mark is full of them
        raise ProtocolError(
            400, "the body holds NUL bytes (UTF-16 or UTF-32 text?): send the query as UTF-8"
        )
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            400, f"the body is not valid UTF-8 (byte {exc.start}: {exc.reason})"
        ) from None


def read_body(read: Callable[[int], bytes], content_length: int | None, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes
    (from ``Content-Length`` before reading, else after reading ``limit + 1`` bytes)."""
    if content_length is not None and content_length > limit:
        raise QueryTooLarge(f"the request body is {content_length:,} bytes; the limit is {limit:,}")
    try:
        body = read(limit + 1)
    except Exception as exc:  # the server's body reader: a malformed framing or a lost client
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ProtocolError(400, f"the request body is malformed ({reason})") from None
    if len(body) > limit:
        raise QueryTooLarge(f"the request body is over the limit of {limit:,} bytes")
    return body


def parse_request(
    method: str,
    query_string: bytes,
    content_type: str | None,
    read: Callable[[int], bytes],
    content_length: int | None,
    max_body: int,
) -> QueryRequest:
    """The query operation a request asks for; raises :class:`ProtocolError`,
    :class:`~kg.store.base.UpdateRefused` or :class:`~kg.store.base.QueryTooLarge`."""
    params = _pairs(query_string, "query string")
    body_query: str | None = None
    if method == "POST":
        media, options = _media(content_type)
        if media == SPARQL_UPDATE:
            raise UpdateRefused("this endpoint is read-only: SPARQL Update is not accepted")
        if media == FORM:
            charset = options.get("charset")
            if charset is not None and charset not in UTF8:
                raise ProtocolError(
                    415, f"unsupported charset {_shown(charset)!r} for a form: use UTF-8"
                )
            params += _pairs(read_body(read, content_length, max_body), "form body")
        elif media == SPARQL_QUERY:
            body_query = _decode_body(
                read_body(read, content_length, max_body), options.get("charset")
            )
        else:
            shown = media or "no Content-Type"
            raise ProtocolError(415, f"POST a query as {FORM} or {SPARQL_QUERY} (got {shown})")
    names = [name for name, _ in params]
    if "update" in names:
        raise UpdateRefused("this endpoint is read-only: SPARQL Update is not accepted")
    queries = [value for name, value in params if name == "query"]
    if body_query is not None:
        if queries:
            raise ProtocolError(400, "the query is given both in the body and as a parameter")
        queries = [body_query]
    if len(queries) > 1:
        raise ProtocolError(400, f"{len(queries)} query parameters; send exactly one")
    query = queries[0] if queries else None
    if query is None and method == "POST":
        raise ProtocolError(400, "missing query: send a query parameter or body")
    if query is not None and not query.strip():
        raise ProtocolError(400, "the query is empty")
    return QueryRequest(
        query,
        [v for n, v in params if n == "default-graph-uri"],
        [v for n, v in params if n == "named-graph-uri"],
        [v for n, v in params if n == "format"],
    )
