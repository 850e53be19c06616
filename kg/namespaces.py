"""The namespaces used across the project, in one place.

Source files (``ontology/``, ``data/``) are written against :data:`AUTHORED_BASE`; the build
rebases them onto the configured base IRI, so the IRIs do not depend on where the app runs.
"""

from __future__ import annotations

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
        """Prefix → namespace for SPARQL editors and serialisers."""
        return {
            "hmic": str(self.HMIC),
            "id": str(self.ID),
            "report": str(self.REPORT),
            **{scheme: f"{self.iri}def/{scheme}/" for scheme in CODE_LISTS},
            "period": f"{self.iri}id/period/",
            **STANDARD_PREFIXES,
        }


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
