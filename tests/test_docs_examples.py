"""The example scripts in docs/examples/ run, as scripts, over the built graph and over a real
Oxigraph server loaded with ``kg load``, print the same answers on both, and the answers are
the ones the data holds (so the examples never rot)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
EXPECTED = {
    "below_leicestershire": [
        "18 forces were graded below Leicestershire on investigating offending:",
        "  Bedfordshire         requires-improvement",
        "  West Yorkshire       requires-improvement",
    ],
    "grade_distribution": [
        "Investigating offending (43 forces)",
        "  requires improvement    18  ##################",
        "  (disputed)               1  #",
        "Tackling anti-social behaviour (43 forces)",
        "  (missing)                1  #",
    ],
    "leicestershire_vs_england_and_wales": [
        "measure                                       E23000021  K04000001   diff",
        "crime rate (excluding fraud)                         59       60.7   -1.7"
        "  (12 months to June 2014)",
    ],
}


def _run(script: Path, args: list[str], capsys, monkeypatch) -> str:
    monkeypatch.setattr(sys, "argv", [str(script), *args])
    runpy.run_path(str(script), run_name="__main__")
    return capsys.readouterr().out


def test_every_example_is_checked():
    assert sorted(p.stem for p in SCRIPTS) == sorted(EXPECTED)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_example_over_the_built_graph(script, settings, capsys, monkeypatch):
    out = _run(script, [], capsys, monkeypatch)
    for line in EXPECTED[script.stem]:
        assert line in out.splitlines(), f"{script.name}: missing {line!r} in\n{out}"


@pytest.mark.external
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_example_over_a_sparql_server(script, settings, remote_endpoint, capsys, monkeypatch):
    local = _run(script, [], capsys, monkeypatch)
    remote = _run(script, [remote_endpoint], capsys, monkeypatch)
    assert remote == local
