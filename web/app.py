"""The Flask application factory: builds the app over one store chosen by the settings.

Reads settings (``kg.config``) and opens the store once; each feature is a blueprint in its
own module, registered here. Nothing is global: tests build as many apps as they like.
"""

from __future__ import annotations

from flask import Flask

from kg.config import Settings, load_settings
from kg.namespaces import Base
from kg.store import open_store
from kg.store.base import GraphStore


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> Flask:
    """Create the web application over ``store`` (opened from ``settings`` when omitted)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["BASE"] = Base(settings.base_iri)
    app.config["STORE"] = store if store is not None else open_store(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from web import blueprints
    from web.endpoint import fastlane
    from web.http import cache as http_cache

    http_cache.install(app)
    for blueprint in blueprints.all_blueprints():
        app.register_blueprint(blueprint)
    fastlane.install(app)
    return app
