"""Content negotiation for the endpoint: which result format a request gets, from its
``format`` parameter(s) or its ``Accept`` header (with q-values, wildcards and media-type
aliases), for each kind of answer (solutions, graphs, the service description, errors).

Pure functions over header and parameter strings; nothing here knows about HTTP objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Offer:
    """A format the endpoint can write: its key, its media type, and the media types (and
    ``format`` parameter names) that ask for it."""

    key: str
    media_type: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (every format here is UTF-8 text)."""
        return f"{self.media_type}; charset=utf-8"

    def types(self) -> tuple[str, ...]:
        """Every media type that asks for this format."""
        return (self.media_type, *self.aliases)


SOLUTION_OFFERS = (
    Offer("json", "application/sparql-results+json", ("application/json",), ("json",)),
    Offer("xml", "application/sparql-results+xml", ("application/xml", "text/xml"), ("xml",)),
    Offer("csv", "text/csv", (), ("csv",)),
    Offer("tsv", "text/tab-separated-values", (), ("tsv",)),
)
GRAPH_OFFERS = (
    Offer(
        "turtle",
        "text/turtle",
        ("application/turtle", "application/x-turtle", "text/n3", "text/rdf+n3"),
        ("turtle", "ttl", "n3"),
    ),
    Offer("ntriples", "application/n-triples", ("text/plain",), ("ntriples", "nt", "n-triples")),
    Offer(
        "jsonld",
        "application/ld+json",
        ("application/json", "application/x-json+ld"),
        ("jsonld", "json-ld", "json"),
    ),
    Offer(
        "rdfxml",
        "application/rdf+xml",
        ("application/xml", "text/xml"),
        ("rdfxml", "rdf+xml", "rdf", "xml"),
    ),
)
ALL_OFFERS = (*SOLUTION_OFFERS, *GRAPH_OFFERS)
HTML = Offer("html", "text/html", ("application/xhtml+xml",), ("html",))
DESCRIPTION_OFFERS = (*GRAPH_OFFERS, HTML)
ERROR_OFFERS = (
    Offer("text", "text/plain"),
    Offer("json", "application/json", ("application/sparql-results+json",)),
)


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type`` (0: not at all)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != kind:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


def parse_accept(header: str) -> list[_Range]:
    """The media ranges of an ``Accept`` header; malformed parts are skipped, a malformed
    q-value counts as 1."""
    ranges = []
    for order, part in enumerate(header.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        ranges.append(_Range(kind.strip(), sub.strip(), q, order))
    return ranges


def negotiate(accept: str | None, offers: Sequence[Offer]) -> Offer | None:
    """:func:`choose`, remembered per header for the endpoint's own offer tuples."""
    if isinstance(offers, tuple) and (accept is None or len(accept) <= 1024):
        return _remembered(accept, offers)
    return choose(accept, offers)


def _score(offer: Offer, ranges: list[_Range]) -> tuple[float, int, int] | None:
    """(q, specificity, -order) of the ranges that decide about ``offer``: an exact match
    of its media type first, else of one of its aliases, else a wildcard matching its media
    type (the type the answer is labelled with; a wildcard never reaches it via an alias)."""
    exact = [r for r in ranges if r.matches(offer.media_type) == 3]
    if not exact:
        exact = [r for r in ranges for alias in offer.aliases if r.matches(alias) == 3]
    if exact:
        decisive, specificity = exact, 3
    else:
        matched = [(r.matches(offer.media_type), r) for r in ranges]
        specificity = max((s for s, _ in matched), default=0)
        if not specificity:
            return None
        decisive = [r for s, r in matched if s == specificity]
    q = max(r.q for r in decisive)
    return q, specificity, -min(r.order for r in decisive if r.q == q)


def choose(accept: str | None, offers: Sequence[Offer]) -> Offer | None:
    """The offer an ``Accept`` header prefers: highest q, then the more specific match, then
    the range listed first, then the endpoint's own order. None when every offer has q = 0.
    No header (or an empty one) accepts anything: the first offer."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        score = _score(offer, ranges)
        if score is None or score[0] <= 0:
            continue
        candidate = (*score, -rank)
        if best is None or candidate > best:
            best, chosen = candidate, offer
    return chosen


_remembered = lru_cache(maxsize=256)(choose)


def by_name(values: Iterable[str], offers: Sequence[Offer]) -> Offer | None:
    """The offer the first recognisable ``format`` parameter value names: a short name
    (``json``, ``turtle``…) or a media type (or a list of them, as SPARQLWrapper sends)."""
    for value in values:
        wanted = value.strip().lower()
        if not wanted:
            continue
        for offer in offers:
            if wanted in offer.names or wanted in offer.types():
                return offer
        if "/" in wanted:
            found = negotiate(wanted, offers)
            if found is not None:
                return found
    return None


def pick(formats: Sequence[str], accept: str | None, offers: Sequence[Offer]) -> Offer | None:
    """The format of an answer: the one the ``format`` parameter names if it is one of
    ``offers``; else, when ``format`` is absent or names a format of the endpoint that does
    not fit this kind of answer (SPARQLWrapper sends ``format=csv`` with ``Accept: */*`` for
    a CONSTRUCT), the one ``Accept`` prefers. None when neither gives one, or when ``format``
    names nothing the endpoint writes."""
    if formats:
        named = by_name(formats, offers)
        if named is not None:
            return named
        if by_name(formats, ALL_OFFERS) is None:
            return None
    return negotiate(accept, offers)


def refusal(formats: Sequence[str], offers: Sequence[Offer]) -> str:
    """The 406 message when :func:`pick` found nothing."""
    if formats:
        shown = ", ".join(formats)
        if by_name(formats, ALL_OFFERS) is None:
            return f"format {shown!r} is not available; use {available(offers)}"
        return (
            f"format {shown!r} does not fit this query and Accept allows no other; "
            f"available: {available(offers)}"
        )
    return f"no acceptable result format; available: {available(offers)}"


def available(offers: Sequence[Offer]) -> str:
    """The formats of ``offers`` for an error message."""
    return ", ".join(f"{o.key} ({o.media_type})" for o in offers)
