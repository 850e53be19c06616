"""Empty answers explained: the terms of the project's own namespaces (``…/def/…``,
``…/id/…``) that a query names but the dataset does not have — a misspelt class or property,
``…/def/hmic#Judgment`` for ``…/def/hmic/Judgment`` — each with the closest existing IRI.

Reads the store once (:meth:`KnownTerms.load`: every project IRI of the dataset, one query)
and then only query texts (through :mod:`kg.sparql.lexer`, which resolves prefixed names
against the query's own ``PREFIX`` lines and the predeclared table). ``/sparql`` answers the
query as usual and reports these terms in the ``X-Unknown-Terms`` header.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import Literal

from kg.sparql.lexer import resolve
from kg.sparql.prefixes import cached_tokens
from kg.store.base import GraphStore, StoreError

PROJECT_IRIS = """
SELECT DISTINCT ?t ?base WHERE {
  { ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t } UNION { GRAPH ?t { } }
  FILTER (isIRI(?t) && STRSTARTS(STR(?t), ?base))
}"""
HEADER = "X-Unknown-Terms"


def _key(iri: str) -> str:
    return iri.replace("#", "/").lower()


def _namespace(iri: str) -> str:
    return iri.replace("#", "/").rsplit("/", 1)[0]


@dataclass(frozen=True)
class Unknown:
    """A project IRI the dataset does not have, and the closest one it has (if any)."""

    iri: str
    suggestion: str | None = None

    def header(self) -> str:
        """The term as one item of the ``X-Unknown-Terms`` header."""
        return f"<{self.iri}>" + (f"; suggestion=<{self.suggestion}>" if self.suggestion else "")


@dataclass
class KnownTerms:
    """The project IRIs of a dataset under ``base`` (an empty set checks nothing)."""

    base: str
    iris: frozenset[str]
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)
    _by_namespace: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for iri in sorted(self.iris):
            self._by_key.setdefault(_key(iri), iri)
            self._by_namespace.setdefault(_key(_namespace(iri)), []).append(iri)

    @classmethod
    def load(cls, store: GraphStore, base: str, timeout: float) -> KnownTerms:
        """Every IRI under ``base`` that the store's dataset holds (nothing if the result
        was cut at the result limit, or the store could not answer: a partial set would call
        existing terms unknown, and the check must never cost a query its answer)."""
        try:
            result = store.query(PROJECT_IRIS, {"base": Literal(base)}, timeout=timeout)
        except StoreError:
            return cls(base, frozenset())
        if result.truncated:
            return cls(base, frozenset())
        return cls(base, frozenset(str(r["t"]) for r in result.rows if "t" in r))

    def project(self, iri: str) -> bool:
        """Whether ``iri`` is in the project's term or identifier namespaces."""
        return iri.startswith((self.base + "def/", self.base + "id/"))

    def unknown(self, iris: Iterable[str]) -> list[Unknown]:
        """The project IRIs among ``iris`` the dataset does not hold, in order, each once."""
        if not self.iris:
            return []
        out: list[Unknown] = []
        for iri in dict.fromkeys(iris):
            if self.project(iri) and iri not in self.iris:
                out.append(Unknown(iri, self.closest(iri)))
        return out

    def closest(self, iri: str) -> str | None:
        """The existing IRI most like ``iri``: the same but for case or ``#``/``/``, else
        the most similar in the same namespace."""
        same = self._by_key.get(_key(iri))
        if same is not None:
            return same
        nearby = self._by_namespace.get(_key(_namespace(iri)), [])
        found = difflib.get_close_matches(iri, nearby, n=1, cutoff=0.75)
        return found[0] if found else None


def named_iris(text: str, prefixes: Mapping[str, str]) -> list[str]:
    """The absolute IRIs a query text names (IRIs and prefixed names, not its ``PREFIX``
    declarations), resolved against its own prefixes first, then ``prefixes``."""
    toks = cached_tokens(text) or ()
    own: dict[str, str] = {}
    out: list[str] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and i + 2 < len(toks):
            namespace = resolve(toks[i + 2], own, None)
            if namespace is not None:
                own[toks[i + 1].text[:-1]] = namespace
            i += 3
            continue
        if tok.kind in ("iri", "pname"):
            iri = resolve(tok, {**prefixes, **own}, None)
            if iri is not None:
                out.append(iri)
        i += 1
    return out


def header_value(known: KnownTerms, text: str, prefixes: Mapping[str, str]) -> str | None:
    """The ``X-Unknown-Terms`` header for a query, or None when every term is known."""
    found = known.unknown(named_iris(text, prefixes))
    return ", ".join(u.header() for u in found) or None
