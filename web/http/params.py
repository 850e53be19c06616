"""Request parameters, validated before they reach a query: a malformed one is a 400.

Reads ``flask.request.args``; returns plain Python values or rdflib terms (IRIs checked by
:func:`web.iris.check_iri`, literals parsed from their N-Triples form).
"""

from __future__ import annotations

import re

from flask import request
from rdflib import Literal, URIRef
from rdflib.util import from_n3
from werkzeug.exceptions import BadRequest

from web.model.iris import check_iri

MAX_PAGE = 10_000
_LITERAL = re.compile(
    r'^"(?:[^"\\\n\r]|\\.)*"(?:@[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\^\^<[^<>"\s{}|\\^`]+>)?$',
    re.S,
)


def page() -> int:
    """The ``page`` parameter: a positive integer, 1 when absent."""
    raw = request.args.get("page")
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"'page' must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


def iri(name: str = "iri", required: bool = True) -> URIRef | None:
    """An IRI parameter, checked; None when optional and absent."""
    raw = request.args.get(name)
    if not raw and not required:
        return None
    return check_iri(raw, name)


def text(name: str, max_length: int = 200) -> str:
    """A free-text parameter, stripped, at most ``max_length`` characters."""
    raw = request.args.get(name, "")
    if len(raw) > max_length:
        raise BadRequest(f"{name!r} is longer than {max_length} characters")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in raw):
        raise BadRequest(f"{name!r} contains control characters")
    return raw.strip()


def term(name: str) -> URIRef | Literal:
    """An RDF term in N-Triples form (``<iri>`` or a quoted literal), checked."""
    raw = request.args.get(name, "")
    if raw.startswith("<") and raw.endswith(">"):
        return check_iri(raw[1:-1], name)
    if len(raw) <= 5000 and _LITERAL.match(raw):
        try:
            value = from_n3(raw)
        except (ValueError, KeyError, IndexError):
            value = None
        if isinstance(value, Literal):
            return value
    raise BadRequest(f"{name!r} must be an IRI in <…> or a literal in N-Triples form")
