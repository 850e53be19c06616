"""What a query must pass before any engine parses it: its size, its nesting and operator
chains (checked on the tokens of :mod:`kg.sparql.lexer`, never by a recursive parser), no
SPARQL Update, and no ``SERVICE`` that would reach outside the dataset unless its endpoint is
on the ``service-allowlist`` setting (empty by default). ``FROM``, ``FROM NAMED`` and the
protocol's ``default-graph-uri`` / ``named-graph-uri`` never reach outside: they pick graphs
of the dataset by name, and an IRI that names none is an empty graph (SPARQL 1.1 Query §13.2,
as Oxigraph, Fuseki and Virtuoso treat it); they only have to be absolute IRIs.

Raises the store's errors (:mod:`kg.store.base`), each carrying its HTTP status and a one-line
reason. Reads nothing but its arguments; the lexer's per-text cache makes a repeated query's
checks a dictionary look-up.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from kg.config import Settings
from kg.sparql.lexer import Analysis, LexError, analyse
from kg.store.base import QueryRefused, QuerySyntaxError, QueryTooLarge, UpdateRefused

# An absolute IRI (RFC 3987: a scheme, then no space or character IRIs forbid).
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*")


@dataclass(frozen=True)
class Limits:
    """The size limits a query text is held to."""

    max_length: int = 131072
    max_nesting: int = 64
    max_chain: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits configured in ``settings``."""
        return cls(settings.max_query_length, settings.max_query_nesting, settings.max_query_chain)


def inspect(text: str, limits: Limits, prefixes: tuple[tuple[str, str], ...] = ()) -> Analysis:
    """The analysis of ``text`` if it is a query within ``limits``; raises otherwise
    (``prefixes``: the predeclared ones, so ``FROM graph:asserted`` resolves)."""
    if len(text) > limits.max_length:
        raise QueryTooLarge(
            f"the query is {len(text):,} characters long; the limit is {limits.max_length:,}"
        )
    if "\x00" in text:
        raise QuerySyntaxError("the query contains a NUL character (UTF-16 sent as UTF-8?)")
    try:
        analysis = analyse(text, prefixes)
    except LexError as exc:
        raise QuerySyntaxError(str(exc)) from None
    if analysis.nesting > limits.max_nesting:
        raise QueryRefused(
            f"the query nests brackets {analysis.nesting} deep; the limit is {limits.max_nesting}"
        )
    if analysis.chain > limits.max_chain:
        raise QueryRefused(
            f"the query chains {analysis.chain} operators (/ | && || + = UNION …) in one group; "
            f"the limit is {limits.max_chain}"
        )
    if analysis.kind == "update":
        raise UpdateRefused(
            f"this endpoint is read-only: SPARQL Update ({analysis.form}) is not accepted"
        )
    return analysis


def check_services(analysis: Analysis, allowlist: Collection[str]) -> None:
    """Refuse a ``SERVICE`` whose endpoint is not on ``allowlist`` (or is a variable)."""
    for target in analysis.services:
        if target is None:
            raise QueryRefused(
                "SERVICE needs a constant endpoint IRI here (a variable or an undeclared "
                "prefix cannot be checked against the allowlist)"
            )
        if target not in allowlist:
            raise QueryRefused(
                f"SERVICE <{target}> is not on this endpoint's allowlist; the endpoint makes "
                "no other outgoing calls"
            )


def check_dataset(
    analysis: Analysis,
    default_graph_uris: Iterable[str],
    named_graph_uris: Iterable[str],
) -> None:
    """Refuse a ``FROM``/``FROM NAMED`` whose IRI cannot be resolved here (an undeclared
    prefix) and a ``default-graph-uri``/``named-graph-uri`` that is not an absolute IRI. Any
    absolute IRI is accepted: one that names no graph of the dataset is an empty graph, and
    nothing is ever fetched (the engine only picks graphs of its store by name)."""
    for clause, graphs in (("FROM", analysis.from_graphs), ("FROM NAMED", analysis.from_named)):
        if None in graphs:
            raise QueryRefused(f"{clause} needs an absolute IRI (undeclared prefix?)")
    for parameter, values in (
        ("default-graph-uri", default_graph_uris),
        ("named-graph-uri", named_graph_uris),
    ):
        for value in values:
            if len(value) > 4096 or not _ABSOLUTE_IRI.fullmatch(value):
                shown = value if len(value) <= 80 else value[:79] + "…"
                raise QueryRefused(f"{parameter} {shown!r} is not an absolute IRI")


def check(
    text: str,
    limits: Limits,
    allowlist: Collection[str],
    default_graph_uris: Iterable[str] = (),
    named_graph_uris: Iterable[str] = (),
) -> Analysis:
    """Every check of this module, in order; the analysis of an acceptable query."""
    analysis = inspect(text, limits)
    check_services(analysis, allowlist)
    check_dataset(analysis, default_graph_uris, named_graph_uris)
    return analysis
