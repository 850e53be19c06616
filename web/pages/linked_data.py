"""Linked-data manners: ``/id/`` things 303 to their ``/doc/`` pages, ``/doc/`` and ``/def/``
pages negotiate HTML and RDF, and ``/resource?iri=`` shows any other IRI the graph mentions.

Reads one named query per page: ``resource`` for the HTML page (all statements in and out,
labels, provenance quotes) or ``describe`` for the RDF representations. Writes responses with
``Vary: Accept`` and ``Link: rel="alternate"`` headers naming every format.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from rdflib import URIRef

from web.data import access
from web.http import formats as negotiation
from web.http import params
from web.model import svg
from web.model.description import describe
from web.pages.reader import passage_place

bp = Blueprint("ld", __name__)


@bp.get("/id/<path:path>")
def thing(path: str) -> Response:
    """A thing's IRI: 303 See Other to the document about it."""
    iri = access.iris().iri("id", path)
    target = access.iris().href(iri)
    if request.query_string:
        target += "?" + request.query_string.decode("utf-8", "replace")
    response = redirect(target, code=303)
    response.vary.add("Accept")
    return response


@bp.get("/doc/<path:path>")
def document(path: str) -> Response:
    """The document about the thing ``/id/{path}``."""
    return page_about(access.iris().iri("doc", path))


@bp.get("/def/<path:path>")
def definition(path: str) -> Response:
    """A vocabulary term or code-list concept (``/def/hmic`` itself is :mod:`web.pages.vocab`)."""
    return page_about(access.iris().iri("def", path))


@bp.get("/resource")
def resource() -> Response:
    """Any IRI: ours redirect to their canonical page, others are shown here."""
    iri = params.iri("iri")
    assert iri is not None
    iris = access.iris()
    if iris.local_path(str(iri)) is not None:
        return redirect(iris.href(str(iri)), code=303)
    return page_about(iri)


def reader_link(report: str) -> str:
    """The reader of a report: ``/report`` for the project's own, else with ``?report=``."""
    if report == str(access.base().REPORT_IRI):
        return url_for("reader.report")
    return url_for("reader.report", report=report)


def page_about(iri: URIRef) -> Response:
    """The negotiated document about ``iri``: HTML from ``resource``, RDF from ``describe``."""
    fmt = negotiation.choose(request)
    self_href = request.script_root + request.path
    if "iri" in request.args:
        self_href += "?iri=" + quote(str(iri), safe="")
    if fmt.key != "html":
        graph = access.construct("describe", s=iri)
        if len(graph) == 0:
            abort(404)
        return negotiation.rdf_response(graph, fmt, access.prefixes(), self_href)
    page = params.page()
    rows = access.select("resource", s=iri)
    base, iris = access.base(), access.iris()
    desc = describe(rows, iri, base, iris, page, access.term_labels())
    if not desc.exists or page > desc.pages:
        abort(404)
    reader_href = anchor = None
    if desc.is_passage:
        reader_href, anchor = passage_place(desc.iri, str(base.REPORT_IRI), request.script_root)
    # A force's page lists the reports on it (rows with ?report); a report with passages
    # links to its reader.
    titles: dict[str, str] = {}
    for row in rows:
        if "report" in row:
            titles.setdefault(str(row["report"]), str(row.get("label", "")))
    reports = [
        (iris.href(r), titles[r] or iris.short_name(r), reader_link(r)) for r in sorted(titles)
    ]
    own = any(row.get("p") == base.HMIC.inReport and "x" in row for row in rows)
    html = render_template(
        "resource.html",
        d=desc,
        formats=[f for f in negotiation.FORMATS.values() if f.key != "html"],
        self_href=self_href,
        graph=svg.neighbourhood(desc.label, desc.neighbours),
        passage_anchor=anchor,
        passage_reader=reader_href,
        is_report=own,
        report_reader=reader_link(desc.iri),
        reports=reports,
    )
    return negotiation.decorate(make_response(html), self_href)
