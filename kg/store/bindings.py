"""Bound values for a SPARQL text sent to a remote server: the one place that writes RDF
terms into query text, so it is small and audited.

Reads a query and a mapping of variable names to rdflib terms; returns the query with a
``VALUES`` block at the start of its outermost ``WHERE`` group (and of each nested group that
uses a bound variable, so a ``FILTER`` there sees the value exactly as Oxigraph's
substitutions do in the embedded store; sub-selects that do not project a bound variable are
left alone, as that variable is a different one there). Terms are written from a closed
grammar: IRIs are checked against SPARQL's ``IRIREF`` rule and refused when they contain
``<>"{}|^`\\``, spaces or control characters; literals are escaped character by character;
blank nodes are refused (``VALUES`` cannot hold them). Nothing here guesses: a query whose
shape it cannot place the block in is refused with :class:`BindingError`. The same small
lexer also names a query's form and the endpoints its ``SERVICE`` clauses would call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.store.base import QueryRefused

_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20\x7f]')
_LANGTAG = re.compile(r"^[A-Za-z]+(?:-[A-Za-z0-9]+)*$")
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
_UPDATE_WORDS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

# One token of SPARQL text. Order matters: comments and strings first so that braces, '#'
# and '?' inside them are not read as syntax; an IRIREF only when the whole '<…>' is one.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '''(?:[^'\\]|\\.|'(?!''))*'''
      | "(?:[^"\\\n\r]|\\.)*"
      | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*(?::[^\s(){}\[\],;]*)?
      | :[^\s(){}\[\],;]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class BindingError(QueryRefused, ValueError):
    """A value or variable that cannot be bound safely, or a query it cannot be bound into."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokens(sparql: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield _Token(kind, match.group(), match.start(), match.end())


def iri(value: str) -> str:
    """``<value>`` if ``value`` is a well-formed absolute IRI reference, else BindingError."""
    if _IRI_FORBIDDEN.search(value) or not _SCHEME.match(value):
        raise BindingError(f"not a bindable IRI: {value[:80]!r}")
    return f"<{value}>"


def string(value: str) -> str:
    """``value`` as a double-quoted SPARQL string with every special character escaped."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise BindingError("unpaired surrogate in a bound literal")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def term(value: Node) -> str:
    """The SPARQL text of one rdflib term (IRI or literal; blank nodes are refused)."""
    if isinstance(value, URIRef):
        return iri(str(value))
    if isinstance(value, Literal):
        text = string(str(value))
        if value.language:
            if not _LANGTAG.match(value.language):
                raise BindingError(f"malformed language tag {value.language!r}")
            return f"{text}@{value.language}"
        if value.datatype is None or value.datatype == XSD.string:
            return text
        return f"{text}^^{iri(str(value.datatype))}"
    if isinstance(value, BNode):
        raise BindingError("blank nodes cannot be bound (VALUES cannot hold them)")
    raise BindingError(f"cannot bind {type(value).__name__} values")


def values_block(bindings: Mapping[str, Node]) -> str:
    """``VALUES (?a ?b) { (<…> "…") }`` for one row of bindings."""
    names = list(bindings)
    for name in names:
        if not _VARNAME.match(name):
            raise BindingError(f"not a variable name: {name[:40]!r}")
    row = " ".join(term(bindings[n]) for n in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"


@dataclass
class _Group:
    open: _Token
    kind: str  # "where" (outermost), "group", "subselect", "data", "template", "other"
    mentions: set[str] = field(default_factory=set)  # bound-or-not variables visible here
    projects: set[str] | None = None  # sub-selects: projected variables (None: SELECT *)
    hides: list[_Group] = field(default_factory=list)  # enclosing sub-selects


def _projection(tokens: list[_Token], start: int) -> set[str] | None:
    """The variables a SELECT clause starting at ``tokens[start]`` projects (None for ``*``):
    bare variables, and ``?v`` in ``(expression AS ?v)``."""
    names: set[str] = set()
    depth = 0
    for i in range(start, len(tokens)):
        tok = tokens[i]
        if tok.kind == "open" or (
            depth == 0 and tok.kind == "word" and tok.text.upper() in ("WHERE", "FROM")
        ):
            break
        if tok.text == "(" and tok.kind == "other":
            depth += 1
        elif tok.text == ")" and tok.kind == "other":
            depth -= 1
        elif tok.text == "*" and tok.kind == "other" and depth == 0:
            return None
        elif tok.kind == "var" and (
            depth == 0 or (tokens[i - 1].kind == "word" and tokens[i - 1].text.upper() == "AS")
        ):
            names.add(tok.text[1:])
    return names


def _visible(name: str, group: _Group) -> bool:
    return all(sub.projects is None or name in sub.projects for sub in group.hides)


def _shape(tokens: list[_Token]) -> tuple[str, list[_Group], set[str] | None]:
    """The query form, every brace pair with its role, and the outer projection."""
    form = ""
    projection: set[str] | None = None
    seen_where = template_done = data_next = False
    stack: list[_Group] = []
    groups: list[_Group] = []
    for i, tok in enumerate(tokens):
        upper = tok.text.upper() if tok.kind == "word" else ""
        if upper and not stack:
            if not form and upper in _QUERY_FORMS:
                form = upper
                if form == "SELECT":
                    projection = _projection(tokens, i + 1)
            elif not form and upper in _UPDATE_WORDS:
                raise BindingError("updates cannot take bindings")
            elif upper == "WHERE":
                seen_where = True
        if upper == "VALUES":
            data_next = True
        elif tok.kind == "var":
            name = tok.text[1:]
            for group in reversed(stack):
                hidden = group.projects is not None and name not in group.projects
                if group.kind == "subselect" and hidden:
                    break  # a sub-select that does not project ?name hides it from outside
                group.mentions.add(name)
        elif tok.kind == "open":
            subs = [g for g in stack if g.kind == "subselect"]
            if data_next:
                kind, data_next = "data", False
            elif stack:
                after = tokens[i + 1] if i + 1 < len(tokens) else None
                is_sub = (
                    after is not None and after.kind == "word" and after.text.upper() == "SELECT"
                )
                kind = "subselect" if is_sub else "group"
            elif form == "CONSTRUCT" and not seen_where and not template_done:
                kind, template_done = "template", True
            elif form == "CONSTRUCT" and not template_done:
                raise BindingError("the CONSTRUCT WHERE short form cannot take bindings")
            else:
                kind = "other" if any(g.kind == "where" for g in groups) else "where"
            group = _Group(tok, kind, hides=subs)
            if kind == "subselect":
                group.projects = _projection(tokens, i + 2)
            stack.append(group)
            groups.append(group)
        elif tok.kind == "close":
            if not stack:
                raise BindingError("unbalanced '}' in the query")
            stack.pop()
    if stack:
        raise BindingError("unbalanced '{' in the query")
    if not form:
        raise BindingError("not a SELECT, CONSTRUCT, ASK or DESCRIBE query")
    return form, groups, projection


def query_form(sparql: str) -> str:
    """``SELECT``, ``CONSTRUCT``, ``ASK`` or ``DESCRIBE``; ``UPDATE`` for an update; ``""``
    when the text starts with neither (the server's parser then says what is wrong)."""
    for tok in _tokens(sparql):
        if tok.kind == "word":
            upper = tok.text.upper()
            if upper in _QUERY_FORMS:
                return upper
            if upper in _UPDATE_WORDS:
                return "UPDATE"
    return ""


def inject(sparql: str, bindings: Mapping[str, Node]) -> str:
    """``sparql`` with ``bindings`` as ``VALUES`` blocks (see the module docstring)."""
    if not bindings:
        return sparql
    values_block(bindings)  # validate every name and term before looking at the query
    form, groups, projection = _shape(list(_tokens(sparql)))
    where = next((g for g in groups if g.kind == "where"), None)
    if where is None:
        raise BindingError(f"the {form} query has no WHERE group to bind values in")
    for name in bindings:
        if projection is not None and name not in projection:
            raise BindingError(f"the query does not project the bound variable ?{name}")
        if projection is None and name not in where.mentions:
            raise BindingError(f"the query does not use the bound variable ?{name}")
    inserts: list[tuple[int, str]] = [(where.open.end, values_block(bindings))]
    for group in groups:
        if group.kind == "group":
            used = {n: v for n, v in bindings.items() if n in group.mentions and _visible(n, group)}
            if used:
                inserts.append((group.open.end, values_block(used)))
    out = sparql
    for pos, block in sorted(inserts, key=lambda item: item[0], reverse=True):
        out = f"{out[:pos]} {block} {out[pos:]}"
    return out
