"""Shared fixtures: the real dataset built once per test session, a store, the app, a
live HTTP server on an ephemeral 127.0.0.1 port, and real Oxigraph servers (loaded with
``kg load``) for the remote backend."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from client_backends import backend, remote_client  # noqa: F401 (fixtures: one client per backend)
from virtuoso_server import virtuoso_endpoint, virtuoso_server, virtuoso_store  # noqa: F401
from werkzeug.serving import make_server

from kg.config import ROOT, Settings, load_settings
from kg.pipeline.build import build
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
    st = EmbeddedStore(settings.dataset_dir / "dataset.nq", settings=settings)
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


# -- External SPARQL servers for the remote backend (kg.store.remote) -------------------------


class OxigraphServer:
    """An in-memory ``oxigraph serve`` process on 127.0.0.1 and a free port."""

    def __init__(self, *options: str) -> None:
        binary = Path(sys.executable).with_name("oxigraph")
        for _attempt in range(5):  # a port freed for us may be taken again before we bind it
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            self.process = subprocess.Popen(
                [str(binary), "serve", "--bind", f"127.0.0.1:{port}", *options],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert self.process.stderr is not None
            first = self.process.stderr.readline()  # printed once the socket is bound
            if first.startswith("Listening"):
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                self.url = f"http://127.0.0.1:{port}"
                self.query_url, self.store_url = f"{self.url}/query", f"{self.url}/store"
                return
            self.process.wait(timeout=10)
        raise RuntimeError(f"oxigraph serve did not start: {first}")

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[Callable[..., OxigraphServer]]:
    """A factory of Oxigraph servers (extra ``oxigraph serve`` options as arguments); every
    server it started is stopped at the end of the session."""
    started: list[OxigraphServer] = []

    def start(*options: str) -> OxigraphServer:
        started.append(OxigraphServer(*options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def remote_endpoint(settings: Settings, oxigraph_server) -> str:
    """The query endpoint of an Oxigraph server holding the built dataset, uploaded by the
    real ``kg load`` command."""
    server = oxigraph_server()
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "load", "--endpoint", server.query_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return server.query_url


@pytest.fixture(scope="session")
def remote_store(settings: Settings, remote_endpoint: str):
    """The remote backend over that server."""
    from kg.store.remote import RemoteStore

    return RemoteStore(settings.with_(store="remote", remote_query_endpoint=remote_endpoint))
