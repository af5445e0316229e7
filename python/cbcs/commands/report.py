"""``cbcs report agents``: how the agents did, from the store: a table per agent, language
and market, plots and JSON. The figures are defined in :mod:`cbcs.routing.agent_stats`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from cbcs.commands._args import output_dir, output_file


def register(sub: Any) -> None:
    parser = sub.add_parser("report", help="reports from the store (agents)")
    kinds = parser.add_subparsers(dest="area", required=True, metavar="REPORT")
    p = kinds.add_parser(
        "agents", help="per agent, language and market: conversations, first response, "
                       "handling, resolution, sentiment at the end, transfers",
        description="Agent analytics from the store: per agent, per language and per "
                    "market, the conversations handled, first response and handling time "
                    "(median and p90), resolution rate, the customer's sentiment at the end "
                    "and the transfer rate. Try it on a simulated week: cbcs demo-shop "
                    "--data-dir DIR --simulate-week.")
    p.add_argument("--since", type=_since, default="7d",
                   help="the window: 7d, 12h, 30m, 2w, an ISO date (2026-12-01 or "
                        "2026-12-01T08:00Z) or a UNIX time (default 7d)")
    p.add_argument("--data-dir", type=Path, default=Path("cbcs-data"),
                   help="the data dir of cbcs serve (default ./cbcs-data)")
    p.add_argument("--store", metavar="URL", default=None,
                   help="postgresql://user@host/db (default: sqlite in --data-dir)")
    p.add_argument("--plot", type=output_dir, metavar="DIR", default=None,
                   help="write the plots (PNG) into this folder")
    p.add_argument("--json", type=output_file, metavar="FILE", default=None,
                   help="write the figures as JSON")
    p.set_defaults(handler=run)


def _since(text: str) -> str:
    from cbcs.errors import ConfigError
    from cbcs.routing.agent_stats import parse_since

    try:
        if parse_since(text, time.time()) > time.time():
            raise argparse.ArgumentTypeError(f"{text}: is in the future")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("since: ")) from None
    return text


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from cbcs.commands.serve import _without_password
    from cbcs.errors import ConfigError
    from cbcs.routing.agent_stats import agent_stats, parse_since, parts
    from cbcs.store import default_url, open_store

    if args.store is None:
        if not args.data_dir.is_dir():
            raise ConfigError(f"--data-dir: {args.data_dir} is not a folder (load one with "
                              f"cbcs demo-shop --data-dir {args.data_dir} --simulate-week, "
                              "or point at the data dir of cbcs serve)")
        if not (args.data_dir / "cbcs.db").is_file():
            raise ConfigError(f"--data-dir: no store (cbcs.db) in {args.data_dir}")
    url = args.store or default_url(args.data_dir)
    now = time.time()
    since = parse_since(args.since, now)

    async def read() -> tuple[Any, dict[str, str]]:
        store = await open_store(url)
        _say(f"cbcs report agents: reading {_without_password(url)} since {_utc(since)}")
        try:
            activity = await store.agent_activity(since)
            names = {agent.id: agent.name for agent, _ in await store.list_agents()}
        finally:
            await store.close()
        return activity, names

    started = time.monotonic()
    activity, names = asyncio.run(read())
    stats = agent_stats(activity, now, names)
    _say(f"  {len(activity.tasks)} tasks in {len(activity.conversations)} conversations "
         f"read in {time.monotonic() - started:.1f} s")
    print(render(stats))
    if args.json is not None:
        args.json.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        _say(f"  figures written to {args.json}")
    if args.plot is not None:
        from cbcs.commands._agent_plots import plot_all

        _say(f"  plotting into {args.plot} ...")
        for path in plot_all(parts(activity), stats, args.plot, names):
            _say(f"  wrote {path}")
    return 0


def _utc(t: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _dur(seconds: object) -> str:
    if not isinstance(seconds, (int, float)):
        return "-"
    s = int(round(seconds))
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60:02d}s"


def _pct(value: object) -> str:
    return f"{value * 100:.0f}%" if isinstance(value, (int, float)) else "-"


def _mood(row: dict[str, Any]) -> str:
    mean = row["sentiment_end"]["mean"]
    return "-" if mean is None else f"{mean:+.2f}"


def render(stats: dict[str, Any]) -> str:
    """The table: agents, then languages, then markets, then all."""
    head = (f"{'':<28}{'conv':>6}{'1st reply p50':>14}{'p90':>8}{'handling p50':>14}"
            f"{'p90':>8}{'resolved':>10}{'transfer':>10}{'mood end':>10}")

    def line(label: str, row: dict[str, Any]) -> str:
        fr, hd = row["first_response_s"], row["handling_s"]
        return (f"{label[:27]:<28}{row['conversations']:>6}{_dur(fr['p50']):>14}"
                f"{_dur(fr['p90']):>8}{_dur(hd['p50']):>14}{_dur(hd['p90']):>8}"
                f"{_pct(row['resolution_rate']):>10}{_pct(row['transfer_rate']):>10}"
                f"{_mood(row):>10}")

    out = [f"agents since {_utc(stats['since'])}", head]
    out += [line(f"{r['name']} ({r['agent']})" if r["name"] != r["agent"] else r["agent"], r)
            for r in stats["agents"]]
    if not stats["agents"]:
        out.append("  (no conversation was handled by an agent in this window)")
    else:
        out += ["", "by language", head] + [line(r["language"], r) for r in stats["languages"]]
        out += ["", "by market", head] + [line(r["market"], r) for r in stats["markets"]]
    out += ["", line("all", stats["total"]),
            "mood end: the customer's sentiment when closed, -1 negative .. +1 positive"]
    return "\n".join(out)
