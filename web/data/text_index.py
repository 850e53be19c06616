"""Text index for search: every searchable text of the store, held in memory per app process.

Reads one named query (``search-texts``: labels, descriptions, definitions, recommendation
texts and passage texts, with the types of the resource that has each) the first time the app
searches, and keeps the texts lower-cased in one string with their subjects, properties,
types and labels. :meth:`TextIndex.matching` then finds the texts that contain every term —
the same substring test as SPARQL's ``CONTAINS(LCASE(STR(?text)), term)`` — with a string
search over that one string instead of a query that scans every text. It is built from a
plain SELECT, so it works over any SPARQL 1.1 store, and the built dataset is immutable while
the app runs, so it is never rebuilt.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app
from rdflib import Literal
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

from web.data import access

SEPARATOR = "\x00"  # between texts in the haystack; no search term contains it
_LOCK = threading.Lock()
_LABEL_PROPS = (str(RDFS.label), str(SKOS.prefLabel))


class Match(NamedTuple):
    """One text that contains every term: its resource, property and the text itself."""

    node: Node
    prop: str
    text: str


@dataclass
class TextIndex:
    """The searchable texts, one entry per distinct (resource, property, text)."""

    nodes: list[Node] = field(default_factory=list)
    types: list[frozenset[str]] = field(default_factory=list)
    labels: list[list[Literal]] = field(default_factory=list)
    text_node: list[int] = field(default_factory=list)
    text_prop: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    haystack: str = ""
    ids: dict[Node, int] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict[str, Node]]) -> TextIndex:
        """The index of the ``search-texts`` rows (any order, types repeated per text)."""
        index = cls()
        node_ids = index.ids
        types: list[set[str]] = []
        seen: set[tuple[int, str, str]] = set()
        props: dict[str, str] = {}
        for row in rows:
            node, text = row["s"], row["text"]
            if node not in node_ids:
                node_ids[node] = len(index.nodes)
                index.nodes.append(node)
                types.append(set())
                index.labels.append([])
            at = node_ids[node]
            if "type" in row:
                types[at].add(str(row["type"]))
            prop = props.setdefault(str(row["prop"]), str(row["prop"]))
            key = (at, prop, str(text))
            if key in seen:
                continue
            seen.add(key)
            if prop in _LABEL_PROPS and isinstance(text, Literal):
                if text not in index.labels[at]:
                    index.labels[at].append(text)
            index.text_node.append(at)
            index.text_prop.append(prop)
            index.texts.append(str(text))
        index.types = [frozenset(t) for t in types]
        lowered = [text.lower() for text in index.texts]
        offset = 0
        for text in lowered:
            index.starts.append(offset)
            offset += len(text) + len(SEPARATOR)
        index.haystack = SEPARATOR.join(lowered)
        return index

    def _containing(self, term: str) -> list[int]:
        """The numbers of the texts whose lower-cased form contains ``term``, in order."""
        found: list[int] = []
        find, starts = self.haystack.find, self.starts
        at = find(term)
        while at >= 0:
            number = bisect_right(starts, at) - 1
            found.append(number)
            # go on after this text: one entry per text however often the term occurs in it
            at = find(term, self._end(number))
        return found

    def _end(self, number: int) -> int:
        """Where text ``number`` ends in the haystack (its lower-cased length may differ)."""
        return self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(self.haystack)

    def matching(self, terms: list[str]) -> list[Match]:
        """The texts that contain every one of ``terms`` (lower case), as SPARQL's
        ``CONTAINS(LCASE(STR(text)), term)`` would find them."""
        terms = [t for t in terms if t]
        if not terms or any(SEPARATOR in t for t in terms):
            return []
        rarest = max(terms, key=len)  # the longest term is the most selective, as a rule
        others = [t for t in terms if t != rarest]
        nodes, text_node, props, texts = self.nodes, self.text_node, self.text_prop, self.texts
        found = self._containing(rarest)
        if others:
            haystack, starts, end = self.haystack, self.starts, self._end
            found = [n for n in found if all(t in haystack[starts[n] : end(n)] for t in others)]
        return [Match(nodes[text_node[n]], props[n], texts[n]) for n in found]

    def about(self, node: Node) -> tuple[frozenset[str], list[Literal]]:
        """The types and the labels (``rdfs:label``, ``skos:prefLabel``) of ``node``."""
        at = self.ids[node]
        return self.types[at], self.labels[at]


def text_index() -> TextIndex:
    """The app's text index, built with one query the first time it is needed."""
    cache = current_app.extensions.setdefault("hmic_web", {})
    with _LOCK:
        if "text_index" not in cache:
            cache["text_index"] = TextIndex.from_rows(access.select("search-texts"))
        return cache["text_index"]
