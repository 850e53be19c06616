"""Build stage "write", metadata part: a VoID + DCAT-AP description of the dataset.

Reads the finished named graphs (for counts, vocabularies and the statistics' reference
periods); returns the ``metadata`` graph: the dataset, one subset per named graph (the
metadata graph included), the linksets, the SPARQL endpoint, example resources and one
distribution per dump, each labelled. Served at ``/.well-known/void``. It meets DCAT-AP 3.0.1
(``shapes.ttl`` and ``range.ttl`` with no violation; tests/standards/test_dcat_ap.py).

Counting rule (docs/joining.md): a subset's ``void:triples`` is the size of its named graph;
the dataset's is the number of distinct triples of the default graph, which is the merge of
every named graph — a triple held by two graphs counts once.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, QB, SKOS, TIME, VOID

from kg.namespaces import ONS, SDMX_DIMENSION, WD, Base
from kg.pipeline.derived import mark_derived

DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
RIGHTS = (
    "The encoding (ontology, identifiers, structure, links) is licensed CC BY 4.0 by the "
    "hmic-kg project. The report text it quotes is © HMIC 2014 and is reproduced as the "
    "source of record; reuse of that text is subject to HMIC's terms."
)
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
# Media type → (label, EU file-type code).
MEDIA = {
    "text/turtle": ("Turtle", "RDF_TURTLE"),
    "application/n-triples": ("N-Triples", "RDF_N_TRIPLES"),
    "application/n-quads": ("N-Quads", "RDF_N_QUADS"),
    "application/trig": ("TriG", "RDF_TRIG"),
    "application/ld+json": ("JSON-LD", "JSON_LD"),
}
# Dump → (media type, format name), for the build and the VoID page.
DUMP_FORMATS = {"ttl": ("text/turtle", "Turtle"), "nt": ("application/n-triples", "N-Triples")}
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
    "metadata": "This description of the dataset (VoID and DCAT-AP)",
}
LINK_TARGETS = {
    "wikidata": ("Wikidata", str(WD), SKOS.exactMatch),
    "ons": ("ONS statistical geographies", str(ONS), SKOS.exactMatch),
    "police-uk": ("data.police.uk", "https://data.police.uk/api/forces/", RDFS.seeAlso),
}
KEYWORDS = (
    "policing",
    "police inspection",
    "HMIC",
    "Leicestershire Police",
    "crime",
    "anti-social behaviour",
    "PEEL 2014",
    "linked data",
)
# The places the report's statistics are about (dct:spatial).
COVERED_PLACES = ("place/leicestershire-police-area", "place/england-and-wales")


def describe(base: Base, graphs: dict[str, Graph]) -> Graph:
    """The VoID/DCAT-AP description of a dataset made of ``graphs`` (and of itself)."""
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcat", DCAT)
    g.bind("dcatap", DCATAP)
    g.bind("vcard", VCARD)
    dataset = base.ID["dataset/hmic-kg"]
    title = "hmic-kg: Crime inspection 2014, Leicestershire Police"
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    _label(g, dataset, title)
    g.add((dataset, DCTERMS.title, Literal(title, lang="en")))
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
    # The report is a document, not a dcat:Dataset: the dataset is derived from it and
    # related to it (DCAT-AP's "related resource"), rather than its dct:source.
    g.add((dataset, PROV.wasDerivedFrom, base.REPORT_IRI))
    g.add((dataset, DCTERMS.relation, base.REPORT_IRI))
    g.add((dataset, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((dataset, DCTERMS.license, LICENCE))
    _licence(g)
    _publisher(g, base, dataset)
    _coverage(g, base, dataset, graphs)
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
    vocabularies: set[str] = set()
    for name, graph in {**graphs, "metadata": Graph()}.items():
        subset = base.GRAPH[name]
        g.add((dataset, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        _label(g, subset, GRAPH_TITLES.get(name, name))
        g.add((subset, DCTERMS.title, Literal(GRAPH_TITLES.get(name, name), lang="en")))
        if name != "metadata":
            g.add((subset, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
            g.add((subset, VOID.distinctSubjects, _count(set(graph.subjects()))))
        for fmt, (media, _name) in DUMP_FORMATS.items():
            dist = URIRef(f"{base.iri}download/{name}.{fmt}")
            g.add((subset, VOID.dataDump, dist))
            g.add((subset, DCAT.distribution, dist))
            what = f"the named graph <{subset}>: {GRAPH_TITLES.get(name, name).lower()}"
            _distribution(g, dist, GRAPH_TITLES.get(name, name), what, media)
        for p in graph.predicates():
            ns = _namespace(str(p))
            if ns:
                vocabularies.add(ns)
    for fname, (media, _name) in DATASET_DUMPS.items():
        dist = URIRef(f"{base.iri}download/{fname}")
        g.add((dataset, VOID.dataDump, dist))
        g.add((dataset, DCAT.distribution, dist))
        what = "every named graph of the dataset, each in its own graph"
        _distribution(g, dist, "The whole dataset with its named graphs", what, media)
    for ns in sorted(vocabularies):
        g.add((dataset, VOID.vocabulary, URIRef(ns)))
    links = graphs.get("links", Graph())
    for key, (target, target_space, predicate) in LINK_TARGETS.items():
        linkset = base.ID[f"dataset/hmic-kg/linkset/{key}"]
        count = sum(
            1 for _s, o in links.subject_objects(predicate) if str(o).startswith(target_space)
        )
        g.add((linkset, RDF.type, VOID.Linkset))
        _label(g, linkset, f"Links to {target}")
        g.add((linkset, DCTERMS.title, Literal(f"Links to {target}", lang="en")))
        g.add((linkset, VOID.subjectsTarget, dataset))
        g.add((linkset, VOID.objectsTarget, URIRef(target_space)))
        g.add((URIRef(target_space), RDFS.label, Literal(target, lang="en")))
        g.add((linkset, VOID.linkPredicate, predicate))
        g.add((linkset, VOID.triples, Literal(count, datatype=XSD.integer)))
        g.add((dataset, VOID.subset, linkset))
    # Labelled like everything else: what has a title has it as its rdfs:label too, and so
    # have the endpoint and the project's own vocabulary namespaces that the description names.
    for described, title in list(g.subject_objects(DCTERMS.title)):
        if (described, RDFS.label, None) not in g:
            g.add((described, RDFS.label, title))
    g.add((URIRef(base.iri + "sparql"), RDFS.label, Literal("SPARQL endpoint", lang="en")))
    g.add((URIRef(base.iri), RDFS.label, Literal("hmic-kg home page", lang="en")))
    for used in list(g.objects(dataset, VOID.vocabulary)):
        if str(used).startswith(base.iri):
            g.add((used, RDFS.label, Literal(f"vocabulary namespace {used}", lang="en")))
    _sizes(g, base, dataset, graphs)
    return g


def _sizes(g: Graph, base: Base, dataset: URIRef, graphs: dict[str, Graph]) -> None:
    """State the metadata graph's own size and subjects and the dataset's total (distinct
    triples of the merge). A size statement is one triple whatever its value, so each is
    written first with a placeholder and then given its value."""
    own = base.GRAPH["metadata"]
    statements = ((own, VOID.triples), (own, VOID.distinctSubjects), (dataset, VOID.triples))
    for subject, predicate in statements:
        g.add((subject, predicate, _count(set())))
    merged: set[tuple[object, object, object]] = set(g)
    for graph in graphs.values():
        merged.update(graph)
    g.set((own, VOID.triples, Literal(len(g), datatype=XSD.integer)))
    g.set((own, VOID.distinctSubjects, _count(set(g.subjects()))))
    g.set((dataset, VOID.triples, Literal(len(merged), datatype=XSD.integer)))


def _publisher(g: Graph, base: Base, dataset: URIRef) -> None:
    publisher = base.ID["organisation/hmic-kg-project"]
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    _label(g, publisher, "hmic-kg project")
    g.add((publisher, FOAF.name, Literal("hmic-kg project", lang="en")))
    contact = base.ID["organisation/hmic-kg-project/contact"]
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    _label(g, contact, "Contact point of the hmic-kg project")
    g.add((contact, VCARD.fn, Literal("hmic-kg project", lang="en")))
    g.add((contact, VCARD.hasURL, URIRef(base.iri)))


def _licence(g: Graph) -> None:
    g.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    _label(g, LICENCE, "Creative Commons Attribution 4.0 International (CC BY 4.0)")
    kind = URIRef("http://purl.org/adms/licencetype/Attribution")
    g.add((LICENCE, DCTERMS.type, kind))
    g.add((kind, RDF.type, SKOS.Concept))
    g.add((kind, SKOS.prefLabel, Literal("Attribution", lang="en")))
    _label(g, kind, "Attribution")
    g.add((kind, SKOS.inScheme, URIRef("http://purl.org/adms/licencetype/1.0")))


def _coverage(g: Graph, base: Base, dataset: URIRef, graphs: dict[str, Graph]) -> None:
    """Keywords, theme, spatial and temporal coverage. The temporal coverage is computed:
    from the earliest start to the latest end of the statistics' reference periods."""
    for word in KEYWORDS:
        g.add((dataset, DCAT.keyword, Literal(word, lang="en")))
    theme = URIRef(f"{EU}data-theme/JUST")
    g.add((dataset, DCAT.theme, theme))
    g.add((theme, RDF.type, SKOS.Concept))
    g.add((theme, SKOS.prefLabel, Literal("Justice, legal system and public safety", lang="en")))
    _label(g, theme, "Justice, legal system and public safety")
    g.add((theme, SKOS.inScheme, URIRef(f"{EU}data-theme")))
    for place in COVERED_PLACES:
        g.add((dataset, DCTERMS.spatial, base.ID[place]))
        g.add((base.ID[place], RDF.type, DCTERMS.Location))
    asserted = graphs.get("asserted", Graph())
    starts, ends = [], []
    periods = sorted(set(asserted.objects(None, SDMX_DIMENSION.refPeriod)))
    for period in periods:
        for edge, found in ((TIME.hasBeginning, starts), (TIME.hasEnd, ends)):
            for instant in asserted.objects(period, edge):
                found += [d.toPython() for d in asserted.objects(instant, TIME.inXSDDate)]
    if not starts or not ends:
        return
    coverage = base.ID["dataset/hmic-kg/temporal-coverage"]
    g.add((dataset, DCTERMS.temporal, coverage))
    g.add((coverage, RDF.type, DCTERMS.PeriodOfTime))
    _label(
        g, coverage, f"Reference periods of the statistics (derived: {min(starts)} to {max(ends)})"
    )
    g.add(
        (
            coverage,
            RDFS.comment,
            Literal(
                "Computed by the build: from the earliest start to the latest end of the "
                "reference periods of the report's statistics.",
                lang="en",
            ),
        )
    )
    sources = tuple(  # the report's own statistics (a corpus build's synthetic ones stay out)
        sorted(d for d in asserted.subjects(RDF.type, QB.DataSet) if d.startswith(base.ID))
    )
    for prop, value, how in (
        (DCAT.startDate, min(starts), "derived: the earliest first day of the reference periods"),
        (DCAT.endDate, max(ends), "derived: the latest last day of the reference periods"),
    ):
        literal = Literal(value, datatype=XSD.date)
        mark_derived(g, base, coverage, prop, literal, f"{how} of the statistics", sources)


def _distribution(g: Graph, dist: URIRef, title: str, what: str, media: str) -> None:
    label, code = MEDIA[media]
    g.add((dist, RDF.type, DCAT.Distribution))
    _label(g, dist, f"{title} ({label})")
    g.add((dist, DCTERMS.title, Literal(f"{title} ({label})", lang="en")))
    g.add((dist, DCTERMS.description, Literal(f"A {label} file of {what}.", lang="en")))
    g.add((dist, DCAT.accessURL, dist))
    g.add((dist, DCAT.downloadURL, dist))
    g.add((dist, DCTERMS.license, LICENCE))
    media_type = URIRef(f"https://www.iana.org/assignments/media-types/{media}")
    g.add((dist, DCAT.mediaType, media_type))
    g.add((media_type, RDF.type, DCTERMS.MediaType))
    _label(g, media_type, media)
    file_type = URIRef(f"{EU}file-type/{code}")
    g.add((dist, DCTERMS.format, file_type))
    g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    g.add((file_type, RDF.type, SKOS.Concept))
    g.add((file_type, SKOS.inScheme, URIRef(f"{EU}file-type")))
    g.add((file_type, SKOS.prefLabel, Literal(label, lang="en")))
    _label(g, file_type, label)
    availability = URIRef(f"{EU}planned-availability/EXPERIMENTAL")
    g.add((dist, DCATAP.availability, availability))
    g.add((availability, RDF.type, SKOS.Concept))
    g.add((availability, SKOS.inScheme, URIRef(f"{EU}planned-availability")))
    g.add((availability, SKOS.prefLabel, Literal("experimental", lang="en")))
    _label(g, availability, "experimental")


def _label(g: Graph, node: URIRef, text: str) -> None:
    g.add((node, RDFS.label, Literal(text, lang="en")))


def _count(items: set[object]) -> Literal:
    return Literal(len(items), datatype=XSD.integer)


def _namespace(iri: str) -> str | None:
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[0] + sep
    return None
