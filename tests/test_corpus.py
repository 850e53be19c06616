"""Several reports in one dataset: the real build has nothing synthetic, and a small corpus
(the real report plus two synthetic ones from bench/corpus.py, built by the real pipeline into
a temporary folder) keeps identifiers, named graphs, pages and queries unambiguous."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import ROOT, Settings, load_settings
from kg.pipeline.build import build
from kg.pipeline.encode import corpus_reports
from kg.pipeline.errors import BuildError
from kg.store.embedded import EmbeddedStore

SYNTHETIC = "https://w3id.org/hmic-kg/synthetic/"
GRAPH = "https://w3id.org/hmic-kg/id/graph/"
REAL_REPORT = "https://w3id.org/hmic-kg/id/report/crime-inspection-2014-leicestershire"
PREFIXES = """
PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def _generator():  # bench/ is not a package: load the generator from its file
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "bench" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """The real report plus two synthetic reports (Avon and Somerset, Bedfordshire)."""
    tmp = tmp_path_factory.mktemp("corpus")
    _generator().generate(2, tmp / "reports")
    settings = load_settings(ROOT / "pyproject.toml", output_dir=tmp / "out")
    build(settings, log=lambda _msg: None, corpus_dir=tmp / "reports")
    return settings, tmp / "reports"


@pytest.fixture(scope="module")
def quads(corpus: tuple[Settings, Path]) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(corpus[0].dataset_dir / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="module")
def client(corpus: tuple[Settings, Path]) -> Iterator[object]:
    from web.app import create_app

    settings = corpus[0]
    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", settings=settings)
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    yield app.test_client()
    store.close()


def select(store: ox.Store, query: str) -> list[list[str]]:
    rows = store.query(PREFIXES + query, use_default_graph_as_union=True)
    return [[term.value if term is not None else "" for term in row] for row in rows]  # type: ignore[union-attr]


def test_the_real_build_has_nothing_synthetic(settings: Settings) -> None:
    dataset = (settings.dataset_dir / "dataset.nq").read_text(encoding="utf-8")
    assert REAL_REPORT in dataset
    assert SYNTHETIC not in dataset
    assert "synthetic" not in dataset.casefold()


def test_each_report_has_its_own_passages_and_is_marked_synthetic(quads: ox.Store) -> None:
    reports = select(
        quads,
        """SELECT ?report (COUNT(DISTINCT ?p) AS ?n) (SAMPLE(?c) AS ?comment)
           WHERE { ?p hmic:inReport ?report . OPTIONAL { ?report rdfs:comment ?c } }
           GROUP BY ?report ORDER BY ?report""",
    )
    assert [r[0] for r in reports] == [
        REAL_REPORT,
        SYNTHETIC + "0001/id/report/crime-inspection-2014-avon-and-somerset",
        SYNTHETIC + "0002/id/report/crime-inspection-2014-bedfordshire",
    ]
    assert len({r[1] for r in reports}) == 1  # the same outline, each under its own IRI
    assert all("Synthetic report" in r[2] for r in reports[1:])
    # No passage is in two reports, and every passage is named below its report.
    shared = select(quads, "SELECT ?p WHERE { ?p hmic:inReport ?a , ?b FILTER (?a != ?b) } LIMIT 1")
    assert shared == []
    strays = select(
        quads,
        """SELECT ?p WHERE {
             ?p hmic:inReport ?r FILTER (!STRSTARTS(STR(?p), CONCAT(STR(?r), "/"))) } LIMIT 1""",
    )
    assert strays == []


def test_synthetic_facts_stay_out_of_the_shared_graphs(quads: ox.Store) -> None:
    for role in ("ontology", "links", "peel2014", "metadata"):
        rows = quads.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH + role))
        assert not any(SYNTHETIC in str(q) for q in rows), role
    # Annotations of synthetic facts are synthetic too; real facts keep theirs.
    wrong = select(
        quads,
        f"""SELECT ?a ?fact WHERE {{ ?a oa:hasBody ?fact
              FILTER (STRSTARTS(STR(?fact), "{SYNTHETIC}") != STRSTARTS(STR(?a), "{SYNTHETIC}")) }}
            LIMIT 1""",
    )
    assert wrong == []


def test_judgments_of_each_force_stay_apart(quads: ox.Store) -> None:
    rows = select(
        quads,
        """SELECT ?force (COUNT(DISTINCT ?j) AS ?n) WHERE {
             ?j a hmic:Judgment ; hmic:judgedForce ?force ; hmic:statedIn ?p .
             ?p hmic:inReport ?report } GROUP BY ?force ORDER BY ?force""",
    )
    assert [r[0].rsplit("/", 1)[-1] for r in rows] == [
        "avon-and-somerset",
        "bedfordshire",
        "leicestershire",
    ]
    assert len({r[1] for r in rows}) == 1  # as many judgments on each force as in its report


def test_a_force_page_lists_its_reports(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/doc/force/avon-and-somerset").get_data(as_text=True)
    assert "Inspection reports on this force" in page
    assert "Crime inspection 2014: Avon and Somerset" in page
    assert "Leicestershire Police</a>" not in page.split('id="reports"', 1)[1].split("</ul>")[0]
    real = client.get("/doc/force/leicestershire").get_data(as_text=True)
    listed = real.split('id="reports"', 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == 1 and "Leicestershire Police" in listed


def test_the_forces_page_counts_reports_per_force(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/forces").get_data(as_text=True)
    counts = re.findall(r'href="/doc/force/([a-z-]+)#reports">(\d+)</a>', page)
    assert sorted(counts) == [
        ("avon-and-somerset", "1"),
        ("bedfordshire", "1"),
        ("leicestershire", "1"),
    ]


def test_search_spans_the_reports(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/search?q=bedfordshire+police").get_data(as_text=True)
    assert "synthetic/0002" in page
    page = client.get("/search?q=leicestershire+police").get_data(as_text=True)
    assert "/doc/force/leicestershire" in page


def test_the_reader_reads_each_report_and_only_its_facts(client) -> None:  # type: ignore[no-untyped-def]
    real = client.get("/report")
    assert real.status_code == 200
    text = real.get_data(as_text=True)
    assert "synthetic/" not in text
    other = SYNTHETIC + "0001/id/report/crime-inspection-2014-avon-and-somerset"
    page = client.get("/report", query_string={"report": other})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Avon and Somerset Police" in body
    assert "crime-inspection-2014-leicestershire/paragraph" not in body
    assert "/doc/finding/leicestershire-2014/" not in body
    assert "synthetic%2F0001%2Fid%2Ffinding" in body
    assert body.count('class="passage') == text.count('class="passage')
    missing = client.get("/report", query_string={"report": SYNTHETIC + "9999/id/report/none"})
    assert missing.status_code == 404
    assert client.get("/report", query_string={"report": "not an iri"}).status_code == 400


def test_a_synthetic_passage_links_to_its_own_reader(client) -> None:  # type: ignore[no-untyped-def]
    passage = SYNTHETIC + "0002/id/report/crime-inspection-2014-bedfordshire/paragraph/14"
    page = client.get("/resource", query_string={"iri": passage}).get_data(as_text=True)
    assert "report?report=https%3A%2F%2Fw3id.org%2Fhmic-kg%2Fsynthetic%2F0002" in page
    assert "#paragraph-14" in page


def test_the_home_page_shows_the_real_report_only(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").get_data(as_text=True)
    assert "/doc/dataset/force-activity" in page and "/doc/recommendation/" in page
    assert "synthetic%2F" not in page


def test_a_bad_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="does not exist"):
        corpus_reports(tmp_path / "nowhere")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.json").write_text("{}")
    with pytest.raises(BuildError, match="not a report manifest"):
        corpus_reports(tmp_path)


def test_kg_build_names_a_missing_corpus_folder_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from kg.cli import main

    status = main(["build", "--corpus", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.strip() == f"error: {tmp_path / 'nowhere'}: the corpus folder does not exist"


def test_synthetic_reports_never_go_into_the_project_output(tmp_path: Path) -> None:
    _generator().generate(1, tmp_path / "reports")
    settings = load_settings(ROOT / "pyproject.toml", output_dir=ROOT / "out")
    with pytest.raises(BuildError, match="never built into the project's dataset"):
        build(settings, log=lambda _msg: None, corpus_dir=tmp_path / "reports")
