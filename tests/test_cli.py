"""The ``kg`` command line: tables and formats, and one-line errors with a non-zero exit."""

from __future__ import annotations

import csv
import io
import json

from kg.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


QUERY = "SELECT ?grade WHERE { judgment:tackling-asb hmic:grade ?grade }"


def test_query_prints_a_table_with_project_prefixes(settings, capsys):
    code, out, _ = run(capsys, "query", QUERY)
    assert code == 0
    assert "https://w3id.org/hmic-kg/def/grade/good" in out
    assert "(1 row)" in out


def test_query_formats(settings, capsys):
    code, out, _ = run(capsys, "query", "--format", "csv", QUERY)
    assert code == 0
    assert list(csv.reader(io.StringIO(out)))[1] == ["https://w3id.org/hmic-kg/def/grade/good"]
    code, out, _ = run(capsys, "query", "--format", "json", QUERY)
    assert json.loads(out)["results"]["bindings"][0]["grade"]["value"].endswith("/grade/good")


def test_malformed_query_is_one_line_error(settings, capsys):
    code, out, err = run(capsys, "query", "SELECT ?x WHERE {")
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1


def test_validate_reports_valid(settings, capsys):
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.splitlines()[-1].startswith("valid:")
