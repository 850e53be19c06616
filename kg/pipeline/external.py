"""Build stage "encode", external part: links to other datasets and the 43-force grades.

Reads ``data/external/police-forces.csv`` and ``peel2014-crime-inspection-judgments.csv``
(verified facts, with their sources in ``data/external/SOURCES.md``); returns two graphs:
``links`` (identifiers in Wikidata, ONS and data.police.uk, never ``owl:sameAs`` between a
force and its area) and ``peel2014`` (every force's 2014 grades, with source and confidence,
disputed and missing grades kept as such).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.config import DATA_DIR
from kg.namespaces import ONS, WD, Base

EXTERNAL = DATA_DIR / "external"
FORCES_CSV = EXTERNAL / "police-forces.csv"
GRADES_CSV = EXTERNAL / "peel2014-crime-inspection-judgments.csv"
QUESTIONS = {
    "reducing_crime": "reducing-crime",
    "investigating_offending": "investigating-offending",
    "tackling_asb": "tackling-asb",
}
QUESTION_LABELS = {
    "reducing-crime": "reducing crime and preventing offending",
    "investigating-offending": "investigating offending",
    "tackling-asb": "tackling anti-social behaviour",
}
GRADE_CODES = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires-improvement",
    "ri": "requires-improvement",
    "inadequate": "inadequate",
}
REPORT_FORCE = "leicestershire"
POLICE_UK = "https://data.police.uk/api/forces/"
LEGISLATION = URIRef("http://www.legislation.gov.uk/ukpga/1996/16")

# Identifiers for the report's own places (data/external/SOURCES.md): ONS code, Wikidata item
# and the confidence of the Wikidata mapping.
PLACE_LINKS = {
    "leicestershire-police-area": ("E23000021", None, None),
    "england-and-wales": ("K04000001", None, None),
    "leicester": ("E06000016", "Q83065", "high"),
    "leicestershire": ("E10000018", "Q23106", "medium"),
    "rutland": ("E06000017", "Q23107", "medium"),
}

# The two nations of England and Wales (ONS country codes), places the report's comparator
# area is made of; the report itself names only the jurisdiction.
NATIONS = (("england", "England", "E92000001"), ("wales", "Wales", "W92000004"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _source(base: Base, name: str) -> URIRef:
    return base.ID[f"source/{name}"]


def links_graph(base: Base) -> Graph:
    """Links from the graph's forces and places to Wikidata, ONS and data.police.uk."""
    g = Graph()
    hmic = base.HMIC
    for row in _rows(FORCES_CSV):
        force = base.ID[f"force/{row['slug']}"]
        area = base.ID[f"place/{row['slug']}-police-area"]
        g.add((force, hmic.policeUkSlug, Literal(row["slug"])))
        g.add((force, RDFS.seeAlso, URIRef(POLICE_UK + row["slug"])))
        if row["wikidata_qid"]:
            g.add((force, SKOS.exactMatch, WD[row["wikidata_qid"]]))
        if row["gss_pfa_code"]:
            g.add((area, hmic.gssCode, Literal(row["gss_pfa_code"])))
            g.add((area, SKOS.exactMatch, ONS[row["gss_pfa_code"]]))
    for slug, (gss, qid, _confidence) in PLACE_LINKS.items():
        place = base.ID[f"place/{slug}"]
        g.add((place, hmic.gssCode, Literal(gss)))
        g.add((place, SKOS.exactMatch, ONS[gss]))
        if qid:
            g.add((place, SKOS.exactMatch, WD[qid]))
    identifiers = _source(base, "external-identifiers")
    g.add((identifiers, RDF.type, PROV.Entity))
    g.add((identifiers, RDFS.label, Literal("Verified external identifiers", lang="en")))
    g.add((identifiers, DCTERMS.source, Literal("data/external/SOURCES.md")))
    district = base.ID["place/hinckley-and-bosworth"]
    g.add((district, RDF.type, hmic.LocalAuthorityArea))
    g.add((district, RDFS.label, Literal("Hinckley and Bosworth", lang="en")))
    g.add((district, hmic.gssCode, Literal("E07000132")))
    g.add((district, SKOS.exactMatch, ONS["E07000132"]))
    g.add((district, hmic.withinArea, base.ID["place/leicestershire"]))
    g.add((district, PROV.wasDerivedFrom, identifiers))
    g.add((base.ID["place/hinckley"], hmic.withinArea, district))
    for slug, name, gss in NATIONS:
        nation = base.ID[f"place/{slug}"]
        g.add((nation, RDF.type, hmic.Place))
        g.add((nation, RDFS.label, Literal(name, lang="en")))
        g.add((nation, hmic.gssCode, Literal(gss)))
        g.add((nation, SKOS.exactMatch, ONS[gss]))
        g.add((nation, hmic.withinArea, base.ID["place/england-and-wales"]))
        g.add((nation, PROV.wasDerivedFrom, identifiers))
    g.add((base.REPORT_IRI, DCTERMS.identifier, Literal("ISBN 978-1-78246-635-2")))
    g.add(
        (
            base.REPORT_IRI,
            RDFS.seeAlso,
            URIRef(
                "https://hmicfrs.justiceinspectorates.gov.uk/peel-assessments/peel-2014/leicestershire/"
            ),
        )
    )
    g.add((base.ID["inspection/crime-2014-leicestershire"], hmic.statutoryBasis, LEGISLATION))
    g.add((LEGISLATION, RDFS.label, Literal("Police Act 1996 (section 54)", lang="en")))
    return g


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def peel_graph(base: Base) -> Graph:
    """The 2014 crime-inspection grades of all 43 forces, each with its source and confidence."""
    g = Graph()
    hmic = base.HMIC
    conf = Namespace(f"{base.iri}def/confidence/")
    grade = Namespace(f"{base.iri}def/grade/")
    question = Namespace(f"{base.iri}def/question/")
    forces_csv, grades_csv = (
        _source(base, "police-forces-csv"),
        _source(base, "peel2014-grades-csv"),
    )
    for source, path, title in (
        (
            forces_csv,
            FORCES_CSV,
            "The 43 police forces of England and Wales with their identifiers",
        ),
        (grades_csv, GRADES_CSV, "PEEL 2014 crime-inspection grades of the 43 forces"),
    ):
        g.add((source, RDF.type, PROV.Entity))
        g.add((source, RDFS.label, Literal(title, lang="en")))
        g.add((source, DCTERMS.source, Literal(f"data/external/{path.name}")))
    programme = base.ID["programme/crime-inspection-2014"]
    slugs = {row["force"]: row["slug"] for row in _rows(FORCES_CSV)}
    for row in _rows(FORCES_CSV):
        force = base.ID[f"force/{row['slug']}"]
        area = base.ID[f"place/{row['slug']}-police-area"]
        label = _label_property(row["slug"])
        g.add((force, RDF.type, hmic.PoliceForce))
        g.add((force, label, Literal(row["force"], lang="en")))
        g.add((force, hmic.servesArea, area))
        g.add((force, PROV.wasDerivedFrom, forces_csv))
        g.add((area, RDF.type, hmic.PoliceForceArea))
        g.add((area, label, Literal(f"{row['force']} police force area", lang="en")))
        g.add((area, hmic.withinArea, base.ID["place/england-and-wales"]))
        g.add((area, PROV.wasDerivedFrom, forces_csv))
        if row["notes"]:
            g.add((force, hmic.sourceNote, Literal(row["notes"], lang="en")))
    for row in _rows(GRADES_CSV):
        slug = slugs.get(row["force"]) or _slugify(row["force"])
        force = base.ID[f"force/{slug}"]
        level, _, note = row["confidence"].partition(" ")
        source_url = URIRef(row["source_url"])
        disputed = _disputed_grades(note)
        inspection = base.ID[f"inspection/crime-2014-{slug}"]
        label = _label_property(slug)
        g.add((inspection, RDF.type, hmic.Inspection))
        g.add((inspection, label, Literal(f"Crime inspection 2014: {row['force']}", lang="en")))
        g.add((inspection, hmic.inspectedForce, force))
        g.add((inspection, hmic.partOfProgramme, programme))
        g.add((inspection, PROV.wasDerivedFrom, source_url))
        for column, qslug in QUESTIONS.items():
            judgment = base.ID[f"judgment/{slug}-2014/{qslug}"]
            g.add((judgment, RDF.type, hmic.Judgment))
            name = f"{row['force']}: {QUESTION_LABELS[qslug]} (PEEL 2014)"
            g.add((judgment, label, Literal(name, lang="en")))
            g.add((judgment, hmic.question, question[qslug]))
            g.add((judgment, hmic.judgedForce, force))
            g.add((judgment, hmic.inInspection, inspection))
            g.add((judgment, hmic.confidence, conf[level]))
            g.add((judgment, PROV.wasDerivedFrom, source_url))
            g.add((judgment, PROV.wasDerivedFrom, grades_csv))
            if note:
                g.add((judgment, hmic.sourceNote, Literal(note.strip("() "), lang="en")))
            stated = GRADE_CODES.get(row[column].lower()) if row[column] else None
            other = disputed.get(qslug)
            if stated is None:
                g.add((judgment, hmic.gradeStatus, hmic.Missing))
            elif other and other[0] != stated:
                g.add((judgment, hmic.gradeStatus, hmic.Disputed))
                _claim(g, base, judgment, "primary", grade[stated], source_url)
                _claim(g, base, judgment, "conflicting", grade[other[0]], URIRef(other[1]))
            else:
                g.add((judgment, hmic.grade, grade[stated]))
                g.add((judgment, hmic.gradeStatus, hmic.Agreed))
    return g


def _label_property(slug: str) -> URIRef:
    """The report's own force and what the report says of it keep the report's labels; the
    CSV's names for them become alternative labels."""
    return SKOS.altLabel if slug == REPORT_FORCE else RDFS.label


def _claim(
    g: Graph, base: Base, judgment: URIRef, name: str, grade: URIRef, source: URIRef
) -> None:
    claim = URIRef(f"{judgment}/claim/{name}")
    g.add((judgment, base.HMIC.gradeClaim, claim))
    g.add((claim, RDF.type, base.HMIC.GradeClaim))
    g.add((claim, RDFS.label, Literal(f"grade claimed by {source}", lang="en")))
    g.add((claim, base.HMIC.claimedGrade, grade))
    g.add((claim, PROV.wasDerivedFrom, source))


def _disputed_grades(note: str) -> dict[str, tuple[str, str]]:
    """Grades a conflicting source gives, parsed from a confidence note such as
    "(conflict: overview page https://… states RI/RI/good)"."""
    match = re.search(r"conflict: .*?(https?://\S+) states (\S+)", note)
    if not match:
        return {}
    url, grades = match.group(1), match.group(2).rstrip(")").split("/")
    return {
        qslug: (GRADE_CODES[g.lower()], url)
        for qslug, g in zip(QUESTIONS.values(), grades, strict=True)
    }
