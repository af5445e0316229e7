"""``cbcs demo-shop``: load the demo seller (Casa Lumen) into a store, to try the service."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from cbcs.commands._args import float_range


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo-shop", help="load a demo seller: agents, queues, articles, customers, orders",
        description="Load Casa Lumen, a made-up home-goods seller in seven markets: ten "
                    "agents in five time zones speaking eight languages, a queue per market "
                    "and language (with fallbacks), knowledge-base articles, customers and "
                    "their orders. Running it again replaces the demo's records and keeps "
                    "everything else. Then start the service on the same data dir.")
    p.add_argument("--data-dir", type=Path, default=Path("cbcs-data"),
                   help="the data dir cbcs serve will use (default ./cbcs-data)")
    p.add_argument("--store", metavar="URL", default=None,
                   help="postgresql://user@host/db (default: sqlite in --data-dir)")
    p.add_argument("--simulate-week", action="store_true",
                   help="then simulate the last seven days of conversations (agents "
                        "answering, closing, passing on) for cbcs report agents; each run "
                        "adds another simulated week")
    p.add_argument("--per-day", type=float_range(1, 2000), default=110.0,
                   help="conversations a day in the simulated week (default 110)")
    p.add_argument("--seed", type=int, default=7, help="seed of the simulated week")
    p.set_defaults(handler=run)


async def _simulate(url: str, now: float, args: argparse.Namespace) -> None:
    from cbcs.demo.week import WEEK, simulate_week
    from cbcs.store import open_store

    start = float(int(now // 60) * 60) - WEEK
    print("cbcs demo-shop: simulating the last seven days of conversations at Casa Lumen ...",
          flush=True)
    store = await open_store(url)
    try:
        week = await simulate_week(store, start, per_day=args.per_day, seed=args.seed,
                                   progress=lambda line: print(line, flush=True))
    finally:
        await store.close()
    print(f"  {week.conversations} conversations: {week.accepted} offers accepted by agents, "
          f"{week.closed} closed by them, {week.transferred} passed on, {week.overflowed} "
          f"back to the AI with a callback (no agent in time); "
          f"{week.seconds:.0f} s")
    where = f"--store {args.store}" if args.store else f"--data-dir {args.data_dir}"
    print(f"  then: cbcs report agents {where} --since 7d --plot out/")


def run(args: argparse.Namespace) -> int:
    from cbcs.commands.serve import _without_password
    from cbcs.demo.shop import build, put_into
    from cbcs.errors import ConfigError
    from cbcs.routing.workflow import Workflow
    from cbcs.store import default_url, open_store

    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise ConfigError(f"--data-dir: {args.data_dir} is not a folder")
    now = time.time()
    shop = build(now)
    for queue in shop.queues:
        Workflow.compile(queue)   # a bad target fails here, before anything is stored
    args.data_dir.mkdir(parents=True, exist_ok=True)
    url = args.store or default_url(args.data_dir)

    async def load() -> None:
        store = await open_store(url)
        try:
            await put_into(store, shop, now)
        finally:
            await store.close()

    asyncio.run(load())
    data = args.data_dir
    print(f"cbcs demo-shop: Casa Lumen loaded into {_without_password(url)}")
    print(f"  {len(shop.agents)} agents in {len(shop.time_zones)} time zones, "
          f"{len(shop.languages)} languages ({', '.join(sorted(shop.languages))})")
    print(f"  {len(shop.queues)} queues ({', '.join(q.name for q in shop.queues)})")
    print(f"  {len(shop.articles)} articles, {len(shop.customers)} customers, "
          f"{len(shop.orders)} orders")
    if args.simulate_week:
        asyncio.run(_simulate(url, now, args))
    store_opt = f" --store {args.store}" if args.store else ""
    print(f"""
Try it (the web pages come in a later issue; until then, the API):
  cbcs serve --data-dir {data}{store_opt}
  KEY=$(cat {data}/admin.key)      # or $CBCS_ADMIN_KEY if you set one
  API=http://127.0.0.1:8080/api/v1
  # a customer in Manila: mint a token, start a conversation, ask for a person
  TOKEN=$(curl -s -H "Authorization: Bearer $KEY" --json '{{"role":"customer","subject":"cust-ph-1"}}' \\
      $API/tokens | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  CONV=$(curl -s -H "Authorization: Bearer $TOKEN" --json '{{"channel":"chat"}}' \\
      $API/conversations | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -s -H "Authorization: Bearer $TOKEN" --json '{{"client_id":"m1","text":"Can I pay cash on delivery?"}}' \\
      $API/conversations/$CONV/messages
  curl -s -H "Authorization: Bearer $TOKEN" --json '{{"reason":"my sofa"}}' $API/conversations/$CONV/escalate
  # the queues as a supervisor sees them (Maria and Jose take PH-en when their shift is on)
  curl -s -H "Authorization: Bearer $KEY" $API/stats/queues
  # load tests: cbcs loadtest chat | room | routing""")
    return 0
