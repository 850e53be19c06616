"""The fast lane of ``/sparql``: a plain ``GET`` with a query (no validators, no range) is
answered at the WSGI level, without Flask's request context, routing and response objects,
which cost about half of a server process's CPU on a small answer.

Stage: serving. Reads the WSGI environ; answers with the endpoint's own function
(:func:`web.endpoint.sparql.answer_query`) and the HTTP cache's own finishing
(:func:`web.http.cache.finish_plain`), plus the site's security headers, so the answer is the
one the Flask view gives (a test compares them header by header). Everything else goes to
Flask: other paths and methods, requests with validators, the service description, and every
error; an error the lane met while answering is handed to the view in the environ, so the view
answers it without running the query again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from kg.sparql.protocol import ProtocolError, parse_request
from web.endpoint.sparql import FAILED, answer_query, context_of
from web.http import cache
from web.http.site import SECURITY_HEADERS

PATH = "/sparql"
VIEW = "sparql.endpoint"


class FastLane:
    """WSGI middleware in front of ``app``'s own WSGI callable (``downstream``)."""

    def __init__(self, app: Flask, downstream: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.downstream = downstream

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("SCRIPT_NAME")
            or not environ.get("QUERY_STRING")
            or not cache.plain_get(environ)
        ):
            return self.downstream(environ, start_response)
        context = context_of(self.app)
        try:
            wanted = parse_request(
                "GET",
                environ["QUERY_STRING"].encode("latin-1"),
                None,
                _nothing,
                None,
                context.settings.max_body_size,
            )
        except (ProtocolError, UnicodeError):  # the view says what is wrong
            return self.downstream(environ, start_response)
        if wanted.query is None:  # the service description
            return self.downstream(environ, start_response)
        with self.app.app_context():  # the cache reads the app's store and settings
            try:
                headers, body = answer_query(context, wanted, environ.get("HTTP_ACCEPT"))
                state = cache.HttpCache.of(self.app)
                headers, body = cache.finish_plain(state, VIEW, environ, headers, body)
            except Exception as exc:  # the view answers every error, bugs too
                environ[FAILED] = exc
                return self.downstream(environ, start_response)
        present = {name.lower() for name, _value in headers}
        headers += [(n, v) for n, v in SECURITY_HEADERS if n.lower() not in present]
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [body]


def _nothing(_size: int = -1) -> bytes:
    return b""


def install(app: Flask) -> None:
    """Put the fast lane in front of ``app`` (call once, from ``create_app``)."""
    app.wsgi_app = FastLane(app, app.wsgi_app)  # type: ignore[method-assign]
