"""``kg serve``: the web app under gunicorn (a production WSGI server).

Reads the settings; serves the browser and the SPARQL endpoint until stopped, logging one
line per request (client, request line, status, bytes, seconds). The master imports the app's
code once, before forking, and freezes what it built out of the collector's reach (so the
workers share those pages and start at once); each gunicorn worker process then builds its own
app and store, so each has its own query engine process running up to ``query-workers``
queries at once; its threads serve other requests while queries run.
Malformed requests (a request line without a leading slash, binary garbage, oversized lines
or headers) are answered 4xx by gunicorn's parser, with CORS headers and a one-line reason
(:mod:`kg.http_errors`), and never reach the app; the worker keeps serving. A request line may
be as long as a ``max-query-length`` query needs.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import select
import traceback
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

from kg import http_errors
from kg.config import Settings
from kg.store.base import StoreUnavailable

ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'
LINGER = 0.002  # seconds a thread waits for the next request on its kept-alive connection
MAX_IN_A_ROW = 100  # requests a thread serves on one connection before handing it back
THROTTLED_POLL = 0.05  # seconds between looks at the other workers' load while not accepting


class ConnectionShare:
    """How many connections each server process holds, in memory the master shares with the
    workers it forks: a worker holding more than its fair share stops accepting until the
    others catch up, so kept-alive connections (and the queries on them) spread over the
    processes instead of piling onto the one that woke first."""

    def __init__(self, size: int) -> None:
        self.pids = multiprocessing.RawArray("i", size)
        self.counts = multiprocessing.RawArray("i", size)
        self.lock = multiprocessing.Lock()

    def claim(self, pid: int) -> int:
        """A slot for the worker ``pid`` (-1 if all are taken: it then takes no part)."""
        with self.lock:
            for index, holder in enumerate(self.pids):
                if holder == 0:
                    self.pids[index], self.counts[index] = pid, 0
                    return index
        return -1

    def release(self, pid: int) -> None:
        """Forget the worker ``pid`` (it has exited)."""
        with self.lock:
            for index, holder in enumerate(self.pids):
                if holder == pid:
                    self.pids[index] = self.counts[index] = 0

    def fair(self) -> int:
        """The most connections a worker may hold and still accept one more: one above the
        mean, so the least loaded worker always accepts."""
        live = [count for holder, count in zip(self.pids, self.counts, strict=True) if holder]
        return sum(live) // max(1, len(live)) + 1


class LingeringThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's ``gthread`` worker, except that a thread that has just answered on a
    kept-alive connection waits a moment for that client's next request and serves it
    itself, rather than handing the connection back to the main loop and through the thread
    pool again (three thread hand-offs, measurable on a small machine). It does not wait
    when other connections are queued for a thread, nor more than ``MAX_IN_A_ROW`` times.
    With a :class:`ConnectionShare` it accepts connections only up to its fair share (and
    looks again every ``THROTTLED_POLL`` seconds while it does not accept)."""

    share: ConnectionShare | None = None  # set in the master, before the workers are forked
    _slot = -1
    _nr_conns = 0
    _worker_connections = 1000

    @property
    def nr_conns(self) -> int:
        """The connections this worker holds (gunicorn's counter, published to the share)."""
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._nr_conns = value
        if self.share is not None and self._slot >= 0:
            self.share.counts[self._slot] = value

    @property
    def worker_connections(self) -> int:
        """gunicorn's limit of connections, lowered to the fair share."""
        if self.share is None or self._slot < 0:
            return self._worker_connections
        return min(self._worker_connections, self.share.fair())

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._worker_connections = value

    def init_process(self) -> None:
        if self.share is not None:
            self._slot = self.share.claim(os.getpid())
        super().init_process()

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        throttled = self.share is not None and not getattr(self, "_accepting", True)
        super().wait_for_and_dispatch_events(min(timeout, THROTTLED_POLL) if throttled else timeout)

    def handle(self, conn: Any) -> Any:
        result = super().handle(conn)
        served = 1
        while result is True and self.alive and served < MAX_IN_A_ROW:
            try:
                buffered = bool(conn.parser.unreader.buf.getvalue())
                if not buffered and self.tpool._work_queue.qsize():
                    break
                if not buffered and not select.select([conn.sock], [], [], LINGER)[0]:
                    break
            except (
                AttributeError,
                OSError,
                ValueError,
            ):  # another gunicorn version, a closed socket
                break
            result = super().handle(conn)
            served += 1
        return result


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, except that an access line is written in ``ACCESS_LOG_FORMAT``
    directly, rather than through gunicorn's table of every atom and header it could name
    (about a seventh of a server process's CPU on small answers)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        sent = getattr(resp, "sent", None)
        line = (
            f'{environ.get("REMOTE_ADDR", "-")} "{environ["REQUEST_METHOD"]} '
            f'{environ["RAW_URI"]} {environ["SERVER_PROTOCOL"]}" {status} '
            f"{'-' if sent is None else sent} "
            f"{request_time.seconds}.{request_time.microseconds:06d}s"
        )
        try:
            self.access_log.info(line)  # no arguments: a % in the line is not a placeholder
        except Exception:  # as gunicorn's: a failing log handler must not fail the request
            self.error(traceback.format_exc())


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # e.g. control_socket_disable is new in gunicorn 27
                self.cfg.set(key, value)

    def load(self) -> Any:
        from web.app import create_app

        return create_app(self.settings)


def _import_app_code() -> None:
    """Import the app's modules in the master: forked workers share them (memory) and skip
    importing them (start-up). Nothing is built and no thread or process is started here."""
    from web import blueprints

    blueprints.all_blueprints()


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's hook in the master when a worker has exited: its connections are gone."""
    if LingeringThreadWorker.share is not None:
        LingeringThreadWorker.share.release(worker.pid)


def options(
    settings: Settings, host: str, port: int, workers: int, threads: int | None
) -> dict[str, Any]:
    """The gunicorn settings ``kg serve`` runs with."""
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": LingeringThreadWorker,
        "threads": threads or max(4, 2 * settings.query_workers),
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,  # what AccessLogger writes
        "logger_class": AccessLogger,
        # The gthread worker's heartbeat does not wait for requests; this only catches a
        # worker that is stuck as a whole.
        "timeout": int(settings.query_timeout * 3) + 30,
        "graceful_timeout": 10,
        "limit_request_line": http_errors.request_line_limit(settings),  # a GET of a long query
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "control_socket_disable": True,  # no extra socket in $HOME shared by every server
        "child_exit": _worker_exited,
        # No CPU pinning: a worker pinned with its query workers to one CPU left the other
        # idle whenever the connections fell unevenly (mix_bench, 4 clients, cache off, one
        # run: 794 pinned against 1,064 req/s unpinned, p99 620 against 197 ms).
    }


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 2,
    threads: int | None = None,
) -> None:
    """Serve the app on ``host:port`` with ``workers`` gunicorn worker processes."""
    if settings.store == "embedded" and not (settings.dataset_dir / "dataset.nq").exists():
        raise StoreUnavailable(f"no built dataset in {settings.dataset_dir}: run `kg build`")
    http_errors.install(settings)
    LingeringThreadWorker.share = ConnectionShare(4 * max(1, workers))  # restarts overlap
    _import_app_code()
    gc.collect()
    gc.freeze()  # what the master built stays shared: the workers' collector leaves it alone
    _Server(settings, options(settings, host, port, workers, threads)).run()
