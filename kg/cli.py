"""The ``kg`` command line: a thin layer over the library (build, validate, query, serve).

Every failure is reported as ``error: <reason>`` on standard error with a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.config import load_settings
from kg.pipeline.errors import BuildError
from kg.store.base import QuerySyntaxError, StoreError


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline.build import build

    build(load_settings(), force=args.force, corpus_dir=args.corpus)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from kg.namespaces import Base
    from kg.pipeline.build import BuildReport, assemble

    graphs = assemble(Base(load_settings().base_iri), BuildReport())
    print(f"valid: {sum(len(g) for g in graphs.values()):,} triples in {len(graphs)} graphs")
    return 0


def _query(args: argparse.Namespace) -> int:
    from kg.sparql.errors import explained
    from kg.sparql.prefixes import predeclared
    from kg.store import open_store

    settings = load_settings()
    store = open_store(settings)
    table = predeclared(settings.base_iri)  # passed to the engine: positions stay the user's
    try:
        if args.format in ("csv", "json", "tsv"):
            raw = store.query_raw(args.sparql, args.format, prefixes=table)
            if raw.kind == "graph":
                raw = store.query_raw(args.sparql, "turtle", prefixes=table)
            sys.stdout.write(raw.body.decode("utf-8"))
            return 0
        result = store.query(args.sparql, prefixes=table)
    except QuerySyntaxError as exc:  # two lines: where and what, then a hint
        print("error: " + explained(exc, args.sparql, table).problem.text(), file=sys.stderr)
        return 1
    finally:
        store.close()
    if result.kind == "ask":
        print("true" if result.boolean else "false")
    elif result.kind == "graph":
        assert result.graph is not None
        sys.stdout.write(result.graph.serialize(format="turtle"))
    else:
        print(
            format_table(
                result.variables,
                [[str(r.get(v, "")) for v in result.variables] for r in result.rows],
            )
        )
    return 0


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _serve(args: argparse.Namespace) -> int:
    from kg.serve import serve

    serve(load_settings(), host=args.host, port=args.port, workers=args.workers)
    return 0


def _load(args: argparse.Namespace) -> int:
    from kg.load import load

    load(
        load_settings(),
        args.endpoint,
        args.graph_store,
        nquads=args.nquads,
        default_graph=not args.no_default_graph,
        check_only=args.check_only,
    )
    return 0


def _prefixes(args: argparse.Namespace) -> int:
    import pyoxigraph as ox

    from kg.namespaces import missing_prefixes

    settings = load_settings()
    dataset = settings.dataset_dir / "dataset.nq"
    names = {
        term.value
        for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS)
        for term in (quad.subject, quad.object)
        if isinstance(term, ox.NamedNode)
    }
    missing = missing_prefixes(names, settings.base_iri)
    for namespace, name in sorted(missing.items()):
        print(f'    [ sh:prefix "{name}" ; sh:namespace "{namespace}"^^xsd:anyURI ] ,')
    if missing:
        print(f"{len(missing)} namespace(s) without a prefix: add them to ontology/prefixes.ttl")
        return 1
    print("every IRI of the build has a plain prefixed name")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kg`` command."""
    p = argparse.ArgumentParser(prog="kg", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="encode, reason, validate and write the dataset")
    b.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    b.add_argument(
        "--corpus",
        type=Path,
        default=None,
        metavar="DIR",
        help="also build the reports of this corpus folder (e.g. from bench/corpus.py)",
    )
    b.set_defaults(func=_build)
    v = sub.add_parser("validate", help="check the sources without writing anything")
    v.set_defaults(func=_validate)
    q = sub.add_parser("query", help="run a SPARQL query over the built dataset")
    q.add_argument("sparql")
    q.add_argument("--format", choices=["table", "csv", "json", "tsv"], default="table")
    q.set_defaults(func=_query)
    pf = sub.add_parser("prefixes", help="list namespaces of the build that have no prefix")
    pf.set_defaults(func=_prefixes)
    s = sub.add_parser("serve", help="serve the browser and SPARQL endpoint")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5000)
    s.add_argument("--workers", type=int, default=2)
    s.set_defaults(func=_serve)
    ld = sub.add_parser("load", help="upload the built dataset to a SPARQL 1.1 server")
    ld.add_argument("--endpoint", required=True, help="the server's SPARQL query endpoint")
    ld.add_argument("--graph-store", help="its Graph Store Protocol endpoint (if not derivable)")
    ld.add_argument("--nquads", action="store_true", help="POST one N-Quads file (Oxigraph)")
    ld.add_argument(
        "--no-default-graph", action="store_true", help="do not write the merge as default graph"
    )
    ld.add_argument("--check-only", action="store_true", help="only compare the triple counts")
    ld.set_defaults(func=_load)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kg`` console script."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BuildError as exc:  # a summary line, then one line per problem
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (StoreError, ValueError, OSError) as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
