"""The pages a node serves carry the security headers, a Content-Security-Policy that allows
their own origin only (no inline script, no eval), and load nothing from anywhere else; the
widget's page alone may be framed (by the builders' sites); nothing outside the static
folder or of a type not served is answered."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cbcs.bench.harness.chromium import available
from cbcs.client import Client
from widget_harness import (
    chromium,
    js_until,
    node_config,
    running,
    shop_page,
    shop_server,
    widget_frame,
)

PAGES = ["/web/", "/web/widget/", "/web/widget/index.html", "/web/common/api.js",
         "/web/widget/widget.css", "/web/widget/i18n/es.json", "/widget.js"]
#: recorded in every frame before its scripts run (Playwright's init script is not subject
#: to the page's CSP): what the browser refused
WATCH = """addEventListener('securitypolicyviolation', (e) => {
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);
});"""


def policy(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_pages_are_served_with_a_same_origin_policy_and_nothing_else_is(
        tmp_path: Path) -> None:
    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(node_config(tmp_path)) as (url, _node), \
                aiohttp.ClientSession() as http:
            host = url.removeprefix("http://")
            for path in PAGES:
                async with http.get(url + path, allow_redirects=False) as r:
                    seen[path] = (r.status, dict(r.headers), r.content_type)
            for path in ["/", "/web", "/web/widget"]:
                async with http.get(url + path, allow_redirects=False) as r:
                    seen[path] = (r.status, r.headers.get("Location"))
            for path in ["/web/../pyproject.toml", "/web/%2e%2e/%2e%2e/pyproject.toml",
                         "/web/common/README.md", "/web/.hidden", "/web/nothing.html",
                         "/web/common/..%2f..%2f__init__.py"]:
                async with http.get(url + path, allow_redirects=False) as r:
                    seen[path] = (r.status, None)
            seen["host"] = host
        return seen

    seen = asyncio.run(go())
    host = seen["host"]
    for path in PAGES:
        status, headers, _ = seen[path]
        assert status == 200, (path, status)
        csp = policy(headers["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"], csp
        assert csp["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}"], csp
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], csp
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert "camera=(self)" in headers["Permissions-Policy"], path
        framed = path.startswith("/web/widget/") and path.endswith(("/", ".html"))
        if framed:   # the widget's page: in an iframe on the builders' sites
            assert csp["frame-ancestors"] == ["*"] and "X-Frame-Options" not in headers, path
        else:
            assert csp["frame-ancestors"] == ["'none'"], path
            assert headers["X-Frame-Options"] == "DENY", path
    assert seen["/web/widget/"][2] == "text/html"
    assert seen["/widget.js"][2] == "text/javascript"
    assert seen["/widget.js"][1]["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert seen["/web/widget/i18n/es.json"][2] == "application/json"
    assert seen["/"] == (302, "/web/") and seen["/web"] == (302, "/web/")
    assert seen["/web/widget"] == (302, "/web/widget/")
    for path in ["/web/../pyproject.toml", "/web/%2e%2e/%2e%2e/pyproject.toml",
                 "/web/common/README.md", "/web/.hidden", "/web/nothing.html",
                 "/web/common/..%2f..%2f__init__.py"]:
        assert seen[path][0] == 404, (path, seen[path])


@pytest.mark.skipif(not available(), reason="needs Chromium and Playwright")
def test_the_widget_and_the_index_load_nothing_from_outside_the_origin(tmp_path: Path) -> None:
    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(node_config(tmp_path)) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                token = await admin.mint_token("customer", "cust-mx-1")
            async with chromium(locale="es-MX") as b, \
                    shop_server(shop_page(url, token, lang="es", open="true")) as shop:
                await b.ctx.add_init_script(WATCH)
                # the widget embedded on a builder's page, opened
                await b.page.goto(shop)
                frame = await widget_frame(b.page)
                await js_until(frame, "() => document.querySelector('#status')"
                               ".classList.contains('state-open')", what="connected")
                seen["widget_lang"] = await frame.evaluate("document.documentElement.lang")
                seen["widget_csp"] = await frame.evaluate("window.__csp || []")
                seen["inline_blocked"] = await frame.evaluate("""() => {
                    const s = document.createElement('script');
                    s.textContent = 'window.__inline = 1';
                    document.head.append(s);
                    return window.__inline === undefined;
                }""")
                await asyncio.sleep(0.2)   # the violation event is queued
                seen["after_inline"] = await frame.evaluate("window.__csp || []")
                # the index page on its own
                await b.page.goto(f"{url}/web/")
                seen["index_title"] = await b.page.title()
                seen["index_csp"] = await b.page.evaluate("window.__csp || []")
                seen["requests"] = list(b.requests)
                seen["shop"] = shop.rsplit("/", 1)[0] + "/"
                seen["errors"] = list(b.errors)
            seen["url"] = url
        return seen

    seen = asyncio.run(go())
    assert seen["widget_lang"] == "es", seen
    assert seen["widget_csp"] == [] and seen["index_csp"] == [], seen
    assert seen["inline_blocked"] is True, seen
    assert [v.split()[0] for v in seen["after_inline"]] == ["script-src-elem"], seen  # seen
    assert seen["index_title"] == "cbcs", seen
    node = seen["url"]
    ours = [u for u in seen["requests"] if u.startswith(node + "/")]
    assert any(u.endswith("/web/common/api.js") for u in ours), ours
    outside = [u for u in seen["requests"]
               if not u.startswith((node + "/", seen["shop"]))]
    assert not outside, outside
    assert not seen["errors"], seen["errors"]
