"""Joining with other data: the dataset's VoID/DCAT description at ``/.well-known/void``, the
dumps the build wrote at ``/download/<file>``, and CSV exports of the main tables at
``/export/<table>.csv``.

Reads the ``metadata`` graph and four export queries through the store, and the dump files
from the current build folder (only the names the build writes, matched against a fixed
pattern and looked up inside that folder: no path from the URL reaches the file system);
writes nothing. The description is content-negotiated: HTML, Turtle, JSON-LD, N-Triples or
RDF/XML.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask import Blueprint, Response, abort, render_template, request, send_from_directory
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS, VOID
from rdflib.term import Node

from kg.pipeline.metadata import DATASET_DUMPS, DUMP_FORMATS
from web.data import access
from web.http import formats as negotiation

bp = Blueprint("joining", __name__)
DUMP_NAME = re.compile(r"^(?:dataset\.(?:nq|trig|jsonld)|[a-z0-9][a-z0-9-]*\.(?:ttl|nt))$")
MEDIA = {name.rsplit(".", 1)[1]: media for name, (media, _label) in DATASET_DUMPS.items()}
MEDIA.update({ext: media for ext, (media, _label) in DUMP_FORMATS.items()})
FORMAT_NAMES = {media: label for media, label in [*DATASET_DUMPS.values(), *DUMP_FORMATS.values()]}
EXPORTS = ("judgments", "statistics", "recommendations", "initiatives")
SEPARATOR = " | "


# -- /download/<file> -------------------------------------------------------------------------


@bp.get("/download/<name>")
def download(name: str) -> Response:
    """One dump of the current build, as the VoID description advertises it."""
    if not DUMP_NAME.match(name):
        abort(404)
    relative = name if name.startswith("dataset.") else f"dumps/{name}"
    folder = access.settings().dataset_dir.resolve()
    if not (folder / relative).is_file():
        abort(404)
    media = MEDIA[name.rsplit(".", 1)[1]]
    return send_from_directory(folder, relative, mimetype=media, max_age=3600)


# -- /export/<table>.csv ----------------------------------------------------------------------


def table_csv(rows: list[dict[str, Node]], columns: list[str]) -> str:
    """CSV of query rows, one line per distinct value of the first column (sorted); the other
    columns hold every distinct value found for it, sorted and joined by `` | ``."""
    merged: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    key = columns[0]
    for row in rows:
        entity = merged[str(row[key])]
        for column in columns[1:]:
            value = row.get(column)
            if value is not None:
                entity[column].add(str(value))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for entity_key in sorted(merged):
        values = merged[entity_key]
        writer.writerow([entity_key, *(SEPARATOR.join(sorted(values[c])) for c in columns[1:])])
    return out.getvalue()


@bp.get("/export/<table>.csv")
def export(table: str) -> Response:
    """One of the main tables (judgments, statistics, recommendations, initiatives) as CSV."""
    if table not in EXPORTS:
        abort(404)
    from web.data import queries

    result = access.store().query(
        queries.load(f"export-{table}", access.base()), timeout=access.settings().query_timeout
    )
    body = table_csv(result.rows, result.variables)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="hmic-kg-{table}.csv"'
    return response


# -- /.well-known/void ------------------------------------------------------------------------


@dataclass
class Distribution:
    """A dump: its title, media type and local link."""

    title: str
    media: str
    href: str

    @property
    def format(self) -> str:
        """The syntax's name (Turtle, N-Triples…)."""
        return FORMAT_NAMES.get(self.media, self.media)


@dataclass
class Subset:
    """A named graph or a linkset of the dataset."""

    title: str
    iri: str
    triples: int | None
    dumps: list[Distribution] = field(default_factory=list)
    target: str = ""
    predicate: str = ""


@dataclass
class Description:
    """What the HTML page shows of the VoID/DCAT description."""

    title: str
    description: str
    rights: str
    licence: str
    publisher: str
    triples: int | None
    endpoint: str
    dumps: list[Distribution]
    graphs: list[Subset]
    linksets: list[Subset]
    vocabularies: list[str]
    examples: list[str]


def _local(iri: Node | None) -> str:
    """The link to an IRI of the description: this site's own pages for ours, else the IRI."""
    if iri is None:
        return ""
    text = str(iri)
    base = access.base().iri
    if text.startswith(base) and text[len(base) :].split("/", 1)[0] in ("download", "sparql"):
        return request.script_root + "/" + text[len(base) :]
    return access.iris().href(text) if text.startswith(base) else text


def _int(value: Node | None) -> int | None:
    return int(value.toPython()) if isinstance(value, Literal) else None


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str:
    value = graph.value(subject, predicate)
    return str(value) if value is not None else ""


def _dumps(graph: Graph, subject: Node) -> list[Distribution]:
    found = []
    for dist in graph.objects(subject, DCAT.distribution):
        media = str(graph.value(dist, DCAT.mediaType) or "").rsplit("/media-types/", 1)[-1]
        found.append(Distribution(_text(graph, dist, DCTERMS.title), media, _local(dist)))
    return sorted(found, key=lambda d: d.href)


def describe(graph: Graph) -> Description | None:
    """The page model of the VoID description (None when the graph holds no dataset)."""
    dataset = next(
        (s for s in graph.subjects(RDF.type, VOID.Dataset) if (s, VOID.subset, None) in graph),
        None,
    )
    if dataset is None:
        return None
    graphs, linksets = [], []
    for subset in graph.objects(dataset, VOID.subset):
        item = Subset(
            _text(graph, subset, DCTERMS.title),
            str(subset),
            _int(graph.value(subset, VOID.triples)),
            _dumps(graph, subset),
        )
        if (subset, RDF.type, VOID.Linkset) in graph:
            item.target = str(graph.value(subset, VOID.objectsTarget) or "")
            item.predicate = access.iris().curie(str(graph.value(subset, VOID.linkPredicate) or ""))
            linksets.append(item)
        else:
            graphs.append(item)
    publisher = graph.value(dataset, DCTERMS.publisher)
    return Description(
        title=_text(graph, dataset, DCTERMS.title),
        description=_text(graph, dataset, DCTERMS.description),
        rights=_text(graph, dataset, DCTERMS.rights),
        licence=_text(graph, dataset, DCTERMS.license),
        publisher=_text(graph, publisher, RDFS.label) if publisher is not None else "",
        triples=_int(graph.value(dataset, VOID.triples)),
        endpoint=_local(graph.value(dataset, VOID.sparqlEndpoint)),
        dumps=_dumps(graph, dataset),
        graphs=sorted(graphs, key=lambda s: s.iri),
        linksets=sorted(linksets, key=lambda s: s.iri),
        vocabularies=sorted(str(v) for v in graph.objects(dataset, VOID.vocabulary)),
        examples=sorted(str(v) for v in graph.objects(dataset, VOID.exampleResource)),
    )


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID + DCAT description of the dataset, in the format the client asks for."""
    fmt = negotiation.choose(request)
    graph = access.construct("void", metadata=access.graph_iri("metadata"))
    href = request.script_root + request.path
    if fmt.key != "html":
        return negotiation.rdf_response(graph, fmt, access.base().prefixes(), href)
    page = render_template(
        "forces/void.html", title="Dataset description (VoID)", d=describe(graph)
    )
    return negotiation.decorate(Response(page, mimetype="text/html"), href)
