"""Project settings: read once from ``pyproject.toml`` ``[tool.hmic-kg]``, overridable by
``HMIC_KG_*`` environment variables. Nothing else in the code reads configuration files."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
SOURCE_TEXT = DATA_DIR / "source" / "hmic-crime-inspection-2014-leicestershire.txt"


@dataclass(frozen=True)
class Settings:
    """All tunable settings of the project, with their defaults."""

    base_iri: str = "https://w3id.org/hmic-kg/"
    output_dir: Path = ROOT / "out"
    store: str = "embedded"
    remote_query_endpoint: str = ""
    remote_store_endpoint: str = ""
    remote_timeout: float = 10.0
    query_timeout: float = 10.0
    result_limit: int = 2000000
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    query_workers: int = 2
    query_store: str = "auto"
    max_query_length: int = 131072
    max_body_size: int = 1048576
    max_query_nesting: int = 64
    max_query_chain: int = 256
    query_memory_limit: int = 2048
    result_cache_entries: int = 256
    http_max_age: int = 60

    @property
    def dataset_dir(self) -> Path:
        """The folder of the current build (a symlink swapped atomically by ``kg build``)."""
        return self.output_dir / "current"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (used by tests and the CLI)."""
        return replace(self, **changes)


_CASTS = {
    "output_dir": lambda v: (ROOT / v) if not Path(v).is_absolute() else Path(v),
    "remote_timeout": float,
    "query_timeout": float,
    "result_limit": int,
    "query_workers": int,
    "max_query_length": int,
    "max_body_size": int,
    "max_query_nesting": int,
    "max_query_chain": int,
    "query_memory_limit": int,
    "result_cache_entries": int,
    "http_max_age": int,
    "service_allowlist": lambda v: tuple(v if isinstance(v, list) else json.loads(v)),
}


def load_settings(pyproject: Path = ROOT / "pyproject.toml", **overrides: Any) -> Settings:
    """Settings from ``pyproject.toml``, then the environment, then ``overrides``."""
    values: dict[str, Any] = {}
    if pyproject.exists():
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        for key, value in table.get("tool", {}).get("hmic-kg", {}).items():
            values[key.replace("-", "_")] = value
    for name in Settings.__dataclass_fields__:
        env = os.environ.get("HMIC_KG_" + name.upper())
        if env is not None:
            values[name] = env
    values.update(overrides)
    unknown = set(values) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    for name, cast in _CASTS.items():
        if name in values and values[name] is not None:
            values[name] = cast(values[name])
    if not str(values.get("base_iri", Settings.base_iri)).endswith("/"):
        raise ValueError("base-iri must end with '/'")
    return Settings(**values)
