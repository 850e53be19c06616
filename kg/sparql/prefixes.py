"""The prefixes every query may use without declaring them (as the Wikidata Query Service
does): the project's own (one per kind of identifier) and the usual W3C ones, from
:meth:`kg.namespaces.Base.prefixes`. An explicit ``PREFIX`` in the query wins.

Reads query texts only (through :func:`kg.sparql.lexer.tokens`). The embedded store hands the
table to Oxigraph, which takes it natively; for any other engine :func:`with_prologue` adds one
line of ``PREFIX`` declarations, only for the prefixes the query uses and does not declare,
and :func:`shift_positions` maps the engine's error positions back into the user's text.
Also describes the table as SHACL prefix declarations for the service description.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from html import escape

from rdflib import BNode, Graph, Literal
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from kg.namespaces import Base
from kg.sparql.lexer import LexError, Token, tokens

_POSITION = re.compile(r"(\bat (?:line )?|\bline )(\d+)([:, ](?: ?column )?)(\d+)?", re.I)


def predeclared(base_iri: str) -> dict[str, str]:
    """The prefix table of a dataset under ``base_iri`` (prefix → namespace IRI)."""
    return Base(base_iri).prefixes()


@lru_cache(maxsize=256)
def cached_tokens(text: str) -> tuple[Token, ...] | None:
    """The tokens of ``text`` (None if it cannot be lexed), kept for the checks that each
    answer of ``/sparql`` runs on the same text."""
    try:
        return tuple(tokens(text))
    except LexError:
        return None


def _tokens(text: str) -> list[Token]:
    return list(cached_tokens(text) or ())


def declared(toks: list[Token]) -> dict[str, int]:
    """The prefixes a query declares itself, each with the index of its ``PREFIX`` token."""
    out: dict[str, int] = {}
    for i, tok in enumerate(toks[:-1]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and toks[i + 1].kind == "pname":
            name, _, local = toks[i + 1].text.partition(":")
            if not local:
                out[name] = i
    return out


def used(toks: list[Token]) -> list[Token]:
    """The prefixed-name tokens of a query, in order, its ``PREFIX`` declarations excepted."""
    out = []
    for i, tok in enumerate(toks):
        after_prefix = i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "PREFIX"
        if tok.kind == "pname" and not after_prefix:
            out.append(tok)
    return out


def missing(text: str, table: Mapping[str, str]) -> dict[str, str]:
    """The prefixes of ``table`` that ``text`` uses without declaring them."""
    toks = _tokens(text)
    own = declared(toks)
    names = {t.text.partition(":")[0] for t in used(toks)}
    return {p: table[p] for p in sorted(names) if p in table and p not in own}


def with_prologue(text: str, table: Mapping[str, str]) -> tuple[str, int]:
    """``text`` preceded by one line declaring the prefixes it needs from ``table``, and the
    number of lines added (0 or 1), for engines that take no prefix table."""
    needed = missing(text, table)
    if not needed:
        return text, 0
    line = " ".join(f"PREFIX {p}: <{ns}>" for p, ns in needed.items())
    return line + "\n" + text, 1


def shift_positions(message: str, lines: int) -> str:
    """An engine's message with its line numbers moved up by ``lines`` (the added prologue)."""
    if not lines:
        return message

    def move(found: re.Match[str]) -> str:
        number = max(1, int(found.group(2)) - lines)
        return f"{found.group(1)}{number}{found.group(3)}{found.group(4) or ''}"

    return _POSITION.sub(move, message)


def declare(graph: Graph, subject: Node, table: Mapping[str, str]) -> None:
    """State the table on ``subject`` as SHACL prefix declarations (``sh:declare``)."""
    graph.bind("sh", SH)
    for prefix, namespace in sorted(table.items()):
        node = BNode()
        graph.add((subject, SH.declare, node))
        graph.add((node, SH.prefix, Literal(prefix)))
        graph.add((node, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))


def html_table(table: Mapping[str, str]) -> str:
    """The table as an HTML table (prefix, namespace)."""
    rows = "\n".join(
        f"<tr><td><code>{escape(p)}:</code></td><td><code>{escape(ns)}</code></td></tr>"
        for p, ns in sorted(table.items())
    )
    return (
        "<table><thead><tr><th>prefix</th><th>namespace</th></tr></thead><tbody>\n"
        f"{rows}\n</tbody></table>"
    )
