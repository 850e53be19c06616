"""The W3C RDF Data Cube integrity constraints IC-1 … IC-21, run as the Recommendation states
them (tests/standards/datacube/), over a copy of the built dataset whose default graph is the
union of its named graphs, after the Recommendation's normalisation algorithm."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings

QUERIES = Path(__file__).resolve().parent / "datacube"
CONSTRAINTS = sorted(p.stem for p in QUERIES.glob("ic-*.rq") if not p.stem.endswith("-instances"))
# Constraints whose subject the dataset has none of (slices, slice keys, a measure dimension,
# hierarchical code lists): they run, and would find a violation if such a thing appeared.
VACUOUS = {
    "ic-07": "qb:SliceKey",
    "ic-08": "qb:SliceKey",
    "ic-09": "qb:Slice",
    "ic-10": "qb:Slice",
    "ic-15": "qb:measureType",
    "ic-16": "qb:measureType",
    "ic-17": "qb:measureType",
    "ic-18": "qb:Slice",
    "ic-19b": "skos:Collection",
    "ic-20": "qb:HierarchicalCodeList",
    "ic-21": "qb:HierarchicalCodeList",
}


def normalised(quads: ox.Store) -> ox.Store:
    """A new store holding every triple of ``quads`` in its default graph, normalised."""
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    for phase in ("normalize-phase-1.ru", "normalize-phase-2.ru"):
        store.update((QUERIES / phase).read_text(encoding="utf-8"))
    return store


def violated(store: ox.Store, name: str) -> bool:
    """Whether constraint ``name`` finds a violation (templates are asked once per ``$p``)."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    if "$p" not in text:
        return bool(store.query(text))
    instances = (QUERIES / f"{name}-instances.rq").read_text(encoding="utf-8")
    return any(
        bool(store.query(text.replace("$p", row["p"].value))) for row in store.query(instances)
    )


@pytest.fixture(scope="module")
def cube(settings: Settings) -> ox.Store:
    """The built dataset, merged into one default graph and normalised."""
    source = ox.Store()
    source.bulk_load(path=str(settings.dataset_dir / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return normalised(source)


def test_every_constraint_of_the_recommendation_is_transcribed() -> None:
    numbers = {name.removeprefix("ic-").rstrip("ab") for name in CONSTRAINTS}
    assert numbers == {f"{n:02d}" for n in range(1, 22)}


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_constraint_holds(cube: ox.Store, name: str) -> None:
    assert not violated(cube, name), f"{name} is violated"


def test_constraints_the_data_gives_no_subject_to_have_none(cube: ox.Store) -> None:
    prefixes = (
        "PREFIX qb: <http://purl.org/linked-data/cube#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    )
    for name, term in VACUOUS.items():
        used = prefixes + f"ASK {{ {{ ?s a {term} }} UNION {{ ?s {term} ?o }} }}"
        if term == "qb:measureType":
            used = prefixes + "ASK { ?s qb:componentProperty qb:measureType }"
        assert not cube.query(used), f"{name}: the data now has {term}; update docs/modelling.md"


def test_the_constraints_find_what_they_are_for() -> None:
    """Each check can fail: a cube with a dimension without range, a duplicate observation, an
    observation without its required unit and a code outside its code list is caught."""
    broken = ox.Store()
    broken.load(
        input=(QUERIES.parent / "fixtures" / "broken-cube.ttl").read_bytes(),
        format=ox.RdfFormat.TURTLE,
    )
    cube = normalised(broken)
    found = {name for name in CONSTRAINTS if violated(cube, name)}
    assert found == {"ic-01", "ic-04", "ic-11", "ic-12", "ic-13", "ic-19a"}
