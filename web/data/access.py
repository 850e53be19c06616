"""Data access for the browser's views: run a named query over the app's store.

Reads the store, base and settings the app factory put in ``app.config``; every view fetches
its data through :func:`select` or :func:`construct` with values bound as RDF terms. The
ontology graph, which the vocabulary pages and the "why" explainer read whole, is fetched
once per app with one query and kept on the app (the built dataset is immutable while the app
runs).
"""

from __future__ import annotations

import threading

from flask import current_app, request
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

from kg.config import Settings
from kg.namespaces import Base
from kg.store.base import GraphStore
from kg.store.bindings import BindingError, inject
from web.data import queries
from web.model.iris import Iris
from web.model.terms import best_label

_ONTOLOGY_LOCK = threading.Lock()


def store() -> GraphStore:
    """The app's store."""
    return current_app.config["STORE"]


def base() -> Base:
    """The app's project namespaces."""
    return current_app.config["BASE"]


def settings() -> Settings:
    """The app's settings."""
    return current_app.config["SETTINGS"]


def prefixes() -> dict[str, str]:
    """Every prefix the app knows (project, standard vocabularies, code lists)."""
    return base().prefixes()


def iris() -> Iris:
    """IRI helpers for this request (links honour the app's mount point)."""
    return Iris(base(), request.script_root if request else "")


def graph_iri(role: str) -> Node:
    """The named graph of a role (``asserted``, ``inferred``, ``ontology``, ``annotations``)."""
    return base().GRAPH[role]


def _bound(name: str, bindings: dict[str, Node]) -> tuple[str, dict[str, Node] | None]:
    """Query ``name`` with its values bound as ``VALUES`` blocks (the audited
    :func:`kg.store.bindings.inject`, as the remote store does) so that the query planner sees
    them: Oxigraph plans a query before applying substitutions, which on a corpus of many
    reports made a query bound to one report scan all of them. Blank nodes, which ``VALUES``
    cannot hold, stay substitutions."""
    text = queries.load(name, base())
    if not bindings or any(isinstance(v, BNode) for v in bindings.values()):
        return text, bindings or None
    try:
        return inject(text, bindings), None
    except BindingError:
        return text, bindings


def select(name: str, **bindings: Node) -> list[dict[str, Node]]:
    """The rows of SELECT query ``name`` with ``bindings`` bound (each bound variable must be
    projected by the query)."""
    result = store().query(*_bound(name, bindings), timeout=settings().query_timeout)
    return result.rows


def construct(name: str, **bindings: Node) -> Graph:
    """The graph of CONSTRUCT query ``name`` with ``bindings`` bound."""
    result = store().query(*_bound(name, bindings), timeout=settings().query_timeout)
    graph = result.graph if result.graph is not None else Graph()
    for prefix, ns in prefixes().items():
        graph.bind(prefix, ns, replace=True)
    return graph


def term_labels() -> dict[str, str]:
    """IRI → best label of every term the ontology labels (cached with the ontology)."""
    cache = current_app.extensions.setdefault("hmic_web", {})
    if "labels" not in cache:
        found: dict[str, list[Literal]] = {}
        graph = ontology()
        for prop in (SKOS.prefLabel, RDFS.label):
            for subject, label in graph.subject_objects(prop):
                if isinstance(label, Literal):
                    found.setdefault(str(subject), []).append(label)
        cache["labels"] = {k: v for k, v in ((k, best_label(v)) for k, v in found.items()) if v}
    return cache["labels"]


def ontology() -> Graph:
    """The ontology graph (classes, properties, code lists), fetched once per app."""
    cache = current_app.extensions.setdefault("hmic_web", {})
    with _ONTOLOGY_LOCK:
        if "ontology" not in cache:
            cache["ontology"] = construct("ontology", graph=graph_iri("ontology"))
        return cache["ontology"]
