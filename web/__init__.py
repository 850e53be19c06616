"""Stage 5 of the pipeline: serve the built graph over HTTP (SPARQL endpoint and browser).

Use :func:`web.app.create_app`; there is no module-level application object.
"""

from web.app import create_app

__all__ = ["create_app"]
