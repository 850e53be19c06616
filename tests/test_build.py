"""The build: each failure mode fails with a message naming file, subject and rule; artefacts
are written atomically; the built dataset keeps asserted and inferred triples apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import OWL, Dataset, Literal, URIRef

from kg.config import DATA_DIR
from kg.namespaces import AUTHORED
from kg.pipeline import build as pipeline
from kg.pipeline.build import BuildReport, assemble, build
from kg.pipeline.errors import BuildError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "build"


def fixture_file(tmp_path: Path, name: str) -> Path:
    """A fixture data file with the shared prefixes prepended."""
    path = tmp_path / name
    prefixes = (FIXTURES / "_prefixes.ttl").read_text()
    path.write_text(prefixes + (FIXTURES / name).read_text())
    return path


def check(tmp_path: Path, name: str) -> dict:
    """Build from the real places (which the external links refer to) and one fixture file."""
    paths = [DATA_DIR / "report" / "places.ttl", fixture_file(tmp_path, name)]
    return assemble(AUTHORED, BuildReport(), log=lambda _m: None, data_paths=paths)


def test_valid_fixture_builds(tmp_path):
    graphs = check(tmp_path, "valid.ttl")
    assert set(graphs) >= {"ontology", "asserted", "annotations", "inferred"}


def test_missing_quote_fails_naming_file_subject_and_quote(tmp_path):
    with pytest.raises(BuildError) as err:
        check(tmp_path, "missing-quote.ttl")
    message = str(err.value)
    assert "missing-quote.ttl" in message
    assert "id/force/leicestershire" in message
    assert "Leicestershire Constabulary" in message


def test_two_grades_for_one_judgment_is_inconsistent(tmp_path):
    with pytest.raises(BuildError) as err:
        check(tmp_path, "two-grades.ttl")
    message = str(err.value)
    assert "inconsistent" in message
    assert "two-grades.ttl" in message
    assert "judgment/leicestershire-2014/investigating-offending" in message
    assert "FunctionalProperty" in message and "grade" in message


def test_force_typed_as_its_area_is_inconsistent(tmp_path):
    with pytest.raises(BuildError) as err:
        check(tmp_path, "force-is-place.ttl")
    message = str(err.value)
    assert "disjoint" in message and "id/force/leicestershire" in message
    assert "force-is-place.ttl" in message


def test_observation_without_unit_violates_shapes(tmp_path):
    with pytest.raises(BuildError) as err:
        check(tmp_path, "observation-without-unit.ttl")
    message = str(err.value)
    assert "SHACL" in message
    assert "observation-without-unit.ttl" in message
    assert "id/observation/test-detection-rate" in message
    assert "unitMeasure" in message


def test_syntax_error_names_the_file(tmp_path):
    with pytest.raises(BuildError) as err:
        check(tmp_path, "syntax-error.ttl")
    assert "syntax-error.ttl" in str(err.value) and "does not parse" in str(err.value)


def test_failed_write_leaves_current_release_untouched(tmp_path, monkeypatch, settings):
    small = {"asserted": __import__("rdflib").Graph()}
    monkeypatch.setattr(pipeline, "assemble", lambda *a, **k: small)
    out = tmp_path / "out"
    s = settings.with_(output_dir=out)
    first = build(s, force=True, log=lambda _m: None).release
    assert (out / "current").resolve() == first

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline.dumps, "write_all", explode)
    with pytest.raises(RuntimeError):
        build(s, force=True, log=lambda _m: None)
    assert (out / "current").resolve() == first
    assert [p.name for p in (out / "releases").iterdir()] == [first.name]


def test_unchanged_sources_are_not_rebuilt(settings):
    report = build(settings, log=lambda _m: None)
    assert report.skipped


@pytest.fixture(scope="module")
def dataset(settings) -> Dataset:
    ds = Dataset()
    ds.parse(settings.dataset_dir / "dataset.nq", format="nquads")
    return ds


def test_dataset_has_the_named_graphs(dataset):
    names = {str(g.identifier) for g in dataset.graphs()}
    for role in ("ontology", "asserted", "annotations", "inferred"):
        assert str(AUTHORED.GRAPH[role]) in names


def test_inferred_graph_is_clean_and_separate(dataset):
    inferred = dataset.graph(URIRef(AUTHORED.GRAPH["inferred"]))
    asserted = dataset.graph(URIRef(AUTHORED.GRAPH["asserted"]))
    assert len(inferred) > 0
    assert not any(isinstance(s, Literal) for s in inferred.subjects())
    assert not any(s == o for s, o in inferred.subject_objects(OWL.sameAs))
    assert not any(str(s).startswith("http://www.w3.org/") for s in inferred.subjects())
    assert not any(t in asserted for t in inferred)


def test_stats_record_counts_and_stage_times(settings):
    stats = json.loads((settings.dataset_dir / "stats.json").read_text())
    assert stats["triples"]["asserted"] > 1000
    assert stats["facts"]["judgments"] >= 3
    assert set(stats["seconds"]) >= {"encode", "provenance", "reason", "validate", "write"}
    for dump in ("asserted.ttl", "inferred.nt", "ontology.ttl"):
        assert (settings.dataset_dir / "dumps" / dump).stat().st_size > 0


def test_another_base_iri_rebases_every_identifier(tmp_path):
    from kg.namespaces import Base

    base = Base("https://example.org/elsewhere/")
    paths = [DATA_DIR / "report" / "places.ttl", fixture_file(tmp_path, "valid.ttl")]
    graphs = assemble(base, BuildReport(), log=lambda _m: None, data_paths=paths)
    terms = {t for g in graphs.values() for triple in g for t in triple if isinstance(t, URIRef)}
    assert not [t for t in terms if str(t).startswith(AUTHORED.iri)]
    assert URIRef("https://example.org/elsewhere/id/force/leicestershire") in terms
