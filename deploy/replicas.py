"""Run several ``kg serve`` replicas behind nginx, as load balancer and HTTP cache, on 127.0.0.1.

Stage: serving. Reads the settings (``HMIC_KG_*`` as for ``kg serve``) and the release
``out/current`` names; writes, into a run folder (a new temporary one unless ``--run-dir``),
``nginx.conf``, nginx's pid, logs, temporary files and cache, and one log per replica. Starts N
``kg serve`` processes on free ports and nginx in front of them (``nginx -p RUN -c
nginx.conf``: its own prefix, so it needs no root and touches nothing of the system's nginx),
prints one line per replica and the two nginx addresses, and runs until Ctrl-C (or SIGTERM),
then stops everything and removes a temporary run folder.

nginx listens twice: ``--port`` with its cache on, and ``--bypass-port`` with the same replicas
and the cache off (for comparisons). The cache honours the app's ``Cache-Control``, ``ETag``
and ``Vary``: an answer is served from the cache for ``max-age`` seconds, then revalidated with
``If-None-Match`` (a 304 from the app costs no query). The cache key starts with the release
id, and ``--watch`` (the default) makes a new release take over whole: when ``kg build`` swaps
``out/current``, new replicas are started on the new release, nginx is reloaded with them and
the new key, and the old replicas are stopped — no answer of the old release is served after
the switch. When no replica answers, nginx says so in one line: 502 (none reachable), 504
(none answered in time), 503 (nginx itself failed, e.g. its cache folder cannot be written).

Usage: ``python deploy/replicas.py --replicas 2 --port 8080`` (``make replicas``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from kg.config import ROOT, Settings, load_settings

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
READY_TIMEOUT = 60.0  # seconds a replica may take to answer its first page
WATCH_EVERY = 1.0  # seconds between looks at out/current

CONF = """\
# Written by deploy/replicas.py: nginx in front of {count} kg serve replicas.
daemon off;
master_process on;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}

http {{
    log_format cache '$remote_addr "$request" $status $body_bytes_sent $request_time '
                     'cache=$upstream_cache_status upstream=$upstream_addr';
    access_log {run}/access.log cache;
    client_body_temp_path {run}/temp/body;
    proxy_temp_path {run}/temp/proxy;
    fastcgi_temp_path {run}/temp/fastcgi;
    uwsgi_temp_path {run}/temp/uwsgi;
    scgi_temp_path {run}/temp/scgi;
    client_max_body_size {body_size};
    proxy_cache_path {run}/cache levels=1:2 keys_zone=hmic:16m max_size=512m inactive=1h
                     use_temp_path=off;

    upstream hmic {{
        least_conn;
{servers}
        keepalive 16;
    }}

{server_on}
{server_off}
}}
"""

SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hmic;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_connect_timeout 2s;
            proxy_send_timeout {read_timeout}s;
            proxy_read_timeout {read_timeout}s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
{cache}
            add_header X-Cache-Status $upstream_cache_status always;
            error_page 500 =503 /.proxy/503;
            error_page 502 /.proxy/502;
            error_page 504 /.proxy/504;
        }}
        location = /.proxy/503 {{
            internal;
            default_type text/plain;
            add_header Cache-Control no-store always;
            return 503 "503 Service Unavailable: the proxy failed (its cache or temporary files)\n";
        }}
        location = /.proxy/502 {{
            internal;
            default_type text/plain;
            add_header Cache-Control no-store always;
            return 502 "502 Bad Gateway: no app replica could be reached\\n";
        }}
        location = /.proxy/504 {{
            internal;
            default_type text/plain;
            add_header Cache-Control no-store always;
            return 504 "504 Gateway Timeout: the app replica did not answer in time\\n";
        }}
    }}"""

CACHE_ON = """\
            proxy_cache hmic;
            proxy_cache_key "{release}|$scheme|$http_host|$request_uri";
            proxy_cache_methods GET HEAD;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 5s;
            proxy_cache_use_stale updating;"""
CACHE_OFF = "            proxy_cache off;"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_conf(
    run: Path, ports: list[int], port: int, bypass_port: int, release: str, settings: Settings
) -> str:
    """The nginx configuration: ``port`` caching, ``bypass_port`` not, both over ``ports``."""
    read_timeout = int(settings.query_timeout) + 20  # the app stops a query before nginx waits
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)
    on = SERVER.format(port=port, read_timeout=read_timeout, cache=CACHE_ON.format(release=release))
    off = SERVER.format(port=bypass_port, read_timeout=read_timeout, cache=CACHE_OFF)
    return CONF.format(
        count=len(ports),
        run=run,
        body_size=settings.max_body_size,
        servers=servers,
        server_on=on,
        server_off=off,
    )


def reachable(folder: Path) -> bool:
    """Whether every folder above ``folder`` lets other users through (nginx's workers run as
    ``nobody`` when nginx is started by root)."""
    return all(os.stat(parent).st_mode & 0o001 for parent in folder.parents)


def current_release(settings: Settings) -> str:
    """The name of the release ``out/current`` points to (what a new replica would serve)."""
    if settings.store != "embedded":
        return settings.store
    return settings.dataset_dir.resolve().name


class Replica:
    """One ``kg serve`` process group on a free port, logging into the run folder."""

    def __init__(self, run: Path, workers: int) -> None:
        self.port = free_port()
        self.log = open(run / f"replica-{self.port}.log", "ab")
        command = [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )

    @property
    def url(self) -> str:
        """Where the replica answers."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Whether the replica answered its home page within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop the replica and its workers (gracefully, then for good)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.log.close()


class Deployment:
    """nginx and the replicas of one release; :meth:`switch` moves to a new release."""

    def __init__(self, run: Path, args: argparse.Namespace, settings: Settings) -> None:
        self.run, self.args, self.settings = run, args, settings
        self.port = args.port or free_port()
        self.bypass_port = args.bypass_port or free_port()
        self.replicas: list[Replica] = []
        self.release = ""
        self.refused = ""  # a release whose replicas did not start
        self.nginx: subprocess.Popen[bytes] | None = None

    def start_replicas(self) -> list[Replica]:
        """``--replicas`` new replicas, each answering, or an error."""
        started = [Replica(self.run, self.args.workers) for _ in range(self.args.replicas)]
        for replica in started:
            if not replica.wait_ready():
                for other in started:
                    other.stop()
                raise RuntimeError(f"a replica did not start: see {replica.log.name}")
        return started

    def write_conf(self) -> Path:
        """Write ``nginx.conf`` for the current replicas and release."""
        conf = self.run / "nginx.conf"
        ports = [r.port for r in self.replicas]
        text = nginx_conf(self.run, ports, self.port, self.bypass_port, self.release, self.settings)
        conf.write_text(text, encoding="utf-8")
        return conf

    def start(self) -> None:
        """Start the replicas, then nginx in front of them."""
        for folder in ("temp", "cache"):
            (self.run / folder).mkdir(exist_ok=True)
        self.release = current_release(self.settings)
        self.replicas = self.start_replicas()
        conf = self.write_conf()
        check = subprocess.run(
            [NGINX, "-t", "-q", "-p", str(self.run), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration: {check.stderr.strip()}")
        self.nginx = subprocess.Popen(
            [NGINX, "-p", str(self.run), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.run / "nginx.stderr", "ab"),
            start_new_session=True,
        )
        self._wait_nginx()
        self.announce()

    def _wait_nginx(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx stopped: see {self.run / 'error.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start listening")

    def announce(self) -> None:
        """Print where everything runs (one line each; tests and the benchmark read them)."""
        for replica in self.replicas:
            print(f"replica {replica.url} pid {replica.process.pid}", flush=True)
        print(f"release {self.release}", flush=True)
        print(f"nginx http://127.0.0.1:{self.port} cache on", flush=True)
        print(f"nginx http://127.0.0.1:{self.bypass_port} cache off", flush=True)
        print(f"run {self.run}", flush=True)
        print("ready", flush=True)

    def switch(self, release: str) -> None:
        """Serve ``release``: new replicas, nginx reloaded with them and a new cache key, the
        old replicas stopped once nginx has let go of them."""
        old = self.replicas
        try:
            self.replicas = self.start_replicas()
        except RuntimeError as exc:  # a release that does not serve: keep the one that does
            print(f"error: release {release}: {exc}; still serving {self.release}", flush=True)
            self.refused = release
            return
        self.release = release
        self.write_conf()
        assert self.nginx is not None
        os.kill(self.nginx.pid, signal.SIGHUP)  # graceful: old workers finish their requests
        time.sleep(1.0)
        for replica in old:
            replica.stop()
        self.announce()

    def watch(self) -> None:
        """Run until stopped, switching to each new release ``kg build`` makes current."""
        while True:
            time.sleep(WATCH_EVERY)
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx stopped: see {self.run / 'error.log'}")
            for replica in self.replicas:
                if replica.process.poll() is not None and not getattr(replica, "reported", 0):
                    replica.reported = 1  # type: ignore[attr-defined]
                    print(f"replica {replica.url} exited", flush=True)
            if self.args.watch:
                try:
                    found = current_release(self.settings)
                except OSError:
                    continue  # mid-swap
                if found not in (self.release, self.refused):
                    self.switch(found)

    def stop(self) -> None:
        """Stop nginx and every replica."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=5)
        for replica in self.replicas:
            replica.stop()


def _stop_on_signal(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the replicas behind nginx until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="kg serve processes")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per replica")
    parser.add_argument("--port", type=int, default=8080, help="nginx, cache on (0: any)")
    parser.add_argument("--bypass-port", type=int, default=0, help="nginx, cache off (0: any)")
    parser.add_argument("--run-dir", type=Path, help="folder for nginx.conf, logs and cache")
    parser.add_argument("--no-watch", dest="watch", action="store_false")
    args = parser.parse_args(argv)
    if not Path(NGINX).exists():
        print("error: nginx is not installed (Debian: apt-get install nginx)", file=sys.stderr)
        return 1
    settings = load_settings()
    temporary = args.run_dir is None
    run = Path(tempfile.mkdtemp(prefix="hmic-replicas-")) if temporary else args.run_dir
    run.mkdir(parents=True, exist_ok=True)
    run.chmod(0o755)  # nginx's workers (user nobody when started as root) read and write here
    if os.geteuid() == 0 and not reachable(run.resolve()):
        print(f"error: nginx's workers (user nobody) cannot reach {run}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop_on_signal)
    deployment = Deployment(run.resolve(), args, settings)
    try:
        deployment.start()
        deployment.watch()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        deployment.stop()
        if temporary:
            shutil.rmtree(run, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
