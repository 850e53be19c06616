"""The forces page: the 2014 crime-inspection grades of all 43 forces of England and Wales, in a
table filterable by question and grade, with the distribution of grades per question drawn as
a server-rendered SVG chart.

Reads two queries (``forces``, over the ``peel2014`` graph, and ``reports``: how many of the
dataset's reports are on each force, linked to the force's page that lists them) and the
cached ontology (names and ranks of grades and questions); writes nothing. Filtering works
without JavaScript (the form is a GET and rows that do not match carry ``hidden``) and, with
the small script ``forces.js``, as you change the selection. Data quality is shown, never
resolved: a disputed judgment shows each source's grade, a missing one says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Response, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node
from werkzeug.exceptions import BadRequest

from web.data import access
from web.model.svg import BarChart, grouped_bars

bp = Blueprint("forces", __name__)
SCRIPT = Path(__file__).resolve().parent.parent / "templates" / "forces" / "forces.js"
QUESTIONS = ("reducing-crime", "investigating-offending", "tackling-asb")
GRADES = ("outstanding", "good", "requires-improvement", "inadequate")
STATUSES = ("disputed", "missing")
STATUS_LABELS = {"disputed": "disputed between sources", "missing": "no grade found"}


@dataclass
class Cell:
    """One force's judgment on one question."""

    judgment: str  # link to the judgment's page
    status: str  # "agreed", "disputed" or "missing"
    grade: str = ""  # grade code when agreed
    label: str = ""  # grade label when agreed
    claims: list[tuple[str, str]] = field(default_factory=list)  # (grade label, source URL)

    @property
    def key(self) -> str:
        """What the filter compares: the grade code, or the status when there is no grade."""
        return self.grade if self.status == "agreed" else self.status


@dataclass
class ForceRow:
    """One force in the table."""

    name: str
    href: str
    gss: str
    confidence: str
    note: str
    cells: dict[str, Cell] = field(default_factory=dict)
    shown: bool = True
    reports: int = 0  # reports on this force in the dataset


@dataclass
class Vocabulary:
    """Labels of the grades and questions, from the ontology."""

    grades: dict[str, str]  # code → label
    questions: dict[str, str]  # code → short label


def vocabulary(ontology: Graph) -> Vocabulary:
    """Grade and question labels from the code lists (codes are the IRIs' last segments)."""
    base = access.base().iri
    grades, questions = {}, {}
    for code in GRADES:
        label = ontology.value(URIRef(f"{base}def/grade/{code}"), SKOS.prefLabel)
        grades[code] = str(label) if label is not None else code
    for code in QUESTIONS:
        concept = URIRef(f"{base}def/question/{code}")
        label = ontology.value(concept, SKOS.altLabel) or ontology.value(concept, SKOS.prefLabel)
        questions[code] = str(label) if label is not None else code
    return Vocabulary(grades, questions)


def _code(node: Node | None) -> str:
    return str(node).rstrip("/").rsplit("/", 1)[-1] if node is not None else ""


def force_rows(rows: list[dict[str, Node]], vocab: Vocabulary) -> list[ForceRow]:
    """The rows of the ``forces`` query grouped into one table row per force, by name."""
    iris = access.iris()
    forces: dict[str, ForceRow] = {}
    for row in rows:
        force = str(row["force"])
        if force not in forces:
            forces[force] = ForceRow(
                name=str(row.get("name") or iris.short_name(force)),
                href=iris.href(force),
                gss=str(row.get("gss") or ""),
                confidence=_code(row.get("confidence")),
                note=str(row.get("note") or ""),
            )
        question = _code(row["question"])
        if question not in QUESTIONS:
            continue
        status = _code(row["status"]).lower()
        cell = forces[force].cells.setdefault(
            question, Cell(judgment=iris.href(str(row["judgment"])), status=status)
        )
        if row.get("grade") is not None and status == "agreed":
            cell.grade = _code(row["grade"])
            cell.label = vocab.grades.get(cell.grade, cell.grade)
        if row.get("claimed") is not None:
            claim = (
                vocab.grades.get(_code(row["claimed"]), _code(row["claimed"])),
                str(row.get("claimSource") or ""),
            )
            if claim not in cell.claims:
                cell.claims.append(claim)
                cell.claims.sort()
    for force in forces.values():  # the questions' own order, whatever order rows came in
        force.cells = {q: force.cells[q] for q in QUESTIONS if q in force.cells}
    return sorted(forces.values(), key=lambda f: f.name)


def matches(force: ForceRow, question: str | None, grade: str | None) -> bool:
    """Whether the force's judgment on ``question`` (any question when None) is ``grade``
    (a grade code, ``disputed`` or ``missing``; anything when None)."""
    if grade is None:
        return True
    asked = [question] if question else list(QUESTIONS)
    return any(force.cells[q].key == grade for q in asked if q in force.cells)


def distribution(forces: list[ForceRow]) -> dict[str, dict[str, int]]:
    """For each question, how many forces have each grade, or a disputed or missing one."""
    counts: dict[str, dict[str, int]] = {q: defaultdict(int) for q in QUESTIONS}
    for force in forces:
        for question, cell in force.cells.items():
            counts[question][cell.key] += 1
    return {q: {k: counts[q].get(k, 0) for k in (*GRADES, *STATUSES)} for q in QUESTIONS}


def chart(counts: dict[str, dict[str, int]], vocab: Vocabulary) -> BarChart:
    """The distribution as a grouped bar chart: one group per question, one bar per grade."""
    series: list[tuple[str, str, list[float | None]]] = [
        (vocab.grades[g], f"grade-{g}", [float(counts[q][g]) for q in QUESTIONS]) for g in GRADES
    ]
    series += [
        (STATUS_LABELS[s], f"grade-{s}", [float(counts[q][s]) for q in QUESTIONS]) for s in STATUSES
    ]
    laid_out = grouped_bars(
        "Grades of the 43 forces per question, 2014",
        "forces",
        [vocab.questions[q] for q in QUESTIONS],
        series,
    )
    # Six legend entries do not fit right of the category labels: start them at the left edge.
    shift = laid_out.plot_left - 8
    laid_out.legend = [(css, name, x - shift) for css, name, x in laid_out.legend]
    return laid_out


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name, "")
    if value == "":
        return None
    if value not in allowed:
        raise BadRequest(f"{name} must be one of: {', '.join(allowed)}")
    return value


@bp.get("/forces")
def index() -> str:
    """The table of forces and grades, filtered by ``?question=`` and ``?grade=``."""
    question = _choice("question", QUESTIONS)
    grade = _choice("grade", (*GRADES, *STATUSES))
    vocab = vocabulary(access.ontology())
    rows = access.select("forces", peel=access.graph_iri("peel2014"))
    forces = force_rows(rows, vocab)
    per_force: dict[str, set[str]] = defaultdict(set)
    for row in access.select("reports"):
        per_force[access.iris().href(str(row["force"]))].add(str(row["report"]))
    for force in forces:
        force.shown = matches(force, question, grade)
        force.reports = len(per_force.get(force.href, ()))
    counts = distribution(forces)
    return render_template(
        "forces/index.html",
        title="Forces and grades, 2014",
        forces=forces,
        shown=sum(f.shown for f in forces),
        question=question,
        grade=grade,
        questions=QUESTIONS,
        grades=GRADES,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        vocab=vocab,
        counts=counts,
        chart=chart(counts, vocab),
        disputed=[f for f in forces if any(c.status == "disputed" for c in f.cells.values())],
        missing=[f for f in forces if any(c.status == "missing" for c in f.cells.values())],
    )


@bp.get("/forces/forces.js")
def script() -> Response:
    """The progressive-enhancement script of the forces page (filters as you choose)."""
    response = Response(SCRIPT.read_bytes(), mimetype="text/javascript")
    response.cache_control.max_age = 3600
    return response
