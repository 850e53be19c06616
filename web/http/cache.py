"""HTTP caching of everything the app computes from the release: strong ETags, ``Cache-Control``,
an exact ``Vary``, ``304 Not Modified`` before any query runs, and gzip or brotli compression.

Stage: serving. Reads the request (method, host, path, query string, the request headers a
view negotiates on, ``Accept-Encoding``, ``If-None-Match``), the release the store serves
(:func:`release_id`) and the app's own code; writes response headers and, when the client asks,
a compressed body. Installed once by :func:`install` from ``create_app``; views know nothing
of it.

A release is immutable, so an answer is a function of the release, the app's code and
settings, and the request. The ETag is a hash of exactly those inputs: the release id, a
fingerprint of the code and settings, the host, path and query string, the value of every
request header the view's answers vary on (learned per view from the ``Vary`` of its first
answer) and the content coding chosen from ``Accept-Encoding``. It is computed before the view
runs, so a matching ``If-None-Match`` is answered 304 without running a query; a view whose
``Vary`` is not known yet is run, and its answer turned into a 304 when its tag matches.
Errors (4xx, 5xx) are ``no-store`` and carry no ETag. Static files are linked with a content
fingerprint (``url_for('static', …)`` adds ``?v=<hash>``), and a request for the current
fingerprint is cached for a year as ``immutable``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from rdflib import URIRef
from werkzeug.http import parse_accept_header
from werkzeug.security import safe_join
from werkzeug.wsgi import get_host

try:  # brotli is optional: without it, answers are gzip-compressed only
    import brotli
except ImportError:  # pragma: no cover - the project depends on it
    brotli = None

from kg.config import Settings
from kg.store.base import GraphStore, StoreError

IMMUTABLE = "public, max-age=31536000, immutable"
NO_STORE = "no-store"
REMOTE_RELEASE_CHECK = 30.0  # seconds a remote store's release id is trusted before re-asking
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
LARGE_BODY = 1 << 20  # bytes above which the cheaper levels are used
KEPT_BODY = 1 << 16  # compressed answers from this size on are kept, by ETag …
KEPT_BYTES = 32 << 20  # … up to this many bytes in all (dumps are compressed once per coding)
COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/ld+json",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "image/svg+xml",
)
ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("web", "kg")  # the app's code, templates, queries and static files
CODE_SUFFIXES = {".py", ".html", ".rq", ".css", ".js", ".svg", ".json", ".ttl", ".txt"}
NOT_CODE = {"__pycache__", "node_modules"}


# -- the release --------------------------------------------------------------------------------


def release_id(store: GraphStore, settings: Settings) -> str:
    """The identity of the release ``store`` serves: the store's own ``release`` attribute when
    it has one, else the name of the release folder its dataset file lies in (``kg build``
    names each release by time and input hash), else — a remote store — a hash of the
    release's VoID/metadata graph."""
    named = getattr(store, "release", None)
    if isinstance(named, str) and named:
        return named
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return f"{path.parent.name}/{path.name}"
    from kg.namespaces import Base
    from web.data import queries

    base_iri = settings.base_iri
    graph_iri = URIRef(base_iri + "id/graph/metadata")
    result = store.query(
        queries.load("release", Base(base_iri)),
        {"graph": graph_iri},
        timeout=settings.query_timeout,
    )
    lines = sorted(
        " ".join(term.n3() for term in triple)
        for triple in (result.graph or ())
        if not any(term.n3().startswith("_:") for term in triple)
    )
    return "metadata-" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:24]


@lru_cache(maxsize=8)
def code_fingerprint(root: Path = ROOT) -> str:
    """A hash of the app's code, templates, named queries and static files (a new version of
    the app changes every ETag even when the release does not)."""
    found = []
    for folder in CODE_DIRS:
        for here, subfolders, files in os.walk(root / folder):
            subfolders[:] = [d for d in subfolders if d not in NOT_CODE and not d.startswith(".")]
            found += [Path(here, f) for f in files if Path(f).suffix in CODE_SUFFIXES]
    digest = hashlib.sha256()
    for path in sorted(found):
        digest.update(path.relative_to(root).as_posix().encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


@lru_cache(maxsize=1024)
def static_fingerprint(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of static file ``filename`` (None if missing)."""
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


# -- negotiation of the content coding ----------------------------------------------------------


def content_coding(accept_encoding: Any) -> str:
    """The coding to send: ``br`` (when brotli is installed) or ``gzip``, whichever the client
    weighs higher (brotli on a tie), else ``identity``."""
    gz = accept_encoding.quality("gzip")
    br = accept_encoding.quality("br") if brotli is not None else 0
    if br > 0 and br >= gz:
        return "br"
    if gz > 0:
        return "gzip"
    return "identity"


def compressible(mimetype: str | None) -> bool:
    """Whether answers of this media type are worth compressing (text, RDF, JSON, SVG)."""
    return bool(mimetype) and any(
        mimetype == kind or (kind.endswith("/") and mimetype.startswith(kind))
        for kind in COMPRESSIBLE
    )


def compress(body: bytes, coding: str) -> bytes:
    """``body`` in ``coding`` (``gzip`` or ``br``); large bodies get a cheaper level."""
    large = len(body) > LARGE_BODY
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY - 1 if large else BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=1 if large else GZIP_LEVEL, mtime=0)


# -- the cache policy ---------------------------------------------------------------------------


class HttpCache:
    """The per-app state: the release id, the code fingerprint, and what each view varies on."""

    def __init__(self, app: Flask) -> None:
        settings: Settings = app.config["SETTINGS"]
        self.settings = settings
        self.max_age = max(0, settings.http_max_age)
        self.public = f"public, max-age={self.max_age}"  # Cache-Control of a reusable answer
        self.fingerprint = hashlib.sha256(
            (code_fingerprint() + repr(settings)).encode("utf-8")
        ).hexdigest()[:24]
        # view -> (request headers its answers vary on, whether they are compressed)
        self.varies: dict[str, tuple[tuple[str, ...], bool]] = {}
        self._lock = threading.Lock()
        self._release: str | None = None
        self._release_at = 0.0
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._kept_bytes = 0

    @staticmethod
    def of(app: Flask) -> HttpCache:
        """The state :func:`install` gave ``app``."""
        return app.extensions["hmic_http_cache"]  # type: ignore[no-any-return]

    def release(self) -> str | None:
        """The release id: the store's ``release`` attribute on every request when it has one
        (a store that may move to a new release while it runs), else found once (once every
        ``REMOTE_RELEASE_CHECK`` seconds for a store that is not embedded, whose server may load
        a new release at any time); None while a remote store cannot say (its answers are then
        not tagged)."""
        store = current_app.config["STORE"]
        named = getattr(store, "release", None)
        if isinstance(named, str) and named:  # a store that names its release: asked each time
            return named
        fixed = getattr(store, "backend", "") == "embedded"
        with self._lock:
            stale = not fixed and time.monotonic() - self._release_at > REMOTE_RELEASE_CHECK
            if self._release is None or stale:
                try:
                    self._release = release_id(store, self.settings)
                except StoreError:
                    self._release = None
                self._release_at = time.monotonic()
            return self._release

    def tag(self, varies: Iterable[str], coding: str) -> str | None:
        """The strong ETag of this request's answer when it varies on ``varies`` (None when
        the release is not known)."""
        return self.tag_for(
            request.scheme + "://" + request.host,  # (host_url: a slower IRI conversion)
            request.script_root + request.path,
            request.query_string.decode("latin-1"),
            coding,
            [(name, request.headers.get(name, "")) for name in varies],
        )

    def tag_for(
        self,
        origin: str,
        path: str,
        query_string: str,
        coding: str,
        headers: Iterable[tuple[str, str]],
    ) -> str | None:
        """:meth:`tag` from its inputs (the values of the request headers varied on)."""
        release = self.release()
        if release is None:
            return None
        digest = hashlib.sha256()
        for part in (release, self.fingerprint, origin, path, query_string, coding):
            digest.update(part.encode("utf-8", "replace") + b"\0")
        for name, value in headers:
            digest.update(f"{name.lower()}:{value}".encode("utf-8", "replace") + b"\0")
        return digest.hexdigest()[:32]

    def packed(self, tag: str | None, body: bytes, coding: str) -> bytes:
        """``body`` compressed in ``coding``, kept by ``tag`` when it has one."""
        return self.compressed(tag, body, coding) if tag else compress(body, coding)

    def compressed(self, tag: str, body: bytes, coding: str) -> bytes:
        """``body`` compressed in ``coding``; large answers are kept by ``tag`` (a tag names
        one representation, so the same tag always has the same bytes)."""
        if len(body) < KEPT_BODY:
            return compress(body, coding)
        with self._lock:
            found = self._kept.get(tag)
            if found is not None:
                self._kept.move_to_end(tag)
                return found
        packed = compress(body, coding)
        with self._lock:
            if tag not in self._kept and len(packed) <= KEPT_BYTES:
                self._kept[tag] = packed
                self._kept_bytes += len(packed)
                while self._kept_bytes > KEPT_BYTES:
                    _old, dropped = self._kept.popitem(last=False)
                    self._kept_bytes -= len(dropped)
        return packed

    def learn(self, view: str, varies: tuple[str, ...], eligible: bool) -> None:
        """Remember what the answers of ``view`` vary on (the last answer wins)."""
        if self.varies.get(view) != (varies, eligible):
            with self._lock:
                self.varies[view] = (varies, eligible)

    def cache_control(self) -> str:
        """``Cache-Control`` of a successful answer to this request."""
        if request.endpoint == "static" and request.view_args:
            filename = str(request.view_args.get("filename", ""))
            folder = current_app.static_folder or ""
            if request.args.get("v") and request.args.get("v") == static_fingerprint(
                folder, filename
            ):
                return IMMUTABLE
        return self.public


def _state() -> HttpCache:
    return HttpCache.of(current_app)


def _cacheable_method() -> bool:
    return request.method in ("GET", "HEAD")


def _view() -> str | None:
    return request.url_rule.endpoint if request.url_rule is not None else None


def _varies(vary: Iterable[str]) -> tuple[str, ...]:
    """The request headers a ``Vary`` names, canonically ordered (without
    ``Accept-Encoding``, which enters the tag as the chosen coding)."""
    return tuple(sorted({h.title() for h in vary if h.lower() != "accept-encoding"}))


def _matches(tag: str) -> bool:
    """Whether the request's ``If-None-Match`` names ``tag`` (garbage and ``*`` never do)."""
    wanted = request.if_none_match
    return not wanted.star_tag and wanted.contains_weak(tag)


def _not_modified(tag: str, cache_control: str, vary: Iterable[str]) -> Response:
    response = Response(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control
    for name in vary:
        response.vary.add(name)
    del response.headers["Content-Type"]
    g.hmic_not_modified = True
    return response


def _before() -> Response | None:
    """Answer 304 before the view runs when the client already holds this answer. The view
    itself never sees the client's validators (``send_file`` would judge them by its own tags
    and dates): they are judged here, by this module's tags only."""
    if not _cacheable_method():
        return None
    request.if_none_match  # noqa: B018 - parsed (and kept) before the environ loses it
    request.environ.pop("HTTP_IF_NONE_MATCH", None)
    request.environ.pop("HTTP_IF_MODIFIED_SINCE", None)
    if not request.if_none_match:
        return None
    if "HTTP_RANGE" in request.environ:  # (a lookup in headers raises and catches a KeyError)
        return None
    state = _state()
    view = _view()
    known = state.varies.get(view) if view else None
    if known is None:
        return None
    varies, eligible = known
    coding = content_coding(request.accept_encodings) if eligible else "identity"
    tag = state.tag(varies, coding)
    if tag is None or not _matches(tag):
        return None
    vary = [*varies, "Accept-Encoding"] if eligible else list(varies)
    return _not_modified(tag, state.cache_control(), vary)


def _after(response: Response) -> Response:
    """Tag, mark cacheable (or not) and compress the view's answer."""
    if g.get("hmic_not_modified"):
        return response
    if response.status_code >= 400:
        response.headers["Cache-Control"] = NO_STORE
        for name in ("ETag", "Last-Modified", "Expires"):
            response.headers.pop(name, None)
        return response
    state = _state()
    eligible = (
        compressible(response.mimetype)
        and response.headers.get("Content-Encoding") is None
        and "HTTP_RANGE" not in request.environ
        and response.status_code not in (204, 206, 304)
    )
    coding = content_coding(request.accept_encodings) if eligible else "identity"
    if eligible:
        response.vary.add("Accept-Encoding")
    if not _cacheable_method():  # a POSTed query: compressed, never stored
        response.headers["Cache-Control"] = NO_STORE
        return _encode(response, coding, None)
    varies = _varies(response.vary)
    view = _view()
    if view is not None:
        state.learn(view, varies, eligible)
    tag = state.tag(varies, coding)
    if tag is None:  # the release is not known: nothing may be reused
        response.headers["Cache-Control"] = "no-cache"
        response.headers.pop("ETag", None)
        return _encode(response, coding, None)
    own = response.headers.get("Cache-Control", "")
    if "no-store" not in own and "private" not in own:
        response.headers["Cache-Control"] = state.cache_control()
    response.headers.pop("Expires", None)
    response.headers.pop("Last-Modified", None)  # validated by ETag only
    response.set_etag(tag)
    if _matches(tag) and response.status_code == 200:
        response.close()  # a file answer's file
        return _not_modified(tag, response.headers["Cache-Control"], response.vary)
    return _encode(response, coding, tag)


def _encode(response: Response, coding: str, tag: str | None) -> Response:
    """``response`` with its body in ``coding`` (kept by ``tag`` when large and tagged)."""
    if coding == "identity":
        return response
    response.direct_passthrough = False  # send_file's answers stream from the file
    source = response.response  # taken before get_data() replaces it with the bytes read
    body = response.get_data()
    if hasattr(source, "close"):  # the file it was read from
        source.close()
    if body:
        response.set_data(_state().packed(tag, body, coding))
        response.headers["Content-Encoding"] = coding
    return response


def finish_plain(
    state: HttpCache,
    view: str,
    environ: dict[str, Any],
    headers: list[tuple[str, str]],
    body: bytes,
) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body :func:`_after` and :func:`_encode` give a view's 200 answer to a
    plain ``GET`` (no validators, no range: :func:`plain_get`), computed from the WSGI
    environ without a request context, for an endpoint answered outside Flask
    (:mod:`web.endpoint.fastlane`). ``headers`` carry the answer's ``Content-Type`` and
    ``Vary``."""
    found = {name.lower(): value for name, value in headers}
    mimetype = found.get("content-type", "").split(";", 1)[0].strip().lower() or None
    eligible = compressible(mimetype) and "content-encoding" not in found
    coding = "identity"
    if eligible:
        coding = content_coding(parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING")))
    vary = [v.strip() for v in found.get("vary", "").split(",") if v.strip()]
    if eligible and "accept-encoding" not in {v.lower() for v in vary}:
        vary.append("Accept-Encoding")
    varies = _varies(vary)
    state.learn(view, varies, eligible)
    host = get_host(environ)
    tag = state.tag_for(
        f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        environ.get("SCRIPT_NAME", "").rstrip("/") + "/" + _path(environ).lstrip("/"),
        environ.get("QUERY_STRING", ""),
        coding,
        [(name, environ.get("HTTP_" + name.upper().replace("-", "_"), "")) for name in varies],
    )
    out = [(n, v) for n, v in headers if n.lower() not in ("vary", "expires", "last-modified")]
    if vary:
        out.append(("Vary", ", ".join(vary)))
    if tag is None:
        out.append(("Cache-Control", "no-cache"))
    else:
        own = found.get("cache-control", "")
        if "no-store" not in own and "private" not in own:
            out = [(n, v) for n, v in out if n.lower() != "cache-control"]
            out.append(("Cache-Control", state.public))
        out.append(("ETag", f'"{tag}"'))
    if coding != "identity" and body:
        body = state.packed(tag, body, coding)
        out.append(("Content-Encoding", coding))
    return out, body


def plain_get(environ: dict[str, Any]) -> bool:
    """Whether a request is a ``GET`` without validators or a range (the answers
    :func:`finish_plain` finishes)."""
    return environ.get("REQUEST_METHOD") == "GET" and not any(
        key in environ for key in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")
    )


def _path(environ: dict[str, Any]) -> str:
    """The request path as Werkzeug decodes it (WSGI gives it as latin-1 bytes)."""
    return str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace")


def _static_url_defaults(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for('static', filename=…)`` adds ``v=<content fingerprint>``."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        found = static_fingerprint(current_app.static_folder or "", str(values["filename"]))
        if found is not None:
            values["v"] = found


def install(app: Flask) -> None:
    """Hook HTTP caching into ``app`` (call once, from ``create_app``)."""
    app.extensions["hmic_http_cache"] = HttpCache(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _before)
    app.after_request(_after)
    app.url_defaults(_static_url_defaults)
