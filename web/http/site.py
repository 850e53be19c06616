"""Site-wide concerns of the browser: page chrome, security headers and error pages.

Reads nothing from the store. Gives every template the navigation and IRI helpers, sets a
strict Content-Security-Policy (everything from this origin, nothing from a CDN), and turns
errors into pages: 400 for malformed input, 404 with a search box, store errors with their
status and their user-safe message — never a stack trace.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg.store.base import StoreError
from web.data import access

bp = Blueprint("site", __name__)

NAV = (
    ("home.index", "Home"),
    ("reader.report", "Report"),
    ("classes.index", "Classes"),
    ("vocab.ontology", "Vocabulary"),
    ("search.search", "Search"),
    ("query.editor", "Query"),
    ("charts.charts", "Charts"),
    ("forces.index", "Forces"),
    ("downloads.index", "Downloads"),
)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)


@bp.app_context_processor
def chrome() -> dict[str, Any]:
    """Navigation, IRI helpers and the endpoint link for every template."""
    endpoint = "/sparql" if "sparql" in current_app.blueprints else None
    return {
        "nav": [(e, label) for e, label in NAV if e.split(".")[0] in current_app.blueprints],
        "iris": access.iris(),
        "sparql_endpoint": endpoint,
        "config_blueprints": set(current_app.blueprints),
    }


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Same-origin everything; no sniffing; no framing (unless a view set its own)."""
    present = {name.lower() for name in response.headers.keys()}  # (a miss raises inside)
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site icon (browsers ask for it; a 404 would show as a console error)."""
    return current_app.send_static_file("favicon.svg")


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    tail = request.path.rstrip("/").rsplit("/", 1)[-1]
    suggestion = tail.replace("-", " ").replace("_", " ")[:100] if status == 404 else ""
    html = render_template(
        "error.html", status=status, title=title, message=message, suggestion=suggestion
    )
    return html, status


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    """An error page for any HTTP error raised by a view (400, 404, 405, 406…)."""
    if error.code is None or error.code < 400:
        return error
    response = error.get_response()
    title = error.name
    message = error.description or ""
    if error.code == 404:
        message = "There is no page or resource at this address."
    html, status = _error_page(error.code, title, message)
    response.set_data(html)
    response.mimetype = "text/html"
    response.status_code = status
    return response


@bp.app_errorhandler(StoreError)
def store_error(error: StoreError) -> tuple[str, int]:
    """A store failure: its status (400, 503…) and its message, which is safe to show."""
    return _error_page(error.status, "The data store could not answer", str(error))
