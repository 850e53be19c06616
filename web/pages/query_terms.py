"""What the query editor completes: the prefix table and the dataset's own classes, properties
and code-list concepts, as one small JSON document (``/query/terms.json``).

Reads the ontology graph (cached on the app by :mod:`web.data.access`), the classes and properties
the data uses (``query-terms.rq``) and the app's prefix table; writes nothing. The document is
built once per app: the built dataset does not change while the app runs.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass

from flask import current_app
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from web.data import access

# A local name that needs no escape in SPARQL (PN_LOCAL without '\'-escapes or '%').
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_]([\w.-]*[\w-])?$")
_KIND_OF_TYPE = {
    OWL.Class: "class",
    RDFS.Class: "class",
    OWL.ObjectProperty: "property",
    OWL.DatatypeProperty: "property",
    OWL.AnnotationProperty: "property",
    RDF.Property: "property",
    SKOS.Concept: "concept",
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Term:
    """A completable term: its prefixed name, IRI, kind and English label (may be empty)."""

    curie: str
    iri: str
    kind: str
    label: str


def compact(iri: str, prefixes: dict[str, str]) -> str | None:
    """``prefix:local`` for the longest matching namespace when the local part needs no
    escape, else None (the editor cannot offer a name it would have to escape)."""
    best: tuple[str, str] | None = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    if best is None:
        return None
    local = iri[len(best[1]) :]
    if not _PLAIN_LOCAL.match(local):
        return None
    return f"{best[0]}:{local}"


def collect() -> list[Term]:
    """Every class, property and concept of the ontology graph and every class and property
    the data uses that a known prefix can name, sorted by prefixed name."""
    prefixes = access.prefixes()
    kinds: dict[str, str] = {}
    graph = access.ontology()
    for rdf_type, kind in _KIND_OF_TYPE.items():
        for subject in graph.subjects(RDF.type, rdf_type):
            kinds.setdefault(str(subject), kind)
    for row in access.select("query-terms"):
        kinds.setdefault(str(row["term"]), str(row["kind"]))
    labels = access.term_labels()
    terms = []
    for iri, kind in kinds.items():
        curie = compact(iri, prefixes)
        if curie is None:
            continue
        terms.append(Term(curie, iri, kind, labels.get(iri, "")))
    return sorted(terms, key=lambda t: (t.curie.lower(), t.curie))


def document() -> dict[str, object]:
    """The JSON document the editor loads: ``prefixes`` (name → namespace) and ``terms``."""
    cache = current_app.extensions.setdefault("hmic_web", {})
    with _LOCK:
        if "query_terms" not in cache:
            cache["query_terms"] = {
                "prefixes": dict(sorted(access.prefixes().items())),
                "terms": [asdict(t) for t in collect()],
            }
        return cache["query_terms"]
