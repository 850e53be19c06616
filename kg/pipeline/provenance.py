"""Build stage "provenance": check every quote against the passages it cites, and describe
each (fact, quote) pair as a W3C Web Annotation with quote and position selectors (named in
the fact's own namespace, so a synthetic report's annotations are synthetic too).

Reads the asserted graph (facts with ``hmic:statedIn`` / ``hmic:quote`` and passages with
``hmic:text``); returns the annotations graph. A quote not found in any of its subject's
passages fails the build, naming the file, the subject and the quote. Each annotation is
also the fact's evidence node, reachable in one step: ``fact hmic:evidence ann`` with
``ann hmic:fromPassage passage ; hmic:exactQuote quote``. The graph also holds the derived
``hmic:mentionedIn`` and ``hmic:under`` links (:mod:`kg.pipeline.mentions`).
"""

from __future__ import annotations

import hashlib

from rdflib import RDF, XSD, Graph, Literal, URIRef

from kg.namespaces import OA, Base
from kg.pipeline.encode import id_namespace
from kg.pipeline.errors import BuildError
from kg.pipeline.mentions import mentions

CONTEXT = 32


def annotations(asserted: Graph, base: Base, origin: dict[URIRef, str]) -> Graph:
    """Check quotes and return one ``oa:Annotation`` per (fact, quote)."""
    hmic = base.HMIC
    texts = {p: str(t) for p, t in asserted.subject_objects(hmic.text)}
    out = Graph()
    out.bind("oa", OA)
    problems: list[str] = []
    for subject in sorted(set(asserted.subjects(hmic.quote))):
        passages = sorted(asserted.objects(subject, hmic.statedIn))
        where = origin.get(subject, "?")  # type: ignore[call-overload]
        if not passages:
            problems.append(f"{where}: {subject}: has hmic:quote but no hmic:statedIn passage")
            continue
        missing = [p for p in passages if p not in texts]
        for p in missing:
            problems.append(f"{where}: {subject}: hmic:statedIn {p} is not a passage of the report")
        for quote in sorted(str(q) for q in asserted.objects(subject, hmic.quote)):
            hit = next(
                ((p, texts[p].find(quote)) for p in passages if quote in texts.get(p, "")), None
            )
            if not quote.strip() or hit is None:
                shown = ", ".join(
                    str(p).rsplit("/", 2)[-2] + "/" + str(p).rsplit("/", 1)[-1] for p in passages
                )
                problems.append(
                    f"{where}: {subject}: quote not found in its passages ({shown}): {quote!r}"
                )
                continue
            passage, start = hit
            _annotate(out, base, subject, passage, texts[passage], quote, start)
    if problems:
        raise BuildError(
            f"provenance check failed ({len(problems)} problem(s)):\n  " + "\n  ".join(problems)
        )
    out += mentions(asserted, base)
    return out


def _annotate(
    out: Graph, base: Base, subject: URIRef, passage: URIRef, text: str, quote: str, start: int
) -> None:
    digest = hashlib.sha1(f"{subject}\n{quote}".encode(), usedforsecurity=False).hexdigest()[:16]
    ann = URIRef(f"{id_namespace(base, subject)}annotation/{digest}")
    target = URIRef(f"{ann}/target")
    by_quote = URIRef(f"{ann}/quote")
    by_position = URIRef(f"{ann}/position")
    out.add((ann, RDF.type, OA.Annotation))
    out.add((ann, OA.motivatedBy, OA.describing))
    out.add((ann, OA.hasBody, subject))
    out.add((ann, OA.hasTarget, target))
    out.add((subject, base.HMIC.evidence, ann))
    out.add((ann, base.HMIC.fromPassage, passage))
    out.add((ann, base.HMIC.exactQuote, Literal(quote)))
    out.add((target, RDF.type, OA.SpecificResource))
    out.add((target, OA.hasSource, passage))
    out.add((target, OA.hasSelector, by_quote))
    out.add((target, OA.hasSelector, by_position))
    out.add((by_quote, RDF.type, OA.TextQuoteSelector))
    out.add((by_quote, OA.exact, Literal(quote)))
    out.add((by_quote, OA.prefix, Literal(text[max(0, start - CONTEXT) : start])))
    out.add((by_quote, OA.suffix, Literal(text[start + len(quote) : start + len(quote) + CONTEXT])))
    out.add((by_position, RDF.type, OA.TextPositionSelector))
    out.add((by_position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    out.add((by_position, OA.end, Literal(start + len(quote), datatype=XSD.nonNegativeInteger)))
