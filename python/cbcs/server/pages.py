"""The browser pages (:mod:`cbcs.web`) on a node: ``/web/...`` from the package's static
files, ``/widget.js`` (the one-``<script>``-tag embed loader) and ``/`` (to the index).

Every page answer carries the security headers, with a Content-Security-Policy that lets a
page load and connect to its own origin only (the live channel's ``ws:``/``wss:`` to the
same host included) and run no inline script. The customer widget's page may be framed by
other sites (the embed loader puts it in an iframe on the builder's pages): by any, unless
``CBCS_WIDGET_FRAME_ANCESTORS`` names the allowed origins (space-separated CSP sources);
every other page may not be framed at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from cbcs.server.api import error_response
from cbcs.web import STATIC

#: what a file's suffix is served as; anything else is not served
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
#: the folder of the customer widget's page, which other sites may frame
WIDGET = "widget"
#: the embed loader, served as ``/widget.js``
LOADER = Path(WIDGET) / "embed.js"


def csp(host: str, *, frame_ancestors: str = "'none'") -> str:
    """The pages' Content-Security-Policy for a request to ``host`` (``name[:port]``)."""
    ws = f" ws://{host} wss://{host}" if _safe_host(host) else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data: blob:; media-src 'self' blob:; "
            f"connect-src 'self'{ws}; worker-src 'self' blob:; object-src 'none'; "
            f"frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'")


def _safe_host(host: str) -> bool:
    # a Host header goes into a header value: letters, digits, dots, dashes, a port, IPv6
    return bool(host) and len(host) <= 255 and all(c.isalnum() or c in ".-:[]" for c in host)


def page_headers(base: Mapping[str, str], host: str, *, frameable: bool) -> dict[str, str]:
    """``base`` (the node's security headers) adjusted for a page: its CSP, and for the
    framed widget no ``X-Frame-Options`` and the allowed frame ancestors."""
    headers = dict(base)
    if frameable:
        headers.pop("X-Frame-Options", None)
        ancestors = os.environ.get("CBCS_WIDGET_FRAME_ANCESTORS", "").strip() or "*"
        if not all(_safe_source(s) for s in ancestors.split()):
            ancestors = "'none'"   # a broken setting frames nowhere rather than anywhere
        headers["Content-Security-Policy"] = csp(host, frame_ancestors=ancestors)
    else:
        headers["Content-Security-Policy"] = csp(host)
    headers["Cache-Control"] = "no-cache"
    return headers


def _safe_source(source: str) -> bool:
    return source in ("*", "'self'", "'none'") or all(
        c.isalnum() or c in ".-:/*[]" for c in source)


def resolve(root: Path, relative: str) -> Path | None:
    """The file under ``root`` a URL path names (a folder: its ``index.html``), or None
    for anything outside it, hidden (a part starting with a dot) or of a type not served."""
    parts = [p for p in relative.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    path = root.joinpath(*parts)
    try:
        path = path.resolve()
        if not path.is_relative_to(root.resolve()):
            return None
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    return path if path.suffix in TYPES else None


class Page(web.FileResponse):
    """A static file answered with exactly ``headers`` for the security ones: set when the
    answer is sent, after the middleware's defaults (which they replace; the framed
    widget's page drops ``X-Frame-Options``)."""

    def __init__(self, path: Path, headers: Mapping[str, str]) -> None:
        super().__init__(path)
        self.exact = dict(headers)
        self.content_type = TYPES[path.suffix].split(";")[0]
        if "charset" in TYPES[path.suffix]:
            self.charset = "utf-8"

    async def prepare(self, request: web.BaseRequest) -> Any:
        transport = request.transport
        if transport is None or transport.is_closing():
            # the browser left (a closed tab): aiohttp drops a ConnectionError quietly,
            # where sending into the closed connection would log a traceback
            raise ConnectionResetError("the browser left before the page was sent")
        if "X-Frame-Options" not in self.exact:
            self.headers.pop("X-Frame-Options", None)
        self.headers.update(self.exact)
        return await super().prepare(request)


def add_routes(app: web.Application, security_headers: Mapping[str, str],
               root: Path = STATIC) -> None:
    """``GET /``, ``/web/...`` and ``/widget.js`` on ``app``."""

    async def serve(request: web.Request, path: Path | None) -> web.StreamResponse:
        if path is None:
            return error_response(404, "not_found", "no such page")
        frameable = path.suffix == ".html" and path.parent.name == WIDGET \
            and path.parent.parent == root.resolve()
        return Page(path, page_headers(security_headers, request.host, frameable=frameable))

    async def page(request: web.Request) -> web.StreamResponse:
        relative = request.match_info.get("path", "")
        target = resolve(root, relative)
        if target is not None and target.name == "index.html" \
                and not relative.endswith(("/", ".html")) and relative:
            raise web.HTTPFound(f"/web/{relative}/")   # relative links resolve in the folder
        return await serve(request, target)

    async def loader(request: web.Request) -> web.StreamResponse:
        path = resolve(root, LOADER.as_posix())
        if path is None:
            return error_response(404, "not_found", "no widget loader in this install")
        headers = page_headers(security_headers, request.host, frameable=False)
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"   # builders' pages load it
        return Page(path, headers)

    async def index(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/web/")

    async def web_root(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/web/")

    app.router.add_get("/", index)
    app.router.add_get("/web", web_root)
    app.router.add_get("/web/{path:.*}", page)
    app.router.add_get("/widget.js", loader)
