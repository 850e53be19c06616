"""The SPARQL 1.1 Service Description of the endpoint, as RDF (rdflib writes it in any of the
graph formats) or as a small HTML page for a browser: the endpoint, the query language, the
result formats, the features, the limits, and the default dataset — its default graph (the
merge of every named graph) and each named graph with its size.

Reads the store only for the graph sizes (:func:`dataset_sizes`, asked once per app).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from html import escape

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from kg.namespaces import SD
from kg.sparql.prefixes import declare, html_table
from kg.store.base import GraphStore

FORMATS = URIRef("http://www.w3.org/ns/formats/")
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)
DEFAULT_GRAPH_NOTE = (
    "The default graph is the RDF merge of all the named graphs listed here (each triple "
    "once); use GRAPH, FROM or FROM NAMED with their names to query one of them."
)


@dataclass(frozen=True)
class Dataset:
    """The sizes the description reports: triples in the default graph and per named graph."""

    default_triples: int
    graphs: Mapping[str, int]


GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
DEFAULT_SIZE = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def dataset_sizes(store: GraphStore, timeout: float) -> Dataset:
    """The sizes of the store's default graph and named graphs (two queries)."""
    rows = store.query(GRAPH_SIZES, timeout=timeout).rows
    total = store.query(DEFAULT_SIZE, timeout=timeout).rows
    return Dataset(
        int(total[0]["n"]) if total else 0,  # type: ignore[call-overload]
        {str(r["g"]): int(r["n"]) for r in rows},  # type: ignore[call-overload]
    )


def _limits_note(timeout: float, result_limit: int, allowlist: Collection[str]) -> str:
    services = (
        "SERVICE may call only: " + ", ".join(sorted(allowlist))
        if allowlist
        else "SERVICE is refused (no endpoint is allowlisted)"
    )
    return (
        f"Read-only (SPARQL Update is refused). A query is stopped after {timeout:g} s; "
        f"a result of more than {result_limit:,} rows or triples is refused (400, saying how "
        f"to page with LIMIT and OFFSET), never cut. {services}; FROM, FROM NAMED and the "
        f"default-graph-uri and named-graph-uri parameters pick graphs of this dataset by name "
        f"(an IRI naming none is an empty graph; nothing is fetched)."
    )


def description(
    endpoint: str,
    dataset: Dataset,
    *,
    timeout: float,
    result_limit: int,
    allowlist: Collection[str] = (),
    prefixes: Mapping[str, str] | None = None,
) -> Graph:
    """The service description graph of the endpoint at ``endpoint`` (``prefixes``: the
    predeclared ones, as SHACL ``sh:declare`` on the service)."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("dct", DCTERMS)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, DCTERMS.title, Literal("hmic-kg SPARQL endpoint", lang="en")))
    g.add(
        (
            service,
            DCTERMS.description,
            Literal(_limits_note(timeout, result_limit, allowlist), lang="en"),
        )
    )
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for name in RESULT_FORMATS:
        g.add((service, SD.resultFormat, URIRef(FORMATS + name)))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    if allowlist:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    declare(g, service, prefixes or {})
    data = URIRef(endpoint + "#dataset")
    g.add((service, SD.defaultDataset, data))
    g.add((data, RDF.type, SD.Dataset))
    default = BNode()
    g.add((data, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(dataset.default_triples, datatype=XSD.integer)))
    g.add((default, DCTERMS.description, Literal(DEFAULT_GRAPH_NOTE, lang="en")))
    for name, size in sorted(dataset.graphs.items()):
        named, graph = BNode(), BNode()
        g.add((data, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(size, datatype=XSD.integer)))
    return g


def html_page(
    endpoint: str,
    dataset: Dataset,
    *,
    timeout: float,
    result_limit: int,
    allowlist: Collection[str] = (),
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """The description as a page for people, with a form to send a query."""
    rows = "\n".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{size:,}</td></tr>"
        for name, size in sorted(dataset.graphs.items())
    )
    e = escape(endpoint)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>SPARQL endpoint · hmic-kg</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem">
<h1>SPARQL 1.1 endpoint</h1>
<p>Endpoint: <code>{e}</code> — GET <code>?query=…</code>, POST a form, or POST
<code>application/sparql-query</code>. The RDF service description of this page:
<a href="?format=turtle">Turtle</a>, <a href="?format=jsonld">JSON-LD</a>,
<a href="?format=rdfxml">RDF/XML</a>, <a href="?format=ntriples">N-Triples</a>.</p>
<form method="get" action="{e}">
<p><label for="query">Query</label><br>
<textarea id="query" name="query" rows="8" cols="80">SELECT ?g (COUNT(*) AS ?triples)
WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}
GROUP BY ?g</textarea></p>
<p><label for="format">Results as</label>
<select id="format" name="format"><option>json</option><option>xml</option>
<option>csv</option><option>tsv</option><option>turtle</option><option>ntriples</option>
<option>jsonld</option><option>rdfxml</option></select>
<button type="submit">Run</button></p></form>
<h2>Default dataset</h2>
<p>{escape(DEFAULT_GRAPH_NOTE)} Default graph: {dataset.default_triples:,} triples.</p>
<table><thead><tr><th>named graph</th><th>triples</th></tr></thead><tbody>
{rows}
</tbody></table>
<h2>Prefixes</h2>
<p>A query may use these prefixes without declaring them; its own <code>PREFIX</code> lines
win.</p>
{html_table(prefixes or {})}
<h2>Limits</h2>
<p>{escape(_limits_note(timeout, result_limit, allowlist))}</p>
<p>Results: SPARQL JSON, XML, CSV and TSV for SELECT and ASK; Turtle, N-Triples, JSON-LD and
RDF/XML for CONSTRUCT and DESCRIBE — chosen by the <code>Accept</code> header or a
<code>format</code> parameter.</p>
</body></html>
"""
