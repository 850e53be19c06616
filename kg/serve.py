"""``kg serve``: the web app under gunicorn (a production WSGI server).

Reads the settings; serves the browser and the SPARQL endpoint until stopped, logging one
line per request with its status and time.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from kg.config import Settings

ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web.app import create_app

        return create_app(self.settings)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 5000, workers: int = 2) -> None:
    """Serve the app on ``host:port`` with ``workers`` gunicorn worker processes."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "timeout": int(settings.query_timeout * 3) + 30,
    }
    _Server(settings, options).run()
