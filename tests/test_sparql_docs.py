"""Every example in docs/sparql.md runs against a live server: each ``curl`` command (with
``http://localhost:5000`` replaced by the server's address) must answer the status it expects
(200 unless it says ``# expect: …``) and contain each line of the ``output`` block under it;
the Python example runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "sparql.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
PLACEHOLDER = "http://localhost:5000"


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def _examples() -> list[tuple[str, int, list[str]]]:
    blocks = _blocks()
    found = []
    for i, (kind, text) in enumerate(blocks):
        if kind != "sh" or "curl " not in text:
            continue
        expect = re.search(r"^# expect: (\d{3})$", text, re.MULTILINE)
        command = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        output = blocks[i + 1][1] if i + 1 < len(blocks) and blocks[i + 1][0] == "output" else ""
        lines = [line for line in output.splitlines() if line.strip()]
        found.append((command, int(expect.group(1)) if expect else 200, lines))
    return found


def test_the_doc_has_examples():
    assert len(_examples()) >= 8
    assert any(kind == "python" for kind, _ in _blocks())


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(("command", "status", "lines"), _examples())
def test_curl_example(live_server, command, status, lines):
    script = command.replace(PLACEHOLDER, live_server).rstrip() + " -w '\\n%{http_code}'"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    body, _, code = done.stdout.rpartition("\n")
    assert int(code) == status, body[:500]
    for line in lines:
        assert line in body, body[:500]


def test_python_example(live_server):
    code = next(text for kind, text in _blocks() if kind == "python")
    exec(compile(code.replace(PLACEHOLDER, live_server), str(DOC), "exec"), {})
