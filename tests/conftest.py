"""Shared fixtures: the real dataset built once per test session, a store, the app and a
live HTTP server on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kg.build.pipeline import build
from kg.config import ROOT, Settings, load_settings
from kg.store.embedded import EmbeddedStore

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings of the real build in ``out/`` (rebuilt only if a source changed)."""
    s = load_settings(ROOT / "pyproject.toml", output_dir=ROOT / "out")
    build(s, log=lambda _msg: None)
    return s


@pytest.fixture(scope="session")
def store(settings: Settings) -> Iterator[EmbeddedStore]:
    """The embedded store over the built dataset."""
    st = EmbeddedStore(settings.dataset_dir / "dataset.nq")
    yield st
    st.close()


@pytest.fixture(scope="session")
def app(settings: Settings, store: EmbeddedStore):
    """The web application over the embedded store."""
    from web.app import create_app

    application = create_app(settings, store=store)
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 and an ephemeral port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
