"""One linear pass over a SPARQL text: its form, how deeply it nests, the longest operator
chain, the endpoints its ``SERVICE`` clauses name, its ``FROM``/``FROM NAMED`` graphs and its
top-level ``LIMIT``. No parser runs here (nothing recurses, every regular expression is
linear), so the limits of :mod:`kg.sparql.guards` are checked before Oxigraph sees the text.

The tokens follow the SPARQL 1.1 grammar's terminals closely enough that a keyword inside a
string, an IRI or a comment is never read as a keyword; the query itself is still parsed and
judged by the engine. :func:`analyse` caches its answer per query text (bounded, thread-safe),
so a repeated query is not lexed or checked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin

_NAME = r"[\w\u00b7\u0300-\u036f\u203f\u2040\-]"  # PN_CHARS (approximately: \w is Unicode)
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_CHAR = rf"(?:[\w:%\u00b7\u0300-\u036f\u203f\u2040\-]|{_PLX})"
_LOCAL = re.compile(rf"(?:{_LOCAL_CHAR}|\.+(?={_LOCAL_CHAR}))*")
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_WORD = re.compile(r"[A-Za-z]\w*", re.ASCII)

# Every alternative either consumes what it starts on or fails within a bounded distance, and
# a failed prefixed name is not retried from a later offset of the same run (see ``tokens``):
# lexing is linear in the length of the text, whatever the text.
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
             |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
             |'(?:[^'\\\n\r]|\\.)*'
             |"(?:[^"\\\n\r]|\\.)*")
  | (?P<quote>['"])
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+)
  | (?P<bnode>_:\w(?:{_NAME}|\.+(?={_NAME}))*)
  | (?P<name>[^\W\d_][\w.\u00b7\u0300-\u036f\u203f\u2040\-]*)
  | (?P<pname>:)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)
  | (?P<number>\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+|\d*\.\d+|\d+)
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
  | (?P<op>\^\^|&&|\|\||!=|<=|>=|[=<>!+\-*/|^?,;.])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SKIP = frozenset(("ws", "comment"))
# Binary (and path) operators: a long run of them in one group makes Oxigraph's parser and
# optimiser recurse deeply or take cubic time, so their number per group is limited.
_CHAIN_OPS = frozenset(("/", "|", "^", "&&", "||", "+", "-", "*", "=", "!=", "<", ">", "<=", ">="))
QUERY_FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
UPDATE_WORDS = frozenset(
    ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
)
CACHED_LENGTH = 16384  # longer texts are analysed each time rather than kept in the cache


class Token(NamedTuple):
    """One terminal: its kind (a group name of the token pattern), text and offset."""

    kind: str
    text: str
    start: int


@dataclass(frozen=True)
class Analysis:
    """What the guards and the engine need to know about a query text before running it."""

    form: str  # the first keyword after the prologue, upper case ("" if none)
    kind: str  # "select" | "ask" | "graph" | "update" | "unknown"
    nesting: int  # deepest bracket nesting ({ ( [)
    chain: int  # most operators (/ | && + = UNION …) directly in one group
    services: tuple[str | None, ...]  # SERVICE targets (None: a variable or unresolvable)
    from_graphs: tuple[str | None, ...]  # FROM <iri>
    from_named: tuple[str | None, ...]  # FROM NAMED <iri>
    limit: int | None  # the top-level LIMIT, if any
    limit_span: tuple[int, int] | None  # where its number is in the text
    values_at: int | None  # offset of a trailing top-level VALUES clause

    def capped(self, text: str, cap: int) -> str | None:
        """``text`` with a top-level ``LIMIT cap + 1`` (so a cut can be detected), or None
        when the query cannot return more than ``cap`` rows anyway (not a SELECT, or its own
        LIMIT is small enough)."""
        if self.kind != "select" or (self.limit is not None and self.limit <= cap):
            return None
        clause = f"LIMIT {cap + 1}"
        if self.limit_span is not None:
            start, end = self.limit_span
            return text[:start] + str(cap + 1) + text[end:]
        if self.values_at is not None:
            return text[: self.values_at] + clause + "\n" + text[self.values_at :]
        return text + "\n" + clause + "\n"  # after a newline: the text may end in a comment


class LexError(ValueError):
    """A quote that starts no string: the text cannot be a SPARQL query."""

    def __init__(self, text: str, offset: int) -> None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"unterminated string at {line}:{column}")


def tokens(text: str) -> list[Token]:
    """The significant tokens of ``text`` (whitespace and comments dropped).

    A run of name characters followed by ``:`` is a prefixed name; otherwise its leading
    ASCII letters are a keyword (or function name) and lexing goes on after them, without
    scanning the rest of that run for a ``:`` again. Raises :class:`LexError` at a quote
    that starts no string (lexing stops there, as any parser would).
    """
    out: list[Token] = []
    pos, end = 0, len(text)
    match = _TOKEN.match
    plain_until = -1  # offsets below this are inside a run known not to end in ':'
    while pos < end:
        if pos < plain_until:  # inside such a run: words, '.'/'-' operators, other letters
            word = _WORD.match(text, pos)
            if word is not None:
                out.append(Token("word", word.group(), pos))
                pos = word.end()
            else:
                out.append(Token("op" if text[pos] in ".-" else "other", text[pos], pos))
                pos += 1
            continue
        found = match(text, pos)
        assert found is not None  # the last alternative matches any character
        kind = found.lastgroup or "other"
        stop = found.end()
        if kind == "name":
            if stop < end and text[stop] == ":" and text[stop - 1] != ".":
                kind, stop = "pname", _local_end(text, stop + 1)
            else:
                plain_until = stop
                word = _WORD.match(text, pos)
                kind, stop = ("word", word.end()) if word is not None else ("other", pos + 1)
        elif kind == "pname":
            stop = _local_end(text, stop)
        elif kind == "quote":
            raise LexError(text, pos)
        if kind not in _SKIP:
            out.append(Token(kind, text[pos:stop], pos))
        pos = stop
    return out


def _local_end(text: str, pos: int) -> int:
    found = _LOCAL.match(text, pos)
    return found.end() if found is not None else pos


def _codepoint(found: re.Match[str]) -> str:
    value = int(found.group()[2:], 16)
    return chr(value) if value < 0x110000 else "\ufffd"


def _unescape(iri: str) -> str:
    return re.sub(_UCHAR, _codepoint, iri)


def resolve(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    """The absolute IRI an IRI or prefixed-name token stands for (None if it cannot tell)."""
    if token.kind == "iri":
        iri = _unescape(token.text[1:-1])
        return urljoin(base, iri) if base else iri
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix)
        if namespace is None:
            return None
        return namespace + re.sub(r"\\(.)", r"\1", local)
    return None


def _target(toks: list[Token], i: int, prefixes: dict[str, str], base: str | None) -> str | None:
    return resolve(toks[i], prefixes, base) if i < len(toks) else None


def _analyse(text: str, predeclared: tuple[tuple[str, str], ...] = ()) -> Analysis:
    toks = tokens(text)
    prefixes: dict[str, str] = dict(predeclared)
    base: str | None = None
    form = ""
    depth = nesting = chain = 0
    counts = [0]
    services: list[str | None] = []
    from_graphs: list[str | None] = []
    from_named: list[str | None] = []
    limit: int | None = None
    limit_span: tuple[int, int] | None = None
    values_at: int | None = None
    n = len(toks)
    i = 0
    while i < n:
        tok = toks[i]
        kind = tok.kind
        if kind == "open":
            depth += 1
            nesting = max(nesting, depth)
            counts.append(0)
        elif kind == "close":
            if depth > 0:
                depth -= 1
                counts.pop()
        elif kind == "op":
            if tok.text in _CHAIN_OPS:
                counts[-1] += 1
                chain = max(chain, counts[-1])
        elif kind == "word":
            word = tok.text.upper()
            if word == "UNION":
                counts[-1] += 1
                chain = max(chain, counts[-1])
            elif word == "PREFIX" and i + 2 < n and toks[i + 1].kind == "pname":
                iri = resolve(toks[i + 2], prefixes, base)
                if iri is not None:
                    prefixes[toks[i + 1].text[:-1]] = iri
                i += 3
                continue
            elif word == "BASE" and i + 1 < n:
                base = resolve(toks[i + 1], prefixes, base) or base
                i += 2
                continue
            elif not form:
                form = word
            elif word == "SERVICE":
                j = i + 1
                if j < n and toks[j].kind == "word" and toks[j].text.upper() == "SILENT":
                    j += 1
                services.append(_target(toks, j, prefixes, base))
            elif word == "FROM":
                j = i + 1
                named = j < n and toks[j].kind == "word" and toks[j].text.upper() == "NAMED"
                target = _target(toks, j + 1 if named else j, prefixes, base)
                (from_named if named else from_graphs).append(target)
            elif depth == 0 and word == "LIMIT" and i + 1 < n and toks[i + 1].kind == "number":
                number = toks[i + 1]
                if number.text.isdigit():
                    limit = int(number.text)
                    limit_span = (number.start, number.start + len(number.text))
            elif depth == 0 and word == "VALUES" and values_at is None:
                values_at = tok.start
        i += 1
    if form in QUERY_FORMS:
        kind = QUERY_FORMS[form]
    elif form in UPDATE_WORDS:
        kind = "update"
    else:
        kind = "unknown"
    return Analysis(
        form=form,
        kind=kind,
        nesting=nesting,
        chain=chain,
        services=tuple(services),
        from_graphs=tuple(from_graphs),
        from_named=tuple(from_named),
        limit=limit,
        limit_span=limit_span,
        values_at=values_at,
    )


_cached = lru_cache(maxsize=1024)(_analyse)


def analyse(text: str, predeclared: tuple[tuple[str, str], ...] = ()) -> Analysis:
    """The :class:`Analysis` of ``text``, from the cache when the same text was seen before
    (``predeclared``: (prefix, namespace) pairs the text may use without declaring them)."""
    if len(text) <= CACHED_LENGTH:
        return _cached(text, predeclared)
    return _analyse(text, predeclared)
