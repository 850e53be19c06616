"""HTTP caching (web/http/cache.py): strong ETags and Cache-Control on every answer computed
from the release, 304 before any query runs, exact Vary, gzip and brotli, fingerprinted static
files, errors never stored, and a new release changing every ETag."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess

import brotli
import pytest
import requests
from counting import CountingStore
from releases import make_current

from kg.config import ROOT
from kg.store.embedded import EmbeddedStore
from web.app import create_app
from web.http.cache import release_id

ASK = "ASK { ?s ?p ?o }"
PAGES = [
    "/",
    "/doc/force/leicestershire",
    "/def/hmic",
    "/report",
    "/search?q=crime",
    "/classes",
    "/charts",
    "/forces",
    "/download",
    "/download/dataset.trig",
    "/export/judgments.csv",
    "/sparql",
    "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
    "/.well-known/void",
    "/static/css/site.css",
]
STRONG = re.compile(r'^"[0-9a-f]{32}"$')


@pytest.fixture(scope="module")
def counting(settings, store):
    counted = CountingStore(store)
    application = create_app(settings, store=counted)
    application.config["TESTING"] = True
    return application, counted


def fetch(client, path, method="GET", **options):
    """An answer read to its end and closed (file answers stream until then)."""
    answer = client.open(path, method=method, buffered=True, **options)
    answer.close()
    return answer


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_has_a_strong_etag_and_public_cache_control(client, path):
    answer = fetch(client, path)
    assert answer.status_code == 200, path
    assert STRONG.match(answer.headers["ETag"]), answer.headers.get("ETag")
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Encoding" in answer.headers["Vary"]
    again = fetch(client, path)
    assert again.headers["ETag"] == answer.headers["ETag"]  # a function of the request
    head = fetch(client, path, "HEAD")
    assert head.headers["ETag"] == answer.headers["ETag"]
    assert "Expires" not in answer.headers


def test_see_other_redirects_are_tagged_and_vary_on_accept(client):
    answer = client.get("/id/force/leicestershire")
    assert answer.status_code == 303
    assert STRONG.match(answer.headers["ETag"])
    assert answer.headers["Vary"] == "Accept, Accept-Encoding"
    turtle = client.get("/id/force/leicestershire", headers={"Accept": "text/turtle"})
    assert turtle.headers["ETag"] != answer.headers["ETag"]


@pytest.mark.parametrize(
    "path",
    ["/doc/force/leicestershire", "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", "/forces"],
)
def test_if_none_match_is_answered_304_without_running_a_query(counting, path):
    application, counted = counting
    client = application.test_client()
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    tag = first.headers["ETag"]
    before = counted.calls
    assert before > 0  # the first answer did query the store
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert again.headers["Vary"] == first.headers["Vary"]
    listed = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": f'"x", {tag}'})
    assert listed.status_code == 304
    assert counted.calls == before  # no query ran for the 304s


def test_a_tag_of_another_representation_gets_the_full_answer(client):
    html = client.get("/doc/force/leicestershire")
    turtle = client.get(
        "/doc/force/leicestershire",
        headers={"Accept": "text/turtle", "If-None-Match": html.headers["ETag"]},
    )
    assert turtle.status_code == 200
    assert turtle.headers["ETag"] != html.headers["ETag"]
    assert turtle.mimetype == "text/turtle"


@pytest.mark.parametrize(
    "garbage", ["garbage", '"unterminated', "W/", "*", ",,,", '"' + "f" * 32 + '"', "\u00e9t\u00e9"]
)
def test_garbage_if_none_match_gets_a_normal_200(client, garbage):
    plain = client.get("/doc/force/leicestershire")
    answer = client.get("/doc/force/leicestershire", headers={"If-None-Match": garbage})
    assert answer.status_code == 200
    assert answer.data == plain.data
    assert answer.headers["ETag"] == plain.headers["ETag"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/doc/no/such/thing", 404),
        ("/sparql?query=SELEC", 400),
        ("/doc/force/leicestershire?format=nonsense", 400),
        ("/export/nothing.csv", 404),
    ],
)
def test_errors_are_never_stored_and_carry_no_etag(client, path, status):
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["Cache-Control"] == "no-store"
    assert "ETag" not in answer.headers


def test_posted_queries_are_not_stored(client):
    answer = client.post("/sparql", data={"query": ASK}, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert "ETag" not in answer.headers
    assert gzip.decompress(answer.data).startswith(b"{")


@pytest.mark.parametrize("path", ["/doc/force/leicestershire", "/download/dataset.nq", "/forces"])
def test_answers_are_compressed_when_asked(client, path):
    plain = fetch(client, path)
    assert "Content-Encoding" not in plain.headers
    zipped = fetch(client, path, headers={"Accept-Encoding": "gzip, deflate"})
    squeezed = fetch(client, path, headers={"Accept-Encoding": "gzip, deflate, br"})
    refused = fetch(client, path, headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert squeezed.headers["Content-Encoding"] == "br"
    assert "Content-Encoding" not in refused.headers
    assert gzip.decompress(zipped.data) == plain.data
    assert brotli.decompress(squeezed.data) == plain.data
    assert len(squeezed.data) < len(plain.data) / 3
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)
    tags = {r.headers["ETag"] for r in (plain, zipped, squeezed)}
    assert len(tags) == 3  # one strong tag per representation
    assert refused.headers["ETag"] == plain.headers["ETag"]


def test_vary_is_exact(client):
    assert fetch(client, "/static/css/site.css").headers["Vary"] == "Accept-Encoding"
    assert fetch(client, "/forces").headers["Vary"] == "Accept-Encoding"
    assert fetch(client, "/doc/force/leicestershire").headers["Vary"] == "Accept, Accept-Encoding"
    assert fetch(client, "/sparql?query=ASK%7B%7D").headers["Vary"] == "Accept, Accept-Encoding"
    # what a view does not vary on does not change its tag
    one = client.get("/forces", headers={"Accept": "text/html"}).headers["ETag"]
    two = client.get("/forces", headers={"Accept": "*/*"}).headers["ETag"]
    assert one == two


def test_static_files_are_linked_by_fingerprint_and_immutable(client, app):
    page = fetch(client, "/").get_data(as_text=True)
    css = (ROOT / "web" / "static" / "css" / "site.css").read_bytes()
    fingerprint = hashlib.sha256(css).hexdigest()[:12]
    assert f"/static/css/site.css?v={fingerprint}" in page
    current = fetch(client, f"/static/css/site.css?v={fingerprint}")
    assert current.status_code == 200
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert current.data == css
    other = fetch(client, "/static/css/site.css?v=000000000000")
    assert other.headers["Cache-Control"] == "public, max-age=60"
    assert fetch(client, "/static/css/site.css").headers["Cache-Control"] == "public, max-age=60"


def test_max_age_is_a_setting(settings, store):
    application = create_app(settings.with_(http_max_age=5), store=store)
    answer = application.test_client().get("/forces")
    assert answer.headers["Cache-Control"] == "public, max-age=5"


def test_a_new_release_changes_every_etag(settings, app, tmp_path):
    source = settings.dataset_dir.resolve()
    make_current(source, tmp_path, "20990101T000000000000Z-00000000")
    moved = settings.with_(output_dir=tmp_path)
    other_store = EmbeddedStore(moved.dataset_dir / "dataset.nq", settings=moved, workers=1)
    try:
        assert release_id(other_store, moved) != release_id(app.config["STORE"], settings)
        old = app.test_client()
        new = create_app(settings, store=other_store).test_client()
        for path in [*PAGES, "/id/force/leicestershire"]:
            before, after = fetch(old, path), fetch(new, path)
            assert before.status_code == after.status_code, path
            assert before.headers["ETag"] != after.headers["ETag"], path
            stale = fetch(new, path, headers={"If-None-Match": before.headers["ETag"]})
            assert stale.status_code == after.status_code, path
    finally:
        other_store.close()


def test_remote_release_id_is_a_hash_of_the_metadata_graph(remote_store, settings):
    first = release_id(remote_store, settings)
    assert re.fullmatch(r"metadata-[0-9a-f]{24}", first)
    assert release_id(remote_store, settings) == first


def test_live_server_revalidates_and_compresses(live_server):
    url = f"{live_server}/doc/force/leicestershire"
    first = requests.get(url, headers={"Accept-Encoding": "gzip, br"}, timeout=30)
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "br"
    assert "Leicestershire" in first.text  # requests decodes brotli
    again = requests.get(
        url,
        headers={"Accept-Encoding": "gzip, br", "If-None-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304
    assert again.content == b""
    garbage = requests.get(url, headers={"If-None-Match": "\x01garbage"}, timeout=30)
    assert garbage.status_code == 200
    assert garbage.text == first.text


def test_files_are_validated_by_etag_only(client):
    first = fetch(client, "/download/dataset.trig", headers={"Accept-Encoding": "gzip"})
    assert "Last-Modified" not in first.headers
    dated = fetch(
        client,
        "/download/dataset.trig",
        headers={"Accept-Encoding": "gzip", "If-Modified-Since": "Mon, 01 Jan 2099 00:00:00 GMT"},
    )
    assert dated.status_code == 200
    assert dated.headers["ETag"] == first.headers["ETag"]
    assert dated.data == first.data
    tagged = fetch(
        client,
        "/download/dataset.trig",
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert tagged.status_code == 304


DOC = ROOT / "docs" / "serving.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _doc_examples() -> list[tuple[str, list[str]]]:
    blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]
    found = []
    for i, (kind, text) in enumerate(blocks):
        if kind == "sh" and "curl " in text:
            after = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
            lines = after[1].splitlines() if after[0] == "output" else []
            found.append((text, [line for line in lines if line.strip()]))
    return found


def test_the_serving_doc_has_examples():
    assert len(_doc_examples()) >= 4


@pytest.mark.parametrize(("command", "lines"), _doc_examples())
def test_serving_doc_example(live_server, command, lines):
    assert shutil.which("curl"), "curl is needed by the documented examples"
    script = command.replace("http://localhost:5000", live_server)
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for line in lines:
        assert line in done.stdout, done.stdout[:800]


def test_a_new_version_of_the_app_changes_the_code_fingerprint(tmp_path):
    from web.http.cache import code_fingerprint

    (tmp_path / "web" / "templates").mkdir(parents=True)
    (tmp_path / "kg").mkdir()
    page = tmp_path / "web" / "templates" / "page.html"
    page.write_text("<p>one</p>")
    (tmp_path / "kg" / "code.py").write_text("A = 1\n")
    first = code_fingerprint(tmp_path)
    modules = tmp_path / "web" / "node_modules"
    modules.mkdir()
    (modules / "big.js").write_text("ignored")
    code_fingerprint.cache_clear()
    assert code_fingerprint(tmp_path) == first  # installed packages are not the app's code
    page.write_text("<p>two</p>")
    code_fingerprint.cache_clear()
    assert code_fingerprint(tmp_path) != first
    code_fingerprint.cache_clear()


def test_a_store_that_names_its_release_moves_every_etag_with_it(settings, store):
    counted = CountingStore(store)
    counted.release = "release-one"
    client = create_app(settings, store=counted).test_client()
    first = client.get("/forces").headers["ETag"]
    assert client.get("/forces").headers["ETag"] == first
    counted.release = "release-two"  # the store moved to a new release while serving
    moved = client.get("/forces", headers={"If-None-Match": first})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != first
