"""The namespaces and prefixes used across the project, in one place.

Source files (``ontology/``, ``data/``) are written against :data:`AUTHORED_BASE`; the build
rebases them onto the configured base IRI, so the IRIs do not depend on where the app runs.
The project's prefixes — one per kind of identifier, so that every IRI is a plain prefixed name
such as ``force:leicestershire`` — are declared in ``ontology/prefixes.ttl`` (SHACL
``sh:declare``) and read from there by everything that writes or reads prefixed names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    QB,
    RDF,
    RDFS,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
)

AUTHORED_BASE = "https://w3id.org/hmic-kg/"

OA = Namespace("http://www.w3.org/ns/oa#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
ONS = Namespace("http://statistics.data.gov.uk/id/statistical-geography/")


class Base:
    """The project's own namespaces under one base IRI (``/def/``, ``/id/``, ``/doc/``)."""

    def __init__(self, base_iri: str = AUTHORED_BASE) -> None:
        self.iri = base_iri
        self.HMIC = Namespace(base_iri + "def/hmic/")
        self.ONTOLOGY = base_iri + "def/hmic"
        self.ID = Namespace(base_iri + "id/")
        self.DOC = Namespace(base_iri + "doc/")
        self.GRAPH = Namespace(base_iri + "id/graph/")
        self.REPORT = Namespace(base_iri + "id/report/crime-inspection-2014-leicestershire/")
        self.REPORT_IRI = self.ID["report/crime-inspection-2014-leicestershire"]

    def prefixes(self) -> dict[str, str]:
        """Prefix → namespace: the project's own (``ontology/prefixes.ttl``, under this base)
        and then the usual W3C ones. Every query interface predeclares these."""
        return dict(_prefixes(self.iri))

    def project_prefixes(self) -> dict[str, str]:
        """Only the project's own prefixes, under this base."""
        return dict(_project_prefixes(self.iri))

    def curie(self, iri: str) -> str | None:
        """``iri`` as a plain prefixed name (the longest namespace whose remainder needs no
        escape), or None when there is none."""
        return _curie(self.iri, iri)


PREFIX_FILE = Path(__file__).resolve().parent.parent / "ontology" / "prefixes.ttl"
SHACL = "http://www.w3.org/ns/shacl#"
# A local name that needs no escape (SPARQL 1.1 / Turtle PN_LOCAL, ASCII part).
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_:](?:[A-Za-z0-9_.:\-]*[A-Za-z0-9_:\-])?$")


@lru_cache(maxsize=1)
def _declared() -> tuple[tuple[str, str], ...]:
    """The ``sh:prefix`` / ``sh:namespace`` pairs of :data:`PREFIX_FILE`, as authored."""
    pairs: dict[object, dict[str, str]] = {}
    for triple in ox.parse(path=str(PREFIX_FILE), format=ox.RdfFormat.TURTLE):
        if triple.predicate.value in (SHACL + "prefix", SHACL + "namespace"):
            key = triple.predicate.value.rsplit("#", 1)[1]
            pairs.setdefault(triple.subject, {})[key] = triple.object.value
    return tuple(sorted((d["prefix"], d["namespace"]) for d in pairs.values()))


@lru_cache(maxsize=8)
def _project_prefixes(base_iri: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (prefix, base_iri + ns[len(AUTHORED_BASE) :] if ns.startswith(AUTHORED_BASE) else ns)
        for prefix, ns in _declared()
    )


@lru_cache(maxsize=8)
def _prefixes(base_iri: str) -> tuple[tuple[str, str], ...]:
    return (*_project_prefixes(base_iri), *STANDARD_PREFIXES.items())


@lru_cache(maxsize=8)
def _writers(base_iri: str) -> tuple[tuple[str, str], ...]:
    """(namespace, prefix) pairs usable for writing names, longest namespace first."""
    pairs = [(ns, prefix) for prefix, ns in _prefixes(base_iri)]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1 << 16)
def _curie(base_iri: str, iri: str) -> str | None:
    for ns, prefix in _writers(base_iri):
        if iri.startswith(ns):
            local = iri[len(ns) :]
            return f"{prefix}:{local}" if not local or _PLAIN_LOCAL.match(local) else None
    return None


def missing_prefixes(iris: Iterable[str], base_iri: str = AUTHORED_BASE) -> dict[str, str]:
    """The namespaces of project IRIs that have no plain prefixed name, each with the name
    the rule of ``ontology/prefixes.ttl`` gives it: the path after ``id/`` with ``/`` as
    ``-``. Web Annotation plumbing (an annotation's target and selectors) is left out."""
    missing: dict[str, str] = {}
    for iri in iris:
        rest = iri[len(base_iri) :] if iri.startswith(base_iri) else None
        if rest is None or (rest.startswith("id/annotation/") and rest.count("/") > 2):
            continue
        if _curie(base_iri, iri) is None:
            namespace = iri.rsplit("/", 1)[0] + "/"
            path = namespace[len(base_iri) :].strip("/").split("/")
            missing[namespace] = "-".join(path[1:] if path[0] == "id" else path)
    return missing


def writing_prefixes(prefixes: Mapping[str, str], iris: Iterable[str]) -> dict[str, str]:
    """The subset of ``prefixes`` a serialiser may use for ``iris`` without escaping: a
    prefix is dropped when some IRI it would be chosen for (the longest matching namespace,
    as Oxigraph's writers choose) has a remainder that needs an escape, until none is left."""
    table = dict(prefixes)
    names = set(iris)
    while True:
        by_length = sorted(table.items(), key=lambda item: -len(item[1]))
        unsafe = set()
        for iri in names:
            for prefix, ns in by_length:
                if iri.startswith(ns):
                    local = iri[len(ns) :]
                    if local and not _PLAIN_LOCAL.match(local):
                        unsafe.add(prefix)
                    break
        if not unsafe:
            return table
        for prefix in unsafe:
            del table[prefix]


CODE_LISTS = ("grade", "question", "topic", "offence", "indicator", "unit", "method", "status")

STANDARD_PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "prov": str(PROV),
    "qb": str(QB),
    "time": str(TIME),
    "oa": str(OA),
    "dcat": str(DCAT),
    "void": str(VOID),
    "sh": str(SH),
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "sdmx-attribute": str(SDMX_ATTRIBUTE),
    "sd": str(SD),
    "schema": str(SCHEMA),
    "wd": str(WD),
    "ons": str(ONS),
}

AUTHORED = Base(AUTHORED_BASE)
HMIC = AUTHORED.HMIC
