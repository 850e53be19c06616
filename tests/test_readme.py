"""The README's promises hold: its two set-up commands are the Makefile's, CI runs the test
command, and its ``kg query`` example answers."""

from __future__ import annotations

import re
import shlex

from kg.cli import main
from kg.config import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quickstart_is_two_make_commands_that_exist():
    block = re.search(r"## Quickstart.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make serve", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^serve:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_exactly_the_readme_test_command():
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in lines


def test_readme_query_example_runs(settings, capsys):
    command = re.search(r'^(kg query ".*?")$', README, re.M | re.S).group(1)
    argv = shlex.split(command)[1:]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count(" good") == 3 and "(3 rows)" in out
