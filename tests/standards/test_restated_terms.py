"""Terms of other vocabularies (W3C ORG, SDMX) that the ontology restates carry their own
vocabulary's definition and say where they are defined."""

from __future__ import annotations

from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg.config import Settings

RESTATED = {
    "http://www.w3.org/ns/org#": URIRef("http://www.w3.org/ns/org"),
    "http://purl.org/linked-data/sdmx/2009/": None,  # each SDMX vocabulary names itself
}


def test_every_restated_term_is_defined_and_attributed(settings: Settings) -> None:
    ontology = Graph().parse(settings.dataset_dir / "dumps" / "ontology.nt")
    terms = {
        s
        for s in set(ontology.subjects())
        if isinstance(s, URIRef) and any(str(s).startswith(ns) for ns in RESTATED)
    }
    assert len(terms) >= 14  # ten ORG terms, four SDMX terms
    problems = []
    for term in sorted(terms):
        texts = list(ontology.objects(term, SKOS.definition)) + list(
            ontology.objects(term, RDFS.comment)
        )
        if not any(isinstance(t, Literal) and t.language == "en" for t in texts):
            problems.append(f"{term} has no English definition")
        defined_by = ontology.value(term, RDFS.isDefinedBy)
        expected = next(v for ns, v in RESTATED.items() if str(term).startswith(ns))
        if defined_by is None or (expected is not None and defined_by != expected):
            problems.append(f"{term} is not attributed to its vocabulary ({defined_by})")
    assert not problems, "\n".join(problems)
