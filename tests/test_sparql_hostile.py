"""The last hostile inputs, sent to the real server (``kg serve``: gunicorn) over raw sockets
and to the Flask test client: malformed percent-escapes in paths, broken chunked framing,
bodies that are not UTF-8, and request lines longer than gunicorn's default — each a 4xx with
a one-line reason and CORS headers, never a 500, the server serving on."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from test_sparql_server import Server, _ok, _start

ASK = "ASK { ?s a <https://w3id.org/hmic-kg/def/hmic/Judgment> }"
BAD_PATHS = [
    "hmic%",
    "hmic%ZZ",
    "hmic%C3%28",
    "%c0%ae%c0%ae/x",
    "%ED%A0%80",
    "x%ED%A0%80y",
]


@pytest.fixture(scope="module")
def server(settings) -> Iterator[Server]:
    """``kg serve`` on a free port, ready."""
    started = _start()
    try:
        for _attempt in range(20):
            try:
                if requests.get(started.endpoint, params={"query": ASK}, timeout=30).ok:
                    break
            except requests.ConnectionError:
                continue
        yield started
    finally:
        started.process.terminate()
        started.process.wait(timeout=30)
        if started.reader is not None:
            started.reader.join(timeout=30)
        if started.process.stdout is not None:
            started.process.stdout.close()


def _raw(server: Server, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers until it closes or
    stays silent for a second."""
    port = int(server.url.rsplit(":", 1)[1])
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(data)
        conn.settimeout(1)
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def _status(answer: bytes) -> int:
    found = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    assert found, answer[:200]
    return int(found.group(1))


def _headers(answer: bytes) -> dict[str, str]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head)}


@pytest.mark.parametrize("area", ["def", "doc", "id"])
@pytest.mark.parametrize("path", BAD_PATHS)
def test_malformed_escapes_in_a_path_are_a_4xx_through_gunicorn(server, area, path):
    answer = _raw(server, f"GET /{area}/{path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii"))
    assert _status(answer) in (400, 404), answer[:300]
    assert b"Traceback" not in answer
    _ok(server)


@pytest.mark.parametrize("area", ["def", "doc", "id"])
@pytest.mark.parametrize("path", BAD_PATHS)
def test_malformed_escapes_in_a_path_are_a_4xx_in_the_app(client, area, path):
    answer = client.get(f"/{area}/{path}")
    assert answer.status_code in (400, 404)
    assert "UTF-8" in answer.get_data(as_text=True) or "percent-escape" in answer.get_data(
        as_text=True
    )


FORM = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
CHUNKED = {
    "bad-size": b"ZZ\r\nquery=ASK%7B%7D\r\n0\r\n\r\n",
    "size-too-small": b"5\r\nquery=ASK%7B%7D\r\n0\r\n\r\n",
    "no-terminator": b"f\r\nquery=ASK%7B%7DXX0\r\n\r\n",
    "negative-size": b"-5\r\nquery\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("framing", CHUNKED)
def test_malformed_chunked_framing_is_a_400(server, framing):
    answer = _raw(server, FORM + b"Transfer-Encoding: chunked\r\n\r\n" + CHUNKED[framing])
    assert _status(answer) == 400, answer[:300]
    assert _headers(answer)["access-control-allow-origin"] == "*"
    assert b"Traceback" not in answer
    _ok(server)


def test_well_formed_chunked_framing_is_answered(server):
    body = b"query=ASK%7B%7D"
    chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = _raw(
        server, FORM + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks
    )
    assert _status(answer) == 200 and answer.endswith(b'{"head":{},"boolean":true}')


NOT_UTF8 = {
    "utf16-bom": ("application/sparql-query", ASK.encode("utf-16"), 400, "UTF-16 byte-order mark"),
    "utf16-no-bom": ("application/sparql-query", ASK.encode("utf-16-le"), 400, "UTF-16"),
    "utf16-declared": (
        "application/sparql-query; charset=utf-16",
        ASK.encode("utf-16"),
        415,
        "unsupported charset 'utf-16'",
    ),
    "latin1-declared": (
        "application/sparql-query; charset=ISO-8859-1",
        "ASK { ?s ?p 'café' }".encode("latin-1"),
        415,
        "unsupported charset 'iso-8859-1'",
    ),
    "invalid-bytes": (
        "application/sparql-query",
        b"ASK { ?s ?p '\xc3\x28' }",
        400,
        "not valid UTF-8",
    ),
    "overlong": ("application/sparql-query", b"ASK { ?s ?p '\xc0\xae' }", 400, "not valid UTF-8"),
}


@pytest.mark.parametrize("case", NOT_UTF8)
def test_a_direct_post_that_is_not_utf8_is_refused_naming_the_charset(server, case):
    content_type, body, status, reason = NOT_UTF8[case]
    answer = requests.post(
        server.endpoint, data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert answer.status_code == status and reason in answer.text, answer.text
    assert answer.text.count("\n") == 1 and answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("character", ["x", "é", "\U0001f46e"])
def test_a_get_as_long_as_the_query_limit_is_answered(server, settings, character):
    padding = "#" + character * (settings.max_query_length - len(ASK) - 2) + "\n"
    query = ASK + padding
    assert len(query) == settings.max_query_length
    assert len(quote(query)) > 8190  # gunicorn's default request line limit
    answer = requests.get(server.endpoint, params={"query": query}, timeout=30)
    assert answer.status_code == 200 and answer.json()["boolean"] is True


def test_a_get_over_the_query_limit_is_a_413_with_cors(server, settings):
    query = ASK + "#" + "x" * settings.max_query_length
    answer = requests.get(server.endpoint, params={"query": query}, timeout=30)
    assert answer.status_code == 413 and answer.text.count("\n") == 1
    assert "the limit is 131,072" in answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_request_line_past_any_query_is_a_414_with_cors(server, settings):
    line = b"GET /sparql?query=" + b"x" * (13 * settings.max_query_length) + b" HTTP/1.1\r\n"
    answer = _raw(server, line + b"Host: x\r\n\r\n")
    assert _status(answer) == 414
    assert _headers(answer)["access-control-allow-origin"] == "*"
    body = answer.split(b"\r\n\r\n", 1)[1].decode("utf-8")
    assert body.count("\n") == 1 and body.startswith("414 URI Too Long: the request line is")
    assert "send a long query with POST" in body
    _ok(server)


def test_other_gunicorn_errors_carry_cors_and_one_line(server):
    answer = _raw(server, b"GET /sparql HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
    assert 400 <= _status(answer) < 500
    assert _headers(answer)["access-control-allow-origin"] == "*"
    assert answer.split(b"\r\n\r\n", 1)[1].count(b"\n") == 1
