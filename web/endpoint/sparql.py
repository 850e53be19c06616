"""The SPARQL 1.1 query endpoint at ``/sparql`` (read-only, bounded, CORS-enabled).

Reads the app's store and settings. A request is parsed by :mod:`kg.sparql.protocol`,
checked by :mod:`kg.sparql.guards` (limits, no update, no ``SERVICE``/``FROM`` outside the
dataset unless allowlisted) before any engine parses it, negotiated by
:mod:`kg.sparql.negotiation` and run by the store with the configured time limit. ``GET``
without a query answers the service description (:mod:`kg.sparql.description`). Every error
is a 4xx or 503 with a one-line reason (text or JSON, per ``Accept``), never a stack trace.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from kg.config import Settings
from kg.sparql import errors as query_errors
from kg.sparql import negotiation as neg
from kg.sparql import results, unknown
from kg.sparql.description import Dataset, dataset_sizes, description, html_page
from kg.sparql.guards import Limits, check_dataset, check_services, inspect
from kg.sparql.prefixes import predeclared
from kg.sparql.protocol import ProtocolError, QueryRequest, parse_request
from kg.store.base import GraphStore, QuerySyntaxError, StoreError

bp = Blueprint("sparql", __name__)

METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "Content-Type, X-Result-Truncated, X-Unknown-Terms, X-Unbound-Variables"
    ),
}
RESULT_HEADERS = [*CORS.items(), ("Vary", "Accept")]
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "86400",
}
ALLOWED_REQUEST_HEADERS = "Accept, Content-Type, Accept-Language, Cache-Control"
_LOCK = threading.Lock()
FAILED = "hmic.sparql.failed"  # environ key: the error the fast lane met, for the view to answer
NOTED_TEXTS = 1024  # query texts whose explaining headers are remembered
MAX_MESSAGE = 600  # characters of an error message (Oxigraph lists every expected token)
REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    503: "Service Unavailable",
}


class _Context:
    """What the endpoint keeps per app: settings-derived limits and the dataset's sizes."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings = settings
        self.store = store
        self.limits = Limits.from_settings(settings)
        self.allowlist = frozenset(settings.service_allowlist)
        self._dataset: Dataset | None = None
        self.prefixes = predeclared(settings.base_iri)  # usable without PREFIX lines
        self.prefix_pairs = tuple(self.prefixes.items())
        self._known: unknown.KnownTerms | None = None
        self.notes = lru_cache(maxsize=NOTED_TEXTS)(self._notes)

    def _notes(self, text: str, select: bool) -> list[tuple[str, str]]:
        """The headers that explain an empty answer to ``text`` (:mod:`kg.sparql.unknown`,
        unbound variables), a function of the text alone: computed once per text."""
        notes = []
        missing = unknown.header_value(self.known(), text, self.prefixes)
        if missing:
            notes.append((unknown.HEADER, missing))
        if select and (unbound := query_errors.never_bound(text)):
            notes.append(("X-Unbound-Variables", ", ".join(unbound)))
        return notes

    def known(self) -> unknown.KnownTerms:
        """The dataset's project IRIs (asked once, like the sizes)."""
        with _LOCK:
            if self._known is None:
                self._known = unknown.KnownTerms.load(
                    self.store, self.settings.base_iri, self.settings.query_timeout
                )
            return self._known

    def dataset(self) -> Dataset:
        """The named graphs and their sizes (asked once: the dataset does not change while
        the app runs)."""
        with _LOCK:
            if self._dataset is None:
                self._dataset = dataset_sizes(self.store, self.settings.query_timeout)
            return self._dataset


def context_of(app: Flask) -> _Context:
    """The endpoint's per-app state (made on first use)."""
    found = app.extensions.get("hmic_sparql")
    if found is None:
        found = _Context(app.config["SETTINGS"], app.config["STORE"])
        app.extensions["hmic_sparql"] = found
    return found


def _context() -> _Context:
    return context_of(current_app)


def known_terms() -> unknown.KnownTerms:
    """The app's project IRIs (read once), for pages that explain empty answers too."""
    return _context().known()


def _error(status: int, message: str) -> Response:
    """An error answer: a one-line reason as text, or JSON when the client prefers it."""
    if status not in REASONS:
        status = 503 if status >= 500 else 400
    line = " ".join(message.split())
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 1] + "…"
    offer = neg.negotiate(request.headers.get("Accept"), neg.ERROR_OFFERS) or neg.ERROR_OFFERS[0]
    if offer.key == "json":
        body = json.dumps(
            {"status": status, "error": REASONS[status], "message": line}
            | {"line": None, "column": None, "hint": None, "parser": None}
        )
    else:
        body = f"{status} {REASONS[status]}: {line}\n"
    response = Response(body, status=status, headers=CORS, content_type=offer.content_type)
    if status == 405:
        response.headers["Allow"] = "GET, HEAD, POST, OPTIONS"
    return response


def _syntax_error(exc: QuerySyntaxError) -> Response:
    """A parse error explained (:mod:`kg.sparql.errors`): two lines of text, or JSON."""
    problem = query_errors.explain(g.get("sparql_text", ""), str(exc), _context().prefixes)
    offer = neg.negotiate(request.headers.get("Accept"), neg.ERROR_OFFERS) or neg.ERROR_OFFERS[0]
    body = problem.json() if offer.key == "json" else f"400 Bad Request: {problem.text()}\n"
    return Response(body, status=400, headers=CORS, content_type=offer.content_type)


def _preflight() -> Response:
    headers = dict(PREFLIGHT)
    asked = request.headers.get("Access-Control-Request-Headers", "")
    safe = [h.strip() for h in asked.split(",") if h.strip().replace("-", "").isalnum()]
    headers["Access-Control-Allow-Headers"] = ", ".join(safe) or ALLOWED_REQUEST_HEADERS
    headers["Vary"] = "Origin, Access-Control-Request-Headers"
    response = Response(status=204, headers=headers)
    del response.headers["Content-Type"]
    return response


def _service_description(context: _Context, wanted: QueryRequest) -> Response:
    offers = neg.DESCRIPTION_OFFERS
    offer = neg.by_name(wanted.formats, offers) if wanted.formats else None
    if offer is None:
        offer = neg.negotiate(request.headers.get("Accept"), offers)
    if offer is None:
        return _error(406, f"no acceptable format; available: {neg.available(offers)}")
    endpoint = request.base_url
    settings = context.settings
    options: dict[str, Any] = {
        "timeout": settings.query_timeout,
        "result_limit": settings.result_limit,
        "allowlist": context.allowlist,
        "prefixes": context.prefixes,
    }
    if offer.key == "html":
        body: str | bytes = html_page(endpoint, context.dataset(), **options)
    else:
        graph = description(endpoint, context.dataset(), **options)
        formats = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
        body = graph.serialize(format=formats[offer.key], encoding="utf-8")
    headers = {**CORS, "Vary": "Accept"}
    return Response(body, status=200, headers=headers, content_type=offer.content_type)


def answer_query(
    context: _Context, wanted: QueryRequest, accept: str | None
) -> tuple[list[tuple[str, str]], bytes]:
    """The 200 answer to a query request: its headers and body. Raises
    :class:`ProtocolError` (406 when no format the client accepts fits the query),
    :class:`QuerySyntaxError` or :class:`StoreError` for the error answers. Independent of
    Flask: the view and the fast lane (:mod:`web.endpoint.fastlane`) both answer with it."""
    assert wanted.query is not None
    settings = context.settings
    analysis = inspect(wanted.query, context.limits, context.prefix_pairs)
    check_services(analysis, context.allowlist)
    check_dataset(analysis, wanted.default_graph_uris, wanted.named_graph_uris)
    offers = neg.GRAPH_OFFERS if analysis.kind == "graph" else neg.SOLUTION_OFFERS
    offer = neg.pick(wanted.formats, accept, offers)
    if offer is None:
        raise ProtocolError(406, neg.refusal(wanted.formats, offers))
    written = results.engine_format(offer.key, wanted.query)
    raw = context.store.query_raw(
        wanted.query,
        written,
        default_graphs=wanted.default_graph_uris or None,
        named_graphs=wanted.named_graph_uris or None,
        timeout=settings.query_timeout,
        prefixes=context.prefixes,
    )
    if raw.truncated:  # never a silently partial answer
        raise results.too_large(getattr(context.store, "result_limit", settings.result_limit))
    headers = [
        *RESULT_HEADERS,
        ("Content-Type", offer.content_type),
        *context.notes(wanted.query, analysis.kind == "select"),
    ]
    return headers, results.finish(raw.body, raw.kind, offer.key, wanted.query, written)


def _answer() -> Response:
    context = _context()
    settings = context.settings
    environ = request.environ
    wanted = parse_request(
        request.method,
        environ.get("QUERY_STRING", "").encode("latin-1"),
        request.headers.get("Content-Type"),
        request.stream.read,
        request.content_length,
        settings.max_body_size,
    )
    if wanted.query is None:
        return _service_description(context, wanted)
    g.sparql_text = wanted.query
    failed = environ.pop(FAILED, None)
    if failed is not None:  # the fast lane ran this request: answer its error, run nothing
        raise failed
    headers, body = answer_query(context, wanted, request.headers.get("Accept"))
    return Response(body, status=200, headers=headers)


@bp.route("/sparql", methods=METHODS)
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol query operation (and the service description)."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.method not in ("GET", "HEAD", "POST"):
        return _error(405, f"{request.method} is not supported: use GET or POST")
    try:
        return _answer()
    except ProtocolError as exc:
        return _error(exc.status, str(exc))
    except QuerySyntaxError as exc:
        return _syntax_error(exc)
    except StoreError as exc:
        return _error(exc.status, str(exc))
    except Exception:  # a bug must not become a 500 with a stack trace
        current_app.logger.exception("SPARQL request failed")
        return _error(503, "the endpoint could not answer this request")
