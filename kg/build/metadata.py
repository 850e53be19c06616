"""Build stage "write", metadata part: a VoID + DCAT description of the dataset.

Reads the finished named graphs (for counts and vocabularies); returns the ``metadata``
graph: the dataset, one subset per named graph, the linksets, the SPARQL endpoint, example
resources and one distribution per dump. Served at ``/.well-known/void``.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, VOID

from kg.namespaces import ONS, WD, Base

RIGHTS = (
    "The encoding (ontology, identifiers, structure, links) is licensed CC BY 4.0 by the "
    "hmic-kg project. The report text it quotes is © HMIC 2014 and is reproduced as the "
    "source of record; reuse of that text is subject to HMIC's terms."
)
DUMP_FORMATS = {
    "ttl": ("text/turtle", "Turtle"),
    "nt": ("application/n-triples", "N-Triples"),
}
DATASET_DUMPS = {
    "dataset.nq": ("application/n-quads", "N-Quads"),
    "dataset.trig": ("application/trig", "TriG"),
    "dataset.jsonld": ("application/ld+json", "JSON-LD"),
}
GRAPH_TITLES = {
    "ontology": "The hmic-kg ontology and code lists",
    "asserted": "The report encoded as data (asserted triples)",
    "annotations": "Web Annotations tying each fact to its quote in the report",
    "links": "Links to Wikidata, ONS statistical geographies and data.police.uk",
    "peel2014": "PEEL 2014 crime-inspection grades of all 43 forces",
    "inferred": "Triples inferred by the OWL 2 RL closure",
    "metadata": "This description of the dataset (VoID and DCAT)",
}
LINK_TARGETS = {
    "wikidata": ("Wikidata", str(WD), SKOS.exactMatch),
    "ons": ("ONS statistical geographies", str(ONS), SKOS.exactMatch),
    "police-uk": ("data.police.uk", "https://data.police.uk/api/forces/", RDFS.seeAlso),
}


def describe(base: Base, graphs: dict[str, Graph]) -> Graph:
    """The VoID/DCAT description of a dataset made of ``graphs``."""
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcat", DCAT)
    dataset = base.ID["dataset/hmic-kg"]
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add(
        (
            dataset,
            DCTERMS.title,
            Literal("hmic-kg: Crime inspection 2014, Leicestershire Police", lang="en"),
        )
    )
    g.add(
        (
            dataset,
            DCTERMS.description,
            Literal(
                "HMIC's Crime inspection 2014 report on Leicestershire Police as a knowledge "
                "graph: judgments, findings, statistics, initiatives, partners and "
                "recommendations, each tied to the paragraph of the report it comes from, "
                "joined with the 2014 grades of all 43 forces.",
                lang="en",
            ),
        )
    )
    g.add((dataset, DCTERMS.source, base.REPORT_IRI))
    g.add((dataset, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    publisher = base.ID["organisation/hmic-kg-project"]
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, RDFS.label, Literal("hmic-kg project", lang="en")))
    g.add((dataset, VOID.uriSpace, Literal(str(base.ID))))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(base.iri + "sparql")))
    g.add((dataset, VOID.rootResource, base.REPORT_IRI))
    for example in (
        "force/leicestershire",
        "judgment/leicestershire-2014/investigating-offending",
        "initiative/operation-tiger",
        "recommendation/leicestershire-2014/1",
    ):
        g.add((dataset, VOID.exampleResource, base.ID[example]))
    total = 0
    vocabularies: set[str] = set()
    for name, graph in graphs.items():
        subset = base.GRAPH[name]
        total += len(graph)
        g.add((dataset, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, DCTERMS.title, Literal(GRAPH_TITLES.get(name, name), lang="en")))
        g.add((subset, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
        g.add(
            (
                subset,
                VOID.distinctSubjects,
                Literal(len(set(graph.subjects())), datatype=XSD.integer),
            )
        )
        for fmt, (media, label) in DUMP_FORMATS.items():
            dist = URIRef(f"{base.iri}download/{name}.{fmt}")
            g.add((subset, VOID.dataDump, dist))
            g.add((subset, DCAT.distribution, dist))
            _distribution(g, dist, f"{GRAPH_TITLES.get(name, name)} ({label})", media)
        for p in graph.predicates():
            ns = _namespace(str(p))
            if ns:
                vocabularies.add(ns)
    # The description is a named graph with dumps of its own; its size is not stated (the
    # statement would change it).
    subset = base.GRAPH["metadata"]
    g.add((dataset, VOID.subset, subset))
    g.add((subset, RDF.type, VOID.Dataset))
    g.add((subset, DCTERMS.title, Literal(GRAPH_TITLES["metadata"], lang="en")))
    for fmt, (media, label) in DUMP_FORMATS.items():
        dist = URIRef(f"{base.iri}download/metadata.{fmt}")
        g.add((subset, VOID.dataDump, dist))
        g.add((subset, DCAT.distribution, dist))
        _distribution(g, dist, f"{GRAPH_TITLES['metadata']} ({label})", media)
    g.add((dataset, VOID.triples, Literal(total, datatype=XSD.integer)))
    for fname, (media, label) in DATASET_DUMPS.items():
        dist = URIRef(f"{base.iri}download/{fname}")
        g.add((dataset, VOID.dataDump, dist))
        g.add((dataset, DCAT.distribution, dist))
        _distribution(g, dist, f"The whole dataset with its named graphs ({label})", media)
    for ns in sorted(vocabularies):
        g.add((dataset, VOID.vocabulary, URIRef(ns)))
    links = graphs.get("links", Graph())
    for key, (title, target_space, predicate) in LINK_TARGETS.items():
        linkset = base.ID[f"dataset/hmic-kg/linkset/{key}"]
        count = sum(
            1 for _s, o in links.subject_objects(predicate) if str(o).startswith(target_space)
        )
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, DCTERMS.title, Literal(f"Links to {title}", lang="en")))
        g.add((linkset, VOID.subjectsTarget, dataset))
        g.add((linkset, VOID.objectsTarget, URIRef(target_space)))
        g.add((linkset, VOID.linkPredicate, predicate))
        g.add((linkset, VOID.triples, Literal(count, datatype=XSD.integer)))
        g.add((dataset, VOID.subset, linkset))
    # Labelled like everything else: what has a title has it as its rdfs:label too, and so
    # have the endpoint and the project's own vocabulary namespaces that the description names.
    for described, title in list(g.subject_objects(DCTERMS.title)):
        if (described, RDFS.label, None) not in g:
            g.add((described, RDFS.label, title))
    g.add((URIRef(base.iri + "sparql"), RDFS.label, Literal("SPARQL endpoint", lang="en")))
    for used in list(g.objects(dataset, VOID.vocabulary)):
        if str(used).startswith(base.iri):
            g.add((used, RDFS.label, Literal(f"vocabulary namespace {used}", lang="en")))
    return g


def _distribution(g: Graph, dist: URIRef, title: str, media: str) -> None:
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(title, lang="en")))
    g.add((dist, DCAT.downloadURL, dist))
    g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))


def _namespace(iri: str) -> str | None:
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[0] + sep
    return None
