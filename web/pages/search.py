"""Search: text search over labels and descriptions, ranked, with type filters.

Reads the app's text index (:mod:`web.data.text_index`, built with one query the first time
anyone searches; the user's terms never reach a query), which finds the texts containing every
term; ranks the hits in Python — a match in the label counts more than one in a
description, which counts more than one in a passage of the report — and offers the types of
the hits as filters (``?type=<class IRI>``). The ranked hits of the last searches are kept per
app, so paging through them or filtering them by type does not search again.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS, SKOS
from rdflib.term import Node

from web.data import access
from web.data.text_index import Match, text_index
from web.http import params
from web.model.iris import Iris
from web.model.terms import Shown, best_label, show

bp = Blueprint("search", __name__)
MAX_TERMS = 6
PAGE_SIZE = 20
REMEMBERED = 32  # searches whose ranked hits are kept per app (at N = 43: ≤ 2 MB each)
_LOCK = threading.Lock()
LABELS = {str(p) for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel, DCTERMS.title, FOAF.name)}


@dataclass
class Hit:
    """One result: the resource, its score, the text that matched and its types."""

    node: Node
    score: float = 0.0
    snippet: str | None = None
    snippet_from_passage: bool = False
    types: set[str] | frozenset[str] = field(default_factory=set)
    labels: list[Literal] = field(default_factory=list)
    shown: Shown | None = None


def terms_of(query: str) -> list[str]:
    """The lower-case search terms of ``query`` (at most :data:`MAX_TERMS`)."""
    return [t for t in query.casefold().split() if t][:MAX_TERMS]


def score(text: str, prop: str, terms: list[str], phrase: str, hmic_text: str) -> float:
    """How well one matching text ranks its resource."""
    lowered = text.casefold()
    if prop in LABELS:
        weight = 10.0
        if lowered == phrase:
            weight += 100
        elif lowered.startswith(phrase):
            weight += 40
    elif prop == hmic_text:
        weight = 1.0
    else:
        weight = 3.0
    bonus = 2.0 if phrase in lowered and len(terms) > 1 else 1.0
    words = sum(lowered.count(t) for t in terms)
    return weight * bonus * (1 + math.log(max(words, 1))) / (1 + len(lowered) / 400)


def rank(rows: list[dict[str, Node]], terms: list[str], hmic_text: str) -> list[Hit]:
    """Group rows (``s``, ``prop``, ``text``, optional ``type`` and ``label``) by resource and
    order them, best first."""
    hits: dict[Node, Hit] = {}
    for row in rows:
        hit = hits.setdefault(row["s"], Hit(row["s"]))
        if "type" in row:
            hit.types = hit.types | {str(row["type"])}
        label = row.get("label")
        if isinstance(label, Literal) and label not in hit.labels:
            hit.labels.append(label)
    matches = dict.fromkeys(Match(row["s"], str(row["prop"]), str(row["text"])) for row in rows)
    return rank_matches(list(matches), terms, hmic_text, hits)


def rank_matches(
    matches: list[Match], terms: list[str], hmic_text: str, hits: dict[Node, Hit] | None = None
) -> list[Hit]:
    """Group the matching texts (each once) by resource and order the resources, best first."""
    phrase = " ".join(terms)
    hits = {} if hits is None else hits
    for node, prop, text in matches:
        hit = hits.get(node)
        if hit is None:
            hit = hits[node] = Hit(node)
        hit.score += score(text, prop, terms, phrase, hmic_text)
        if prop not in LABELS:
            # Descriptions before passage texts, then the shortest: whatever the row order.
            candidate = (prop == hmic_text, len(text), text)
            if hit.snippet is None or candidate < (
                hit.snippet_from_passage,
                len(hit.snippet),
                hit.snippet,
            ):
                hit.snippet, hit.snippet_from_passage = text, prop == hmic_text
    return sorted(hits.values(), key=lambda h: (-h.score, str(h.node)))


def snippet(text: str, terms: list[str], width: int = 220) -> str:
    """A window of ``text`` around the first term."""
    lowered = text.casefold()
    at = min((lowered.find(t) for t in terms if t in lowered), default=0)
    start = max(0, at - width // 3)
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def ranked(terms: tuple[str, ...]) -> tuple[list[Hit], Counter[str]]:
    """The hits for ``terms``, best first, and how many hits have each type; the last
    :data:`REMEMBERED` searches are kept per app (the dataset does not change while it runs)."""
    cache = current_app.extensions.setdefault("hmic_web", {})
    with _LOCK:
        remembered = cache.setdefault("searches", OrderedDict())
        if terms in remembered:
            remembered.move_to_end(terms)
            return remembered[terms]
    index = text_index()
    hits = rank_matches(index.matching(list(terms)), list(terms), str(access.base().HMIC.text))
    for hit in hits:  # the index's own sets and lists, shared, not copied
        hit.types, hit.labels = index.about(hit.node)
    answer = (hits, Counter(t for h in hits for t in h.types))
    with _LOCK:
        remembered[terms] = answer
        while len(remembered) > REMEMBERED:
            remembered.popitem(last=False)
    return answer


@bp.get("/search")
def search() -> str:
    """Search results for ``?q=`` (optionally ``&type=<class IRI>`` and ``&page=N``)."""
    query = params.text("q")
    type_filter = params.iri("type", required=False)
    page = params.page()
    iris = access.iris()
    terms = terms_of(query)
    hits: list[Hit] = []
    facets: list[tuple[Shown, int, str]] = []
    labels = _type_labels()
    if terms:
        hits, counts = ranked(tuple(terms))
        facets = _facets(counts, iris, query, labels)
        if type_filter is not None:
            hits = [h for h in hits if str(type_filter) in h.types]
    pages = max(1, math.ceil(len(hits) / PAGE_SIZE))
    # copies: the ranked hits are shared by every request for the same terms
    shown_hits = [replace(h) for h in hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    for hit in shown_hits:
        hit.shown = show(hit.node, iris, best_label(hit.labels))
        if hit.snippet:
            hit.snippet = snippet(hit.snippet, terms)
    args = {"q": query, **({"type": str(type_filter)} if type_filter is not None else {})}
    return render_template(
        "search.html",
        title=f"Search: {query}" if query else "Search",
        query=query,
        hits=shown_hits,
        total=len(hits),
        facets=facets,
        type_filter=show(type_filter, iris, labels.get(str(type_filter))) if type_filter else None,
        page=min(page, pages),
        pages=pages,
        self_href=f"{iris.root}/search?{urlencode(args)}",
        clear_href=f"{iris.root}/search?{urlencode({'q': query})}",
    )


def _type_labels() -> dict[str, str]:
    ontology = access.ontology()
    found: dict[str, list[Literal]] = defaultdict(list)
    for s, label in ontology.subject_objects(RDFS.label):
        if isinstance(s, URIRef) and isinstance(label, Literal):
            found[str(s)].append(label)
    return {k: v for k, v in ((k, best_label(v)) for k, v in found.items()) if v}


def _facets(
    counts: Counter[str], iris: Iris, query: str, labels: dict[str, str]
) -> list[tuple[Shown, int, str]]:
    """The project's own classes among the hits' types, most frequent first."""
    internal = [(iri, n) for iri, n in counts.items() if iris.is_internal(iri)]
    out = []
    for iri, n in sorted(internal, key=lambda item: (-item[1], item[0]))[:12]:
        href = f"{iris.root}/search?{urlencode({'q': query, 'type': iri})}"
        out.append((show(URIRef(iri), iris, labels.get(iri)), n, href))
    return out
