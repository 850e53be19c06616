"""Parse errors people can act on: a query the engine rejected, explained in at most two
lines — where (line and column in the user's own text), the offending text, and for the
common mistakes a hint — never the parser's list of expected tokens.

Reads the user's query text (through :mod:`kg.sparql.lexer`), the engine's raw message and
the predeclared prefix table; returns a :class:`QueryProblem`, which renders as the text or
JSON body of a 400 answer. Used by ``/sparql``, ``kg query``, the Python API and the query
page. The mistakes recognised: an undeclared prefix, a ``/`` in a prefixed name, a missing
``.`` or ``}`` (or one ``}`` too many), a string left open, ``SELECT *`` with ``GROUP BY``,
a projected variable that is neither grouped nor aggregated, and a misspelt keyword.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kg.sparql.lexer import LexError, Token, tokens
from kg.sparql.prefixes import cached_tokens, declared, used
from kg.store.base import QuerySyntaxError

_POSITION = re.compile(r"\bat (\d+):(\d+)")
_TERMS = frozenset(("var", "iri", "pname", "string", "number", "bnode"))
_NAME_RUN = re.compile(r"[^\s{}()\[\];,<>\"'|^*+?!=]+")
_CLAUSE_ENDS = frozenset(("HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"))
KEYWORDS = (
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "WHERE",
    "PREFIX",
    "BASE",
    "DISTINCT",
    "OPTIONAL",
    "FILTER",
    "UNION",
    "MINUS",
    "GRAPH",
    "BIND",
    "VALUES",
    "GROUP",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "FROM",
    "NAMED",
    "SERVICE",
    "EXISTS",
    "NOT",
)
# Every other word SPARQL 1.1 knows (built-in functions, aggregates, the rest of the keywords).
OTHER_WORDS = frozenset(
    """a true false as by asc desc reduced having silent in undef str lang langmatches
    datatype bound iri uri bnode rand abs ceil floor round concat strlen ucase lcase
    encode_for_uri contains strstarts strends strbefore strafter year month day hours
    minutes seconds timezone tz now uuid struuid md5 sha1 sha256 sha384 sha512 coalesce if
    strlang strdt sameterm isiri isuri isblank isliteral isnumeric regex substr replace count
    sum min max avg sample group_concat separator distinct exists not load clear drop add
    move copy create insert delete with data using default all to into""".upper().split()
)
SHOWN_PREFIXES = 8
COMMON_PREFIXES = (
    "hmic",
    "force",
    "judgment",
    "finding",
    "initiative",
    "paragraph",
    "rdfs",
    "skos",
)
BACKSLASH = chr(92)
SHOWN_TEXT = 40


@dataclass(frozen=True)
class QueryProblem:
    """An explained parse error: ``message`` (one line), an optional ``hint`` (one line),
    the position in the user's text (1-based; None when unknown) and the parser's own text."""

    message: str
    line: int | None
    column: int | None
    hint: str | None
    parser: str

    def text(self) -> str:
        """The message and the hint, at most two lines."""
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")

    def body(self, status: int = 400, reason: str = "Bad Request") -> dict[str, object]:
        """The JSON error body of ``/sparql``."""
        return {
            "status": status,
            "error": reason,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "parser": self.parser,
        }

    def json(self, status: int = 400, reason: str = "Bad Request") -> str:
        """:meth:`body` serialised."""
        return json.dumps(self.body(status, reason))


class ExplainedSyntaxError(QuerySyntaxError):
    """A parse error whose message is the explained :class:`QueryProblem` (``problem``)."""

    def __init__(self, problem: QueryProblem) -> None:
        super().__init__(problem.text())
        self.problem = problem


def explained(
    error: QuerySyntaxError, text: str, prefixes: Mapping[str, str] | None = None
) -> ExplainedSyntaxError:
    """``error`` (the engine's, for ``text``) as an explained one."""
    if isinstance(error, ExplainedSyntaxError):
        return error
    return ExplainedSyntaxError(explain(text, str(error), prefixes))


def _where(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found < 0:
            return len(text)
        start = found + 1
    return min(len(text), start + max(column - 1, 0))


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


def _at(text: str, offset: int) -> str:
    line, column = _where(text, offset)
    return f"line {line}, column {column}"


def _problem(
    text: str, offset: int | None, message: str, hint: str | None, raw: str
) -> QueryProblem:
    if offset is None:
        return QueryProblem(message, None, None, hint, raw)
    line, column = _where(text, offset)
    return QueryProblem(f"line {line}, column {column}: {message}", line, column, hint, raw)


def explain(text: str, parser: str, prefixes: Mapping[str, str] | None = None) -> QueryProblem:
    """The problem with ``text``, which the engine rejected with the message ``parser``
    (positions in ``parser`` must already be the user's: see
    :func:`kg.sparql.prefixes.shift_positions`); ``prefixes`` is the predeclared table."""
    table = prefixes or {}
    raw = " ".join(parser.split())
    try:
        toks = tokens(text)
    except LexError as exc:
        found = _POSITION.search(str(exc))
        offset = _offset(text, int(found.group(1)), int(found.group(2))) if found else None
        return _problem(
            text,
            offset,
            "this string is not closed",
            'end it with the same quote on the same line, or use """…""" for several lines',
            raw,
        )
    found = _POSITION.search(raw)
    offset = _offset(text, int(found.group(1)), int(found.group(2))) if found else None
    checks = (
        _bad_iri,
        _undeclared,
        _slash_in_name,
        _braces,
        _form,
        _misspelt,
        _select_star,
        _ungrouped,
        _no_dot,
    )
    for check in checks:
        problem = check(text, toks, offset, raw, table)
        if problem is not None:
            return problem
    return _generic(text, toks, offset, raw)


def _undeclared(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    own = declared(toks)
    for tok in used(toks):
        prefix, _, local = tok.text.partition(":")
        if prefix in own or prefix in table:
            continue
        if text.startswith("//", tok.start + len(tok.text) - len(local)):
            run = _NAME_RUN.match(text, tok.start)
            written = run.group() if run else tok.text
            return _problem(
                text,
                tok.start,
                f"{_shown(written)} is an IRI written without its brackets",
                f"write it as <{_shown(written)}>",
                raw,
            )
        known = sorted({*own, *table})
        close = difflib.get_close_matches(prefix, known, n=1)
        first = [p for p in (*own, *COMMON_PREFIXES) if p in known]
        listed = ", ".join(f"{p}:" for p in dict.fromkeys(first[:SHOWN_PREFIXES]))
        more = f" … ({len(known)} in all; /sparql lists them)" if len(known) > len(first) else ""
        hint = f"did you mean {close[0]}:? " if close else ""
        hint += f"Declare it (PREFIX {prefix}: <…>) or use a declared one: {listed}{more}"
        return _problem(
            text, tok.start, f"the prefix {prefix}: ({_shown(tok.text)}) is not declared", hint, raw
        )
    return None


def _bad_iri(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    """An IRI in <…> that is not an IRI (``<https//…>``): Oxigraph's "IRI parsing failed"."""
    if "IRI parsing failed" not in raw or offset is None:
        return None
    iris = [t for t in toks if t.kind == "iri" and t.start < offset]
    if not iris:
        return None
    bad = iris[-1]
    return _problem(
        text,
        bad.start,
        f"{_shown(bad.text)} is not a valid absolute IRI",
        "an IRI starts with a scheme and a colon, e.g. <https://…> (relative ones need BASE)",
        raw,
    )


def _slash_in_name(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    own = {p: "" for p in declared(toks)}
    for i, tok in enumerate(toks[:-2]):
        slash, after = toks[i + 1], toks[i + 2]
        adjacent = slash.start == tok.start + len(tok.text) and after.start == slash.start + 1
        if not (
            tok.kind == "pname"
            and slash.text == "/"
            and adjacent
            and after.kind in ("word", "number", "name")
            and after.text != "a"
        ):
            continue
        run = _NAME_RUN.match(text, tok.start)
        written = (run.group() if run else tok.text).rstrip(".")
        prefix, _, local = written.partition(":")
        namespace = table.get(prefix) if prefix not in own else None
        iri = namespace + local.replace(BACKSLASH, "") if namespace else None
        suggestion = _prefixed(iri, table) if iri else None
        if suggestion:
            hint = f"write {suggestion} (the prefix for that kind of identifier) or <{iri}>"
        else:
            shown = f"<{iri}>" if iri else "the full IRI in <…>"
            hint = f"write {shown}, or escape each / in the name with {BACKSLASH}"
        return _problem(
            text,
            tok.start,
            f"{_shown(written)} is not a prefixed name: a / cannot appear in one unescaped",
            hint,
            raw,
        )
    return None


def _prefixed(iri: str, table: Mapping[str, str]) -> str | None:
    """The shortest prefixed name for ``iri`` whose local part needs no escape."""
    best: tuple[int, str] | None = None
    for prefix, namespace in table.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and re.fullmatch(r"[\w\-]*(?:\.[\w\-]+)*", local):
            if best is None or len(local) < best[0]:
                best = (len(local), f"{prefix}:{local}")
    return best[1] if best else None


def _braces(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    opened: list[Token] = []
    for tok in toks:
        if tok.text == "{":
            opened.append(tok)
        elif tok.text == "}":
            if not opened:
                return _problem(
                    text, tok.start, "this } closes no {", "remove it, or add the { it ends", raw
                )
            opened.pop()
    last = toks[-1] if toks else None
    at_end = offset is None or last is None or offset >= last.start + len(last.text)
    if opened and at_end:
        first = opened[-1]
        return _problem(
            text,
            offset if offset is not None else len(text),
            f"the query ends with {len(opened)} {{ not closed",
            f"add }} to close the {{ at {_at(text, first.start)}",
            raw,
        )
    return None


def _select_star(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    if "SELECT *" not in raw or "GROUP BY" not in raw:
        return None
    star = next((t for t in toks if t.text == "*"), None)
    return _problem(
        text,
        star.start if star else offset,
        "SELECT * cannot be used with GROUP BY",
        "name what to return: the grouped variables and aggregates, "
        "e.g. SELECT ?g (COUNT(*) AS ?n) … GROUP BY ?g",
        raw,
    )


def _ungrouped(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    if "unbound" not in raw.lower():
        return None
    projected, grouped = projection(toks)
    if not projected:
        return None
    names = {t.text[1:] for t in grouped}
    loose = [t for t in projected if t.text[1:] not in names]
    if not loose:
        return None
    var = loose[0].text
    if grouped:
        listed = " ".join(dict.fromkeys(t.text for t in (*grouped, loose[0])))
        hint = f"add it to the grouping (GROUP BY {listed}) or aggregate it: (SAMPLE({var}) AS …)"
    else:
        hint = f"add GROUP BY {var}, or aggregate it: (SAMPLE({var}) AS …)"
    return _problem(
        text, loose[0].start, f"{var} is selected but neither grouped nor aggregated", hint, raw
    )


def projection(toks: list[Token]) -> tuple[list[Token], list[Token]]:
    """The plain variables of the first SELECT clause and of the top-level GROUP BY."""
    start = next((i for i, t in enumerate(toks) if t.text.upper() == "SELECT"), None)
    if start is None:
        return [], []
    projected: list[Token] = []
    depth = 0
    i = start + 1
    while i < len(toks) and toks[i].text.upper() != "WHERE" and toks[i].text != "{":
        tok = toks[i]
        depth += tok.text == "("
        depth -= tok.text == ")"
        if tok.kind == "var" and depth == 0:
            projected.append(tok)
        i += 1
    grouped: list[Token] = []
    level = 0
    for j, tok in enumerate(toks):
        level += tok.text == "{"
        level -= tok.text == "}"
        if level == 0 and tok.text.upper() == "GROUP" and j + 1 < len(toks):
            for later in toks[j + 2 :]:
                if later.kind == "word" and later.text.upper() in _CLAUSE_ENDS:
                    break
                if later.kind == "var":
                    grouped.append(later)
    return projected, grouped


FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_DECLARATIONS = frozenset(("PREFIX", "BASE"))


def _form(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    i = 0
    while i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in _DECLARATIONS:
        i += 3 if toks[i].text.upper() == "PREFIX" else 2
    if i >= len(toks):
        return _problem(text, None, "the query is empty", "start with SELECT, ASK, …", raw)
    first = toks[i]
    if first.kind == "word" and first.text.upper() in FORMS:
        return None
    close = difflib.get_close_matches(first.text.upper(), (*FORMS, "PREFIX"), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return _problem(
        text,
        first.start,
        f"unexpected {_shown(first.text)}",
        hint + "a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX lines)",
        raw,
    )


def _misspelt(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    """A word SPARQL does not know: close to a keyword (``VALES``, ``OPTIONL``), or a bare
    word where a term belongs (``hmicFinding``, ``expected``)."""
    depth = 0
    for i, tok in enumerate(toks):
        depth += (tok.text == "{") - (tok.text == "}")
        word = tok.text.upper()
        if tok.kind != "word" or word in KEYWORDS or word in OTHER_WORDS:
            continue
        close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.75)
        if close:
            return _problem(
                text, tok.start, f"unexpected {_shown(tok.text)}", f"did you mean {close[0]}?", raw
            )
        called = i + 1 < len(toks) and toks[i + 1].text == "("
        if depth > 0 and not called:
            glued = [p for p in table if p and tok.text.startswith(p) and len(tok.text) > len(p)]
            if glued:
                prefix = max(glued, key=len)
                hint = f"did you mean {prefix}:{tok.text[len(prefix) :]}?"
            else:
                hint = "write a prefixed name (prefix:name), a variable (?x), an IRI in <…>"
                hint += " or a quoted string"
            return _problem(text, tok.start, f"{_shown(tok.text)} is not a term", hint, raw)
    return None


_SEPARATORS = {".": 0, ";": 1, ",": 2}
_PATH_OPS = frozenset(("/", "|", "^", "^^"))
_LITERAL_WORDS = frozenset(("A", "TRUE", "FALSE"))
_TO_GROUP_END = frozenset(("VALUES", "GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING"))


def _no_dot(
    text: str, toks: list[Token], offset: int | None, raw: str, table: Mapping[str, str]
) -> QueryProblem | None:
    """A triple pattern with a fourth term (a ``.`` is missing before it) or with fewer than
    three (it ends before its object)."""
    depth = 0
    inner: list[bool] = []  # open ( and [ : whether each one stands for a term
    run, skip_to = 0, ""  # terms since the last separator; skip to "{" / "}" after a keyword
    previous: Token | None = None
    for tok in toks:
        text_ = tok.text
        ends = text_ == "}" or (text_ in ".;," and not inner)
        if ends and depth > 0 and not skip_to and run in (1, 2) and previous is not None:
            if previous.text not in (";", ",") and not (run == 1 and previous.text == "]"):
                return _problem(
                    text,
                    tok.start,
                    f"the triple pattern before this {text_} has no "
                    + ("object" if run == 2 else "predicate or object"),
                    "a triple pattern is subject, predicate and object, e.g. ?s rdfs:label ?o",
                    raw,
                )
        if text_ in ("{", "}"):
            depth += 1 if text_ == "{" else -1
            run = 0
            skip_to = "" if skip_to in ("{", text_) or text_ == "}" else skip_to
        elif inner:
            if text_ in ("(", "["):
                inner.append(False)
            elif text_ in (")", "]"):
                if inner.pop() and not inner:
                    run += 1
        elif text_ in ("(", "["):
            call = previous is not None and previous.kind == "word"
            call = call and previous is not None and previous.text.upper() not in _LITERAL_WORDS
            inner.append(not call and not skip_to and depth > 0)
            if call:
                run = 0
        elif skip_to or depth == 0:
            pass
        elif text_ in _SEPARATORS:
            run = _SEPARATORS[text_]
        elif tok.kind == "word" and text_.upper() not in _LITERAL_WORDS:
            run = 0
            skip_to = "}" if text_.upper() in _TO_GROUP_END else "{"
            if text_.upper() in ("FILTER", "BIND"):
                skip_to = ""
        elif tok.kind in _TERMS or tok.kind == "word":
            if previous is None or previous.text not in _PATH_OPS:
                run += 1
            if run == 4 and previous is not None:
                return _problem(
                    text,
                    tok.start,
                    f"{_shown(text_)} starts a new triple pattern before the last one ended",
                    f"add . after {_shown(previous.text)} ({_at(text, previous.start)})",
                    raw,
                )
        previous = tok
    return None


def never_bound(text: str) -> list[str]:
    """The variables a query selects that occur nowhere else in it (valid SPARQL, but their
    column is always empty: usually a typo), as written, each once."""
    found = cached_tokens(text)
    if found is None:
        return []
    toks = list(found)
    projected, _ = projection(toks)
    uses: dict[str, int] = {}
    for tok in toks:
        if tok.kind == "var":
            uses[tok.text[1:]] = uses.get(tok.text[1:], 0) + 1
    return list(dict.fromkeys(t.text for t in projected if uses[t.text[1:]] == 1))


def _generic(text: str, toks: list[Token], offset: int | None, raw: str) -> QueryProblem:
    if offset is None:
        return QueryProblem(_first_sentence(raw), None, None, None, raw)
    index = next((i for i, t in enumerate(toks) if t.start + len(t.text) > offset), None)
    if index is None:
        return _problem(text, offset, "the query ends too early", "is a } or ) missing?", raw)
    tok = toks[index]
    hint = None
    if tok.kind == "word" and tok.text.upper() not in KEYWORDS:
        close = difflib.get_close_matches(tok.text.upper(), KEYWORDS, n=1, cutoff=0.7)
        hint = f"did you mean {close[0]}?" if close else None
    return _problem(text, tok.start, f"unexpected {_shown(tok.text)}", hint, raw)


def _first_sentence(raw: str) -> str:
    """An engine's message without its list of expected tokens (for messages with no
    position this module can read)."""
    cut = re.split(r"\bexpected one of\b|\bexpected\b", raw, maxsplit=1)[0].strip(" :;,")
    cut = cut or "the query does not parse"
    return cut if len(cut) <= 200 else cut[:199] + "…"
