"""What a query must pass before any engine parses it: its size, its nesting and operator
chains (checked on the tokens of :mod:`kg.sparql.lexer`, never by a recursive parser), no
SPARQL Update, and no ``SERVICE``, ``FROM`` or ``FROM NAMED`` that would reach outside the
dataset unless the target is on the ``service-allowlist`` setting (empty by default).

Raises the store's errors (:mod:`kg.store.base`), each carrying its HTTP status and a one-line
reason. Reads nothing but its arguments; the lexer's per-text cache makes a repeated query's
checks a dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from kg.config import Settings
from kg.sparql.lexer import Analysis, LexError, analyse
from kg.store.base import QueryRefused, QuerySyntaxError, QueryTooLarge, UpdateRefused


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
    local_graphs: Collection[str],
    allowlist: Collection[str],
) -> None:
    """Refuse ``FROM``/``FROM NAMED`` (or the protocol's ``default-graph-uri`` /
    ``named-graph-uri``) naming a graph that is neither in the dataset nor allowlisted: the
    endpoint never fetches a graph from the web."""
    named = [
        *(("FROM", g) for g in analysis.from_graphs),
        *(("FROM NAMED", g) for g in analysis.from_named),
        *(("default-graph-uri", g) for g in default_graph_uris),
        *(("named-graph-uri", g) for g in named_graph_uris),
    ]
    for clause, graph in named:
        if graph is None:
            raise QueryRefused(f"{clause} needs an absolute IRI (undeclared prefix?)")
        if graph not in local_graphs and graph not in allowlist:
            raise QueryRefused(
                f"{clause} <{graph}> is not a graph of this dataset (see the service "
                "description) and the endpoint never fetches graphs from the web"
            )


def check(
    text: str,
    limits: Limits,
    allowlist: Collection[str],
    local_graphs: Collection[str],
    default_graph_uris: Iterable[str] = (),
    named_graph_uris: Iterable[str] = (),
) -> Analysis:
    """Every check of this module, in order; the analysis of an acceptable query."""
    analysis = inspect(text, limits)
    check_services(analysis, allowlist)
    check_dataset(analysis, default_graph_uris, named_graph_uris, local_graphs, allowlist)
    return analysis
