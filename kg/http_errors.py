"""The answers gunicorn gives by itself, before the app sees a request (a request line too
long, malformed headers or chunked framing), made like the endpoint's own: CORS headers, so
a browser client sees the status rather than a "CORS failure", and a one-line text reason.

Also lets GET carry a query as long as the ``max-query-length`` setting allows: gunicorn
caps its ``limit_request_line`` at 8,190 bytes (its ``MAX_REQUEST_LINE``), so the cap is
raised to the bound this module computes, which stays finite (a request line is still read
into memory). Used by :mod:`kg.serve` in the gunicorn master, before workers are forked;
writes to client sockets only.
"""

from __future__ import annotations

from typing import Any

from gunicorn import util
from gunicorn.http import message

from kg.config import Settings

OTHER_PARAMETERS = 8190  # bytes of a request line beside its percent-encoded query
ENCODED_CHARACTER = 12  # bytes a character may take percent-encoded (4 UTF-8 bytes, 3 each)
REASONS = {414: "the request line is too long", 431: "the request headers are too large"}


def request_line_limit(settings: Settings) -> int:
    """Bytes of request line accepted: the longest query, percent-encoded whatever its
    characters, plus room for the method, path, other parameters and HTTP version."""
    return ENCODED_CHARACTER * settings.max_query_length + OTHER_PARAMETERS


def _one_line(status: int, reason: str, detail: str) -> str:
    text = " ".join(str(detail).split())[:300]
    if status == 414:
        text = f"{REASONS[414]} ({text}); send a long query with POST"
    elif status in REASONS:
        text = f"{REASONS[status]} ({text})"
    return f"{status} {reason}: {text or reason}\n"


def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, with CORS headers and a plain-text one-line body."""
    body = _one_line(status_int, reason, mesg).encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install(settings: Settings) -> None:
    """Make gunicorn (in this process and the workers it forks) accept request lines up to
    :func:`request_line_limit` and write its own errors with :func:`write_error`."""
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, request_line_limit(settings))
    util.write_error = write_error
