"""A store wrapper for tests that count the queries an app sends (a page's cost in
queries, a 304 that runs none)."""

from __future__ import annotations

from typing import Any


class CountingStore:
    """The real store, counting the queries that reach it in :attr:`calls`."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._store.query(*args, **kwargs)

    def query_raw(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._store.query_raw(*args, **kwargs)

    def close(self) -> None:
        """The session's store is closed by its fixture."""
