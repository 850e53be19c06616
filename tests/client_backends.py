"""Fixtures for endpoint tests that run once per backend through the app: the Flask client
over the embedded store, and one over the remote store on a real ``oxigraph serve``.
Imported by the test modules that use them (``from client_backends import …``)."""

from __future__ import annotations

import pytest

from web.app import create_app


@pytest.fixture(scope="module")
def remote_client(settings, remote_store):
    """A Flask client of the app over the remote store."""
    application = create_app(settings.with_(store="remote"), store=remote_store)
    application.config["TESTING"] = True
    return application.test_client()


@pytest.fixture(params=["embedded", pytest.param("remote", marks=pytest.mark.external)])
def backend(request, client):
    """The client under test (each test runs once per backend)."""
    return client if request.param == "embedded" else request.getfixturevalue("remote_client")
