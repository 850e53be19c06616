"""Content negotiation for documents about resources: HTML or one of four RDF syntaxes.

Reads the request's ``format`` parameter (explicit links, which win) or its ``Accept`` header;
picks a format or answers 400 (unknown ``format``) / 406 (nothing acceptable). Serialises
graphs with rdflib's serialisers and writes the ``Link: rel="alternate"`` header that
announces every format of a document.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, Response
from rdflib import Graph
from werkzeug.exceptions import BadRequest, NotAcceptable


@dataclass(frozen=True)
class Format:
    """One representation of a document."""

    key: str
    media_type: str
    rdflib_name: str | None
    label: str
    extension: str


FORMATS = {
    f.key: f
    for f in (
        Format("html", "text/html", None, "HTML", "html"),
        Format("turtle", "text/turtle", "turtle", "Turtle", "ttl"),
        Format("jsonld", "application/ld+json", "json-ld", "JSON-LD", "jsonld"),
        Format("ntriples", "application/n-triples", "nt", "N-Triples", "nt"),
        Format("rdfxml", "application/rdf+xml", "xml", "RDF/XML", "rdf"),
    )
}
# Media types some clients send for the same syntaxes.
ALIASES = {
    "application/xhtml+xml": "html",
    "application/x-turtle": "turtle",
    "text/plain": "ntriples",
    "application/json": "jsonld",
}


def choose(request: Request) -> Format:
    """The format the request asks for: ``?format=`` first, then ``Accept``, HTML by default."""
    key = request.args.get("format")
    if key is not None:
        if key not in FORMATS:
            raise BadRequest(f"unknown format {key!r}; use one of: {', '.join(FORMATS)}")
        return FORMATS[key]
    if not request.headers.get("Accept", "").strip():
        return FORMATS["html"]
    offered = [f.media_type for f in FORMATS.values()] + list(ALIASES)
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise NotAcceptable(
            "none of the requested media types is available; this document is offered as "
            + ", ".join(f.media_type for f in FORMATS.values())
        )
    key = ALIASES.get(best) or next(f.key for f in FORMATS.values() if f.media_type == best)
    return FORMATS[key]


def serialise(graph: Graph, fmt: Format, context: dict[str, str]) -> bytes:
    """``graph`` in ``fmt`` (an RDF format); JSON-LD is compacted with the project prefixes."""
    if fmt.rdflib_name is None:
        raise ValueError("HTML is rendered by a template, not serialised")
    if fmt.key == "jsonld":
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")


def link_header(href: str) -> str:
    """``Link`` header value announcing every format of the document at ``href``."""
    sep = "&" if "?" in href else "?"
    parts = [
        f'<{href}{sep}format={f.key}>; rel="alternate"; type="{f.media_type}"'
        for f in FORMATS.values()
    ]
    return ", ".join(parts)


def rdf_response(graph: Graph, fmt: Format, context: dict[str, str], href: str) -> Response:
    """An RDF document response with its media type, ``Vary`` and ``Link`` headers."""
    response = Response(serialise(graph, fmt, context), mimetype=fmt.media_type)
    if fmt.media_type.startswith("text/") or fmt.key == "jsonld":
        response.charset = "utf-8"
    decorate(response, href)
    return response


def decorate(response: Response, href: str) -> Response:
    """Add the negotiation headers (``Vary: Accept`` and the alternates) to a response."""
    response.vary.add("Accept")
    response.headers["Link"] = link_header(href)
    return response
