"""Stage 1 of the pipeline: the report text (``data/source/``) parsed into its structure.

Reads the plain-text report and returns its sections, subsections, paragraphs, table rows and
footnotes with stable identifiers; :func:`report_graph` turns that outline into RDF. The text
is the source of record: every quote in ``data/`` is checked against the passages made here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kg.config import SOURCE_TEXT
from kg.namespaces import AUTHORED, Base

QUESTION_SLUGS = {
    "How effective is the force at reducing crime and preventing offending?": "reducing-crime",
    "How effective is the force at investigating offending?": "investigating-offending",
    "How effective is the force at tackling anti-social behaviour?": "tackling-asb",
}
TOP_HEADINGS = {
    "Contents": "contents",
    "How effective is the force at cutting crime?": "summary",
    "Introduction": "introduction",
    "Methodology": "methodology",
    "What each judgment means": "judgment-categories",
}
SUB_HEADINGS = {
    "Overall summary": "overall-summary",
    "Crime": "crime",
    "Meeting the needs of the community": "meeting-community-needs",
    "Quality of victim contact": "victim-contact",
    "Use of police tactics": "police-tactics",
    "Partnership working and information sharing": "partnership-information-sharing",
    "Domestic abuse": "domestic-abuse",
    "Recommendations": "recommendations",
    "Summary": "summary",
    "Vulnerability, risk and victims": "vulnerability-risk-victims",
    "Investigation": "investigation",
    "Tackling repeat and prolific offenders": "repeat-prolific-offenders",
    "Learning from experience": "learning-from-experience",
    "Community contact and victim care": "community-contact-victim-care",
    "Partnership working": "partnership-working",
    "Improving services to the public": "improving-services",
}
GRADE_WORDS = {"Outstanding", "Good", "Requires improvement", "Inadequate"}
# Two footnotes are printed without their superscript marker; they are known by their text.
UNMARKED_FOOTNOTES = {
    "A nationally agreed model to assist": 1,
    "Specialist police officers who work in communities": 2,
}
SUPERSCRIPTS = {"¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9}
# The phrase each footnote explains, as printed just before its marker (a superscript, or for
# footnote 4 a plain digit run into the word); :func:`footnote_markers` finds each one once.
FOOTNOTE_PHRASES = {
    1: "national decision making model",
    2: "PREVENT",
    3: "IOM",
    4: "dedicated patrol officers",
    5: "webinars",
}
BULLET = re.compile(r"^(?:[-·•\uf0b7]\s*)+")
INDENTED_ITEM = re.compile(r"^ [A-Z]")
TERMINAL = (".", "?", "!", ":", ";")


@dataclass
class Passage:
    """A quotable unit of the report: a paragraph, list item, table row or footnote."""

    kind: str  # paragraph | list-item | table-row | grade | front-matter | contents | footnote
    text: str
    section: str  # section path such as "reducing-crime/crime"
    number: int = 0  # paragraph number (footnotes: the footnote number)

    @property
    def local_id(self) -> str:
        """Path of the passage below the report IRI."""
        prefix = "footnote" if self.kind == "footnote" else "paragraph"
        return f"{prefix}/{self.number}"


@dataclass
class Section:
    """A section or subsection: its path, title and order."""

    path: str
    title: str
    number: int
    parent: str | None = None


@dataclass
class Report:
    """The parsed report."""

    sections: list[Section] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)

    def passage(self, local_id: str) -> Passage:
        """The passage with this local id (``paragraph/12``, ``footnote/3``)."""
        for p in self.passages:
            if p.local_id == local_id:
                return p
        raise KeyError(local_id)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in text.splitlines():
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _units(text: str) -> Iterator[tuple[str, str]]:
    """(raw-kind, text) units: list items split at bullets, wrapped lines joined."""
    for block in _blocks(text):
        items: list[tuple[str, list[str]]] = []
        for line in block:
            stripped = line.strip()
            if "\t" in line:
                items.append(("table", [line]))
            elif BULLET.match(stripped) and BULLET.sub("", stripped):
                items.append(("item", [BULLET.sub("", stripped)]))
            elif INDENTED_ITEM.match(line):  # the PDF's bullet glyph was lost, its indent kept
                items.append(("item", [stripped]))
            elif items and items[-1][0] != "table":
                items[-1][1].append(stripped)
            else:
                items.append(("text", [stripped]))
        for kind, lines in items:
            if kind == "table":
                yield "table", lines[0]
            else:
                yield kind, _normalise(" ".join(lines))


def _footnote_number(text: str) -> int | None:
    if text[:1] in SUPERSCRIPTS:
        return SUPERSCRIPTS[text[0]]
    for start, number in UNMARKED_FOOTNOTES.items():
        if text.startswith(start):
            return number
    return None


def parse_report(path: Path = SOURCE_TEXT) -> Report:
    """Parse the report text into sections and numbered passages."""
    report = Report()
    top: str | None = None
    sub: str | None = None
    summary_boxes: list[str] = []

    def open_section(slug: str, title: str, parent: str | None = None) -> str:
        path = f"{parent}/{slug}" if parent else slug
        if all(s.path != path for s in report.sections):
            report.sections.append(Section(path, title, len(report.sections) + 1, parent))
        return path

    top = open_section("front-matter", "Title page")
    pending_merge: Passage | None = None
    for raw_kind, text in _units(path.read_text(encoding="utf-8")):
        plain = text.strip()
        if raw_kind == "text" and plain in TOP_HEADINGS:
            top, sub = open_section(TOP_HEADINGS[plain], plain), None
            continue
        if raw_kind == "text" and plain in QUESTION_SLUGS:
            if top == "summary":
                summary_boxes.append(QUESTION_SLUGS[plain])
                continue
            top, sub = open_section(QUESTION_SLUGS[plain], plain), None
            continue
        if raw_kind == "text" and plain in SUB_HEADINGS:
            sub = open_section(SUB_HEADINGS[plain], plain, top)
            continue
        if raw_kind == "text" and plain in GRADE_WORDS:
            if top == "summary" and summary_boxes:
                slug = summary_boxes.pop(0)
                sub = open_section(slug, _title_of(slug), "summary")
            elif top in QUESTION_SLUGS.values() and not (sub or "").endswith("summary"):
                sub = open_section("summary", "Summary", top)
        section = sub or top or "front-matter"
        footnote = _footnote_number(plain)
        if footnote is not None:
            body = plain[1:].strip() if plain[:1] in SUPERSCRIPTS else plain
            report.passages.append(Passage("footnote", body, section, footnote))
            continue
        if raw_kind == "table":
            kind = "table-row"
            text = _normalise(text)
        elif top == "front-matter":
            kind = "front-matter"
        elif top == "contents":
            kind = "contents"
            text = _normalise(text)
        elif plain in GRADE_WORDS:
            kind = "grade"
        elif raw_kind == "item":
            kind = "list-item"
        else:
            kind = "paragraph"
        if pending_merge is not None and kind == "paragraph":
            pending_merge.text = f"{pending_merge.text} {text}"
            if not pending_merge.text.endswith(TERMINAL):
                continue
            pending_merge = None
            continue
        passage = Passage(kind, text, section, len(_numbered(report)) + 1)
        report.passages.append(passage)
        if kind == "paragraph" and len(text) > 60 and not _ends_sentence(text):
            pending_merge = passage
        else:
            pending_merge = None
    return report


@dataclass(frozen=True)
class FootnoteMarker:
    """Where a footnote's marker is: the passage and the phrase the marker follows."""

    footnote: int
    passage: str  # local id of the passage, e.g. "paragraph/153"
    phrase: str
    start: int  # offset of the phrase in the passage's text


def footnote_markers(report: Report) -> list[FootnoteMarker]:
    """The marker of every footnote in :data:`FOOTNOTE_PHRASES`; raises ValueError unless
    each phrase is followed by its marker in exactly one passage."""
    by_digit = {n: s for s, n in SUPERSCRIPTS.items()}
    out = []
    for number, phrase in sorted(FOOTNOTE_PHRASES.items()):
        marker = re.compile(re.escape(phrase) + f"(?:{by_digit[number]}|{number}(?!\\d))")
        hits = [(p, found.start()) for p in _numbered(report) for found in marker.finditer(p.text)]
        if len(hits) != 1:
            raise ValueError(f"footnote {number}: {len(hits)} markers after {phrase!r}")
        passage, start = hits[0]
        out.append(FootnoteMarker(number, passage.local_id, phrase, start))
    return out


def _ends_sentence(text: str) -> bool:
    """Does the text end a sentence? A closing web address counts as an end."""
    last = text.rsplit(" ", 1)[-1]
    return text.endswith(TERMINAL) or "/" in last or last.startswith("www.")


def _numbered(report: Report) -> list[Passage]:
    return [p for p in report.passages if p.kind != "footnote"]


def _title_of(slug: str) -> str:
    return next(title for title, s in QUESTION_SLUGS.items() if s == slug)


def report_graph(report: Report, base: Base = AUTHORED, report_iri: URIRef | None = None) -> Graph:
    """The report's structure as RDF: report → sections → passages, with their text. Sections
    and passages are named below ``report_iri`` (by default the project's own report), so
    every report of a corpus gets identifiers of its own."""
    hmic = base.HMIC
    g = Graph()
    report_iri = report_iri if report_iri is not None else base.REPORT_IRI
    rep = Namespace(str(report_iri) + "/")
    for section in report.sections:
        s = URIRef(rep["section/" + section.path])
        g.add((s, RDF.type, hmic.Subsection if section.parent else hmic.Section))
        g.add((s, RDFS.label, Literal(section.title, lang="en")))
        g.add((s, DCTERMS.title, Literal(section.title, lang="en")))
        g.add((s, hmic.sequenceNumber, Literal(section.number, datatype=XSD.integer)))
        parent = URIRef(rep["section/" + section.parent]) if section.parent else report_iri
        g.add((s, DCTERMS.isPartOf, parent))
        g.add((s, hmic.inReport, report_iri))
    kinds = {
        "paragraph": hmic.Paragraph,
        "list-item": hmic.ListItem,
        "table-row": hmic.TableRow,
        "grade": hmic.GradeStatement,
        "front-matter": hmic.FrontMatter,
        "contents": hmic.ContentsEntry,
        "footnote": hmic.Footnote,
    }
    for p in report.passages:
        node = URIRef(rep[p.local_id])
        g.add((node, RDF.type, kinds[p.kind]))
        label = f"Footnote {p.number}" if p.kind == "footnote" else f"Paragraph {p.number}"
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, hmic.text, Literal(p.text, lang="en")))
        g.add((node, hmic.sequenceNumber, Literal(p.number, datatype=XSD.integer)))
        g.add((node, DCTERMS.isPartOf, URIRef(rep["section/" + p.section])))
        g.add((node, hmic.inReport, report_iri))
    for marker in footnote_markers(report):
        footnote = URIRef(rep[f"footnote/{marker.footnote}"])
        g.add((footnote, hmic.footnoteTo, URIRef(rep[marker.passage])))
        g.add((footnote, hmic.annotatedPhrase, Literal(marker.phrase, lang="en")))
    return g


def main() -> None:  # pragma: no cover - a development aid: python -m kg.report
    """Print the outline: one line per passage, with its id and section."""
    report = parse_report()
    for section in report.sections:
        print(f"## section/{section.path}  ({section.title})")
        for p in report.passages:
            if p.section == section.path:
                print(f"  {p.local_id:14} [{p.kind}] {p.text}")


if __name__ == "__main__":  # pragma: no cover
    main()
