"""IRI handling: local paths ↔ canonical IRIs under any base, links, and the validation that
turns a malformed path or parameter into a 400."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import BadRequest

from kg.namespaces import Base
from web.model.iris import Iris, check_iri, check_path


@pytest.fixture(params=["https://w3id.org/hmic-kg/", "http://example.org/kg/"])
def iris(request) -> Iris:
    return Iris(Base(request.param))


def test_paths_map_to_iris_under_the_configured_base(iris):
    base = iris.base.iri
    assert str(iris.iri("id", "force/leicestershire")) == base + "id/force/leicestershire"
    assert str(iris.iri("doc", "force/leicestershire")) == base + "id/force/leicestershire"
    assert str(iris.iri("def", "hmic/Judgment")) == base + "def/hmic/Judgment"


def test_links_go_to_the_local_document_or_definition(iris):
    base = iris.base.iri
    assert iris.href(base + "id/force/leicestershire") == "/doc/force/leicestershire"
    assert iris.href(base + "def/grade/good") == "/def/grade/good"
    assert iris.href(base + "download/dataset.nq") == "/download/dataset.nq"
    assert (
        iris.href("http://www.wikidata.org/entity/Q6519259")
        == "/resource?iri=http%3A%2F%2Fwww.wikidata.org%2Fentity%2FQ6519259"
    )


def test_links_honour_the_mount_point():
    iris = Iris(Base(), script_root="/kg")
    assert iris.href("https://w3id.org/hmic-kg/id/place/leicester") == "/kg/doc/place/leicester"


def test_curies_and_readable_names(iris):
    base = iris.base.iri
    assert iris.curie(base + "def/hmic/Judgment") == "hmic:Judgment"
    assert iris.curie(base + "def/grade/good") == "grade:good"
    assert iris.curie("http://www.w3.org/2000/01/rdf-schema#label") == "rdfs:label"
    assert iris.short_name(base + "def/hmic/PoliceForce") == "Police Force"
    assert iris.short_name(base + "id/initiative/operation-tiger") == "operation tiger"


@pytest.mark.parametrize(
    "path", ["", "a//b", "../etc/passwd", "a/./b", "a b", "a<b", 'x"y', "a/b?c", "x" * 600]
)
def test_malformed_paths_are_refused(path):
    with pytest.raises(BadRequest):
        check_path(path)


@pytest.mark.parametrize(
    "text", ["", "not an iri", "ftp://x/y", "http://", "http://a b/", "<http://x/>", "javascript:1"]
)
def test_malformed_iri_parameters_are_refused(text):
    with pytest.raises(BadRequest):
        check_iri(text)


def test_good_iri_parameters_pass():
    assert check_iri("https://w3id.org/hmic-kg/id/force/leicestershire")
    assert check_iri("urn:isbn:9781782466352")
