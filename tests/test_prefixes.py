"""One prefix per kind of identifier: every IRI of the dataset is a plain prefixed name, no
escaped slash is left anywhere, and the identifiers themselves did not change (cool URIs
don't): every IRI the dataset had on 2026-12-07 is still there, with the same types."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import ROOT
from kg.namespaces import AUTHORED_BASE, Base

BASE = Base()
SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "iris-2026-12-07.tsv"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PN_PREFIX = re.compile(r"^[A-Za-z](?:[\w.-]*[\w-])?$")
ESCAPE = "\\" + "/"  # written in two parts so that this file holds none itself
# Types an IRI may have lost since the snapshot, each with the reason (a correction of what
# the resource is, asked for by an issue); every other type must still be there.
CORRECTED_TYPES: dict[str, dict[str, str]] = {
    AUTHORED_BASE + "id/initiative/evidence-based-policing-operations": {
        AUTHORED_BASE + "def/hmic/Operation": "a group of operations, not a fifth one (issue 9)",
    },
}


def _plumbing(iri: str) -> bool:
    """An annotation's target or selector (no prefixed name: the digest is a path segment)."""
    rest = iri[len(AUTHORED_BASE) :]
    return rest.startswith("id/annotation/") and rest.count("/") > 2


@pytest.fixture(scope="module")
def dataset(settings) -> tuple[set[str], dict[str, set[str]]]:
    """The IRIs of the built dataset and the types of each."""
    iris: set[str] = set()
    types: dict[str, set[str]] = {}
    for quad in ox.parse(
        path=str(settings.dataset_dir / "dataset.nq"), format=ox.RdfFormat.N_QUADS
    ):
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
        if quad.predicate.value == RDF_TYPE and isinstance(quad.subject, ox.NamedNode):
            types.setdefault(quad.subject.value, set()).add(quad.object.value)
    return iris, types


def test_every_iri_of_the_snapshot_is_still_there_with_its_types(dataset):
    iris, types = dataset
    missing, retyped = [], []
    for line in SNAPSHOT.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        iri, _, was = line.partition("\t")
        if iri not in iris:
            missing.append(iri)
            continue
        lost = set(was.split()) - types.get(iri, set()) - set(CORRECTED_TYPES.get(iri, {}))
        if lost:
            retyped.append(f"{iri} lost {sorted(lost)}")
    assert not missing, f"{len(missing)} IRIs are gone, e.g. {missing[:5]}"
    assert not retyped, retyped[:5]


def test_every_project_iri_has_a_plain_prefixed_name(dataset):
    iris, _ = dataset
    ours = [i for i in iris if i.startswith(AUTHORED_BASE) and not _plumbing(i)]
    unnamed = sorted(i for i in ours if BASE.curie(i) is None)
    assert not unnamed, (
        f"{len(unnamed)} IRIs without a prefixed name (see `kg prefixes`): {unnamed[:5]}"
    )
    assert BASE.curie(AUTHORED_BASE + "id/force/leicestershire") == "force:leicestershire"
    assert BASE.curie(AUTHORED_BASE + "id/initiative/sentinel") == "initiative:sentinel"
    paragraph = AUTHORED_BASE + "id/report/crime-inspection-2014-leicestershire/paragraph/60"
    assert BASE.curie(paragraph) == "paragraph:60"


def test_kg_prefixes_names_what_is_missing(capsys):
    from kg.cli import main
    from kg.namespaces import missing_prefixes

    assert main(["prefixes"]) == 0
    assert "every IRI of the build" in capsys.readouterr().out
    nested = AUTHORED_BASE + "id/comparison/a/b"
    assert missing_prefixes([nested]) == {AUTHORED_BASE + "id/comparison/a/": "comparison-a"}


def test_the_prefix_table_is_one_to_one_and_well_formed():
    table = BASE.project_prefixes()
    assert len(set(table.values())) == len(table), "two prefixes for one namespace"
    assert all(PN_PREFIX.match(name) for name in table), [
        n for n in table if not PN_PREFIX.match(n)
    ]
    assert all(ns.endswith(("/", "#")) for ns in table.values())
    for legacy in ("hmic", "id", "report", "period", "grade", "unit"):
        assert legacy in table  # older queries keep working
    w3c = ("rdf", "rdfs", "owl", "xsd", "skos", "dct", "foaf", "org", "qb", "prov", "dcat")
    assert all(p in BASE.prefixes() for p in (*w3c, "void", "time", "oa", "sdmx-dimension"))


def test_no_escaped_slash_in_the_repository():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = [
        name
        for name in files
        if "/vendor/" not in name
        and (ROOT / name).is_file()
        and ESCAPE in (ROOT / name).read_text(encoding="utf-8", errors="replace")
    ]
    assert not offenders, offenders


def test_no_escaped_slash_in_the_dumps(settings):
    release = settings.dataset_dir
    dumps = [release / "dataset.trig", release / "dataset.jsonld", *release.glob("dumps/*.ttl")]
    offenders = [p.name for p in dumps if ESCAPE in p.read_text(encoding="utf-8")]
    assert not offenders, offenders
    head = (release / "dumps" / "asserted.ttl").read_text(encoding="utf-8")
    assert "force:leicestershire" in head


def test_pages_show_names_that_can_be_pasted(client):
    html = client.get("/doc/initiative/sentinel").get_data(as_text=True)
    assert "initiative:sentinel" in html
    assert "id:initiative" not in html and ESCAPE not in html
    turtle = client.get("/doc/initiative/sentinel?format=turtle").get_data(as_text=True)
    assert "initiative:sentinel" in turtle and ESCAPE not in turtle


def test_queries_use_the_new_names(store):
    text = "SELECT ?l WHERE { initiative:sentinel rdfs:label ?l }"
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in BASE.prefixes().items())
    rows = store.query(prologue + text).rows
    assert [str(r["l"]) for r in rows] == ["Sentinel"]
