"""Replicas behind a real nginx (``deploy/replicas.py``, ``make replicas``): nginx serves cached
answers without asking the app, revalidates them by ETag, never serves an old release after a
new one is made current, and answers in one line, quickly, when no replica is left."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from releases import make_current

from kg.config import ROOT

pytestmark = pytest.mark.nginx
SCRIPT = ROOT / "deploy" / "replicas.py"
PAGE = "/doc/force/leicestershire"


class Deployment:
    """``deploy/replicas.py`` running over its own output folder, with its printed lines."""

    def __init__(self, output_dir: Path, *options: str, max_age: int = 60) -> None:
        env = {
            **os.environ,
            "HMIC_KG_OUTPUT_DIR": str(output_dir),
            "HMIC_KG_HTTP_MAX_AGE": str(max_age),
            "HMIC_KG_QUERY_WORKERS": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--replicas", "1", "--port", "0", *options],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_ready()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_ready(self, timeout: float = 120) -> None:
        """Read the announced lines up to the next ``ready``."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"replicas not ready: {seen}") from None
            seen.append(line)
            if line == "ready":
                break
            if line.startswith("error"):
                raise AssertionError(line)
        text = "\n".join(seen)
        self.url = re.findall(r"nginx (\S+) cache on", text)[-1]
        self.bypass = re.findall(r"nginx (\S+) cache off", text)[-1]
        self.release = re.findall(r"release (\S+)", text)[-1]
        self.run = Path(re.findall(r"run (\S+)", text)[-1])  # a temporary folder of its own
        found = re.findall(r"replica http://127\.0\.0\.1:(\d+) pid (\d+)", text)
        self.replica_port, self.replica_pid = int(found[-1][0]), int(found[-1][1])

    def app_requests(self, path: str) -> list[str]:
        """The replica's access-log lines for ``path`` (what reached the app)."""
        log = self.run / f"replica-{self.replica_port}.log"
        return [line for line in log.read_text().splitlines() if f"GET {path} " in line]

    def stop(self) -> None:
        """Ctrl-C: the script stops nginx and its replicas."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _start(settings, tmp_path_factory, name: str, *options: str, max_age: int = 60):
    base = tmp_path_factory.mktemp(name)
    output_dir = base / "out"
    make_current(settings.dataset_dir.resolve(), output_dir, "20990101T000000000000Z-aaaaaaaa")
    return Deployment(output_dir, *options, max_age=max_age), output_dir


@pytest.fixture(scope="module")
def deployment(settings, tmp_path_factory):
    started, output_dir = _start(settings, tmp_path_factory, "nginx-watch")
    started.output_dir = output_dir
    yield started
    started.stop()


def _wait_logged(deployment: Deployment, path: str, count: int) -> list[str]:
    deadline = time.monotonic() + 5  # gunicorn writes its access line after the answer
    while len(found := deployment.app_requests(path)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_nginx_serves_a_cached_answer_without_asking_the_app(deployment):
    path = PAGE + "?nginx=cached"
    first = requests.get(deployment.url + path, timeout=30)
    assert first.status_code == 200
    assert first.headers["X-Cache-Status"] == "MISS"
    assert len(_wait_logged(deployment, path, 1)) == 1
    for _ in range(3):
        again = requests.get(deployment.url + path, timeout=30)
        assert again.headers["X-Cache-Status"] == "HIT"
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.text == first.text
    time.sleep(0.3)
    assert len(deployment.app_requests(path)) == 1  # the app answered once
    revalidated = requests.get(
        deployment.url + path, headers={"If-None-Match": first.headers["ETag"]}, timeout=30
    )
    assert revalidated.status_code == 304  # nginx compares the tag itself
    assert len(deployment.app_requests(path)) == 1


def test_nginx_keeps_one_variant_per_negotiated_representation(deployment):
    path = PAGE + "?nginx=variants"
    html = requests.get(deployment.url + path, timeout=30)
    turtle = requests.get(deployment.url + path, headers={"Accept": "text/turtle"}, timeout=30)
    assert html.headers["Content-Type"].startswith("text/html")
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    again = requests.get(deployment.url + path, headers={"Accept": "text/turtle"}, timeout=30)
    assert again.headers["X-Cache-Status"] == "HIT"
    assert again.text == turtle.text
    plain = requests.get(deployment.url + path, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "Content-Encoding" not in plain.headers
    assert plain.text == html.text


def test_the_bypass_port_does_not_cache(deployment):
    path = PAGE + "?nginx=bypass"
    for _ in range(2):
        answer = requests.get(deployment.bypass + path, timeout=30)
        assert answer.status_code == 200
        assert answer.headers.get("X-Cache-Status", "") == ""
    assert len(_wait_logged(deployment, path, 2)) == 2


def test_a_new_release_is_not_served_stale(deployment, settings):
    path = PAGE + "?nginx=release"
    old = requests.get(deployment.url + path, timeout=30)
    assert requests.get(deployment.url + path, timeout=30).headers["X-Cache-Status"] == "HIT"
    old_release, old_pid = deployment.release, deployment.replica_pid
    make_current(
        settings.dataset_dir.resolve(), deployment.output_dir, "20990101T000000000001Z-bbbbbbbb"
    )
    deployment.wait_ready()  # the script saw the swap: new replica, nginx reloaded
    assert deployment.release != old_release
    assert deployment.replica_pid != old_pid
    new = requests.get(deployment.url + path, timeout=30)
    assert new.status_code == 200
    assert new.headers["X-Cache-Status"] == "MISS"
    assert new.headers["ETag"] != old.headers["ETag"]
    assert len(_wait_logged(deployment, path, 1)) == 1  # the new replica answered it
    assert requests.get(deployment.url + path, timeout=30).headers["X-Cache-Status"] == "HIT"


def test_an_expired_answer_is_revalidated_by_etag(settings, tmp_path_factory):
    started, _ = _start(settings, tmp_path_factory, "nginx-revalidate", "--no-watch", max_age=1)
    try:
        nginx_pid = int((started.run / "nginx.pid").read_text())
        path = PAGE + "?nginx=revalidate"
        first = requests.get(started.url + path, timeout=30)
        assert first.headers["Cache-Control"] == "public, max-age=1"
        time.sleep(2.1)  # nginx counts whole seconds: max-age=1 is over 2 s later
        again = requests.get(started.url + path, timeout=30)
        assert again.headers["X-Cache-Status"] == "REVALIDATED"
        assert again.text == first.text
        logged = _wait_logged(started, path, 2)
        assert '" 304 ' in logged[-1]  # the app answered the revalidation with a 304
    finally:
        started.stop()
    assert started.process.returncode == 0
    with pytest.raises(ProcessLookupError):  # Ctrl-C stopped the replica and its workers
        os.killpg(started.replica_pid, 0)
    assert not started.run.exists()  # and removed its temporary run folder
    with pytest.raises(ProcessLookupError):
        os.kill(nginx_pid, 0)


def test_no_replica_left_is_a_quick_one_line_502(settings, tmp_path_factory):
    started, _ = _start(settings, tmp_path_factory, "nginx-fault", "--no-watch")
    try:
        os.killpg(started.replica_pid, signal.SIGKILL)
        began = time.monotonic()
        answer = requests.get(started.url + "/forces?nginx=fault", timeout=30)
        assert time.monotonic() - began < 5
        assert answer.status_code == 502
        assert answer.text.count("\n") == 1
        assert answer.text.startswith("502 Bad Gateway: ")
        assert answer.headers["Cache-Control"] == "no-store"
    finally:
        started.stop()


def test_a_failing_proxy_cache_is_a_one_line_503(settings, tmp_path_factory):
    started, _ = _start(settings, tmp_path_factory, "nginx-cache-fault", "--no-watch")
    cache = started.run / "cache"
    try:
        cache.chmod(0o000)  # nginx's workers can no longer read or write their cache
        answer = requests.get(started.url + "/forces?nginx=cache-fault", timeout=30)
        assert answer.status_code == 503
        assert answer.text.count("\n") == 1
        assert answer.text.startswith("503 Service Unavailable: the proxy failed")
        assert answer.headers["Cache-Control"] == "no-store"
    finally:
        cache.chmod(0o755)
        started.stop()
