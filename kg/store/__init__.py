"""Stage 4 of the pipeline: query the built dataset through one small interface.

:func:`open_store` picks the backend named by the ``store`` setting: ``embedded`` (the
default, the release's read-only Oxigraph store ``out/current/store/``) or ``remote`` (any
SPARQL 1.1 server, through SPARQLWrapper).
"""

from __future__ import annotations

from kg.config import Settings
from kg.store.base import GraphStore


def open_store(settings: Settings) -> GraphStore:
    """The store the settings ask for."""
    if settings.store == "embedded":
        from kg.store.embedded import EmbeddedStore

        return EmbeddedStore(settings.dataset_dir / "dataset.nq", settings=settings)
    if settings.store == "remote":
        from kg.store.remote import RemoteStore

        return RemoteStore(settings)
    raise ValueError(f"unknown store backend {settings.store!r} (use 'embedded' or 'remote')")
