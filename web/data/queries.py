"""Named SPARQL queries: the ``web/queries/*.rq`` files, loaded by name.

Views never contain SPARQL text: they name a query here and bind its values as RDF terms.
The files use the project prefixes without declaring them; :func:`load` prepends the
``PREFIX`` lines for the configured base, so the same file works under any base IRI.
Example queries for the query editor are the files named ``example-*.rq``; their leading
``# title:``, ``# topic:`` and ``# question:`` comment lines describe them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.namespaces import Base

QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_USED = re.compile(r"(?<![\w<?$])([A-Za-z][\w-]*):(?!//)")


@dataclass(frozen=True)
class Example:
    """An example query for the editor: its name, title, research question, body and the
    research topic it is listed under."""

    name: str
    title: str
    question: str
    body: str
    topic: str = "Other questions"


def prefix_block(base: Base, used_in: str | None = None) -> str:
    """``PREFIX`` declarations for the project and code-list prefixes under ``base`` (only
    those ``used_in`` a query text uses, when given)."""
    table = base.prefixes()
    if used_in is not None:
        used = set(_USED.findall(used_in))
        table = {p: ns for p, ns in table.items() if p in used}
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in table.items())


@lru_cache(maxsize=256)
def _read(name: str) -> str:
    if not _NAME.match(name):
        raise KeyError(name)
    path = QUERY_DIR / f"{name}.rq"
    if not path.is_file():
        raise KeyError(name)
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=256)
def _load(name: str, base_iri: str) -> str:
    return prefix_block(Base(base_iri)) + _read(name)


def load(name: str, base: Base) -> str:
    """The text of query ``name`` with the prefixes of ``base`` declared."""
    return _load(name, base.iri)


def body(name: str) -> str:
    """The query text without the comment header (what the editor shows under the prefixes)."""
    lines = _read(name).splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def examples() -> list[Example]:
    """Every example query, in file-name order."""
    found = []
    for path in sorted(QUERY_DIR.glob("example-*.rq")):
        name = path.stem
        header = {}
        for line in _read(name).splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            header[key.strip().lower()] = value.strip()
        found.append(
            Example(
                name,
                header.get("title", name),
                header.get("question", ""),
                body(name),
                header.get("topic") or "Other questions",
            )
        )
    return found


def example(name: str) -> Example | None:
    """The example named ``name``, or None."""
    return next((e for e in examples() if e.name == name), None)
