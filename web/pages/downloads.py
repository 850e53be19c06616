"""The downloads page: the built dataset's dump files, listed with their sizes and formats and
linked at the addresses the dataset's own metadata gives them (``<base>download/{name}``):
the whole dataset in N-Quads, TriG and JSON-LD, and each named graph in Turtle and N-Triples.
The files themselves are served by :mod:`web.pages.joining`.

Reads the file listing of ``settings.dataset_dir`` (only names matching a fixed pattern are
listed); writes nothing. With a remote store there may be no local build: the page says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, render_template

from web.data import access

bp = Blueprint("downloads", __name__)
DATASET_FILE = re.compile(r"^(dataset\.(nq|trig|jsonld)|stats\.json)$")
GRAPH_FILE = re.compile(r"^[a-z0-9][a-z0-9-]*\.(ttl|nt)$")
MEDIA = {
    "nq": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "json": "application/json",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
}


@dataclass
class Dump:
    """One downloadable file: its public name, size and media type."""

    name: str
    size: int
    media_type: str


def location(folder: Path, name: str) -> Path | None:
    """Where the file published as ``name`` lives in a build folder, or None."""
    if DATASET_FILE.match(name):
        path = folder / name
    elif GRAPH_FILE.match(name):
        path = folder / "dumps" / name
    else:
        return None
    return path if path.is_file() else None


def dumps(folder: Path) -> list[Dump]:
    """The published files of a build folder: the whole dataset first, then each graph."""
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if DATASET_FILE.match(p.name)]
    if (folder / "dumps").is_dir():
        names += [p.name for p in (folder / "dumps").iterdir() if GRAPH_FILE.match(p.name)]
    found = []
    for name in sorted(names, key=lambda n: (not n.startswith("dataset."), n)):
        path = location(folder, name)
        if path is not None:
            found.append(Dump(name, path.stat().st_size, MEDIA[name.rsplit(".", 1)[-1]]))
    return found


@bp.get("/download")
def index() -> str:
    """The list of downloads."""
    return render_template(
        "downloads.html", title="Downloads", dumps=dumps(access.settings().dataset_dir)
    )
