"""Make a release current by hand, as ``kg build`` does, for tests of what a new release
changes (HTTP validators, the nginx cache)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def make_current(source: Path, output_dir: Path, name: str) -> Path:
    """A release folder ``name`` holding the files of ``source`` (hard links when possible),
    made current by swapping the ``current`` link as ``kg build`` does."""
    target = output_dir / "releases" / name
    target.mkdir(parents=True)
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)
    swap = output_dir / "current.new"
    swap.symlink_to(target.relative_to(output_dir))
    swap.replace(output_dir / "current")
    return target
