"""Canonical IRIs and the browser's own paths: the one place that maps between them.

Reads the configured base IRI (``settings.base_iri``) and the project prefixes; maps local
paths ``/id/…``, ``/doc/…`` and ``/def/…`` to IRIs under that base and back, gives every IRI
a local link (``/resource?iri=…`` for IRIs outside the base), and validates IRIs and paths
taken from URLs before they reach a query (a malformed one is a 400, never a 500).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from rdflib import URIRef
from werkzeug.exceptions import BadRequest

from kg.namespaces import Base

# One path segment: IRI characters minus the delimiters, spaces and the characters RFC 3987
# forbids; "." and ".." are refused separately.
_SEGMENT = re.compile(r"^[^\s<>\"{}|\\^`#?/\x00-\x1f\x7f]+$")
# An absolute IRI a user may name in a parameter: http(s) or urn, no spaces or forbidden chars.
_IRI = re.compile(r"^(?:https?://[^\s<>\"{}|\\^`/]+(?:/[^\s<>\"{}|\\^`]*)?|urn:[^\s<>\"{}|\\^`]+)$")
# A '%' that starts no escape: the server leaves a malformed escape in the decoded path.
_BARE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
MAX_PATH = 512
MAX_IRI = 2048
AREAS = ("id", "doc", "def")
# Other paths under the base IRI that this app serves as they are (dump files, the endpoint).
SERVED_AS_IS = ("download", "sparql")


def check_iri(text: str | None, name: str = "iri") -> URIRef:
    """``text`` as an IRI, or a 400 naming the parameter when it is missing or malformed."""
    if not text:
        raise BadRequest(f"the parameter {name!r} is required")
    if len(text) > MAX_IRI or not _IRI.match(text):
        raise BadRequest(f"the parameter {name!r} is not an absolute http(s) or urn IRI")
    return URIRef(text)


def check_path(path: str) -> str:
    """A local path below ``/id/``, ``/doc/`` or ``/def/``, or a 400 when it is malformed."""
    if not path or len(path) > MAX_PATH:
        raise BadRequest("the path is empty or too long")
    if "\ufffd" in path:  # what the WSGI layer makes of percent-escapes that are not UTF-8
        raise BadRequest("the path is not valid UTF-8 once percent-decoded")
    if _BARE_PERCENT.search(path):
        raise BadRequest("the path has a malformed percent-escape ('%' without two hex digits)")
    for segment in path.split("/"):
        if segment in ("", ".", "..") or not _SEGMENT.match(segment):
            raise BadRequest("the path has an empty or malformed segment")
    return path


class Iris:
    """IRIs ↔ local paths and display names for one base IRI."""

    def __init__(self, base: Base, script_root: str = "") -> None:
        self.base = base
        self.root = script_root

    def iri(self, area: str, path: str) -> URIRef:
        """The canonical IRI of local path ``/{area}/{path}`` (``doc`` maps to its ``id``)."""
        check_path(path)
        return URIRef(self.base.iri + ("id" if area == "doc" else area) + "/" + path)

    def local_path(self, iri: str) -> str | None:
        """``id/…``, ``def/…`` or ``doc/…`` for an IRI under the base, else None."""
        if not iri.startswith(self.base.iri):
            return None
        rest = iri[len(self.base.iri) :]
        area, _, path = rest.partition("/")
        if area in AREAS and path and "#" not in path and "?" not in path:
            return rest
        return None

    def is_internal(self, iri: str) -> bool:
        """Whether the IRI is one of ours (under the base)."""
        return iri.startswith(self.base.iri)

    def href(self, iri: str) -> str:
        """The local page about ``iri``: ``/doc/…`` for things, ``/def/…`` for terms, else
        ``/resource?iri=…``."""
        local = self.local_path(iri)
        if local is not None:
            area, _, path = local.partition("/")
            area = "doc" if area == "id" else area
            return f"{self.root}/{area}/{_quote_path(path)}"
        if self.is_internal(iri):
            rest = iri[len(self.base.iri) :]
            if rest.split("/", 1)[0] in SERVED_AS_IS and "?" not in rest and "#" not in rest:
                return f"{self.root}/{quote(rest, safe=_SAFE)}"
        return f"{self.root}/resource?iri={_quote_all(iri)}"

    def curie(self, iri: str) -> str:
        """The prefixed name of ``iri`` that can be pasted into SPARQL or Turtle as it is
        (no escapes), else the IRI itself."""
        return self.base.curie(iri) or iri

    def short_name(self, iri: str) -> str:
        """A readable fallback name: the last path segment or fragment, words separated."""
        tail = re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail).replace("-", " ").replace("_", " ")
        return words.strip() or iri


_SAFE = "/:@!$&'()*+,;=-._~"


@lru_cache(maxsize=8192)
def _quote_path(path: str) -> str:
    return quote(path, safe=_SAFE)


@lru_cache(maxsize=8192)
def _quote_all(text: str) -> str:
    return quote(text, safe="")
