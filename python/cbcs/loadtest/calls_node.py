"""The node of ``cbcs loadtest calls``, in a process of its own so that its CPU time is its
own: ``python -m cbcs.loadtest.calls_node --data-dir DIR``.

A node as ``cbcs serve`` runs it (embedded store, in-memory bus, the AI tier off, so no
captions), on a free loopback port, with the call legs offering 127.0.0.1 and the per-IP
limits lifted (every simulated client shares 127.0.0.1). The admin key comes from
``$CBCS_ADMIN_KEY``. It speaks JSON lines: first ``{"url": ...}`` on its standard output;
then, for each ``census`` line on its standard input, one line with every call leg's media
figures and the pieces of the media path it runs through (``core``, see
:class:`cbcs.rtc.Peer`). ``stop`` or the end of its input stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

#: the figures of a leg's :class:`cbcs.rtc.stats.CallStats` a census reports
LEG_FIGURES = ("packets_received", "packets_lost", "loss_before_recovery_pct",
               "loss_after_recovery_pct", "recovered_fec", "recovered_red", "concealed_pct",
               "jitter_buffer_delay_ms", "jitter_ms", "rtt_ms", "mos", "red_depth",
               "opus_bitrate_bps")


async def census(node: Any) -> dict[str, Any]:
    """Every leg of every call on ``node``: conversation, role, core pieces and figures."""
    legs = []
    for conversation, call in list(node.calls.calls.items()):
        for party, leg in list(call.legs.items()):
            stats = await leg.peer.stats()
            legs.append({"conversation": conversation, "party": party, "role": leg.role,
                         "core": list(stats.core),
                         **{k: getattr(stats, k) for k in LEG_FIGURES}})
    return {"legs": legs, "threads": threading.active_count()}


async def _stdin() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve(data_dir: Path) -> int:
    """Run the node until ``stop`` or the end of standard input."""
    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig
    from cbcs.server.ratelimit import Rate

    config = ServerConfig(data_dir=data_dir, call_addresses=("127.0.0.1",), ai="off",
                          translation="off")
    lifted = Rate(per_s=1e6, burst=1e6)
    config = replace(config, limits=replace(config.limits, per_ip=lifted, login_per_ip=lifted,
                                            ws_queue_frames=1024))
    async with running(config) as (url, node):
        print(json.dumps({"url": url}), flush=True)
        commands = await _stdin()
        while line := await commands.readline():
            command = line.decode().strip()
            if command == "census":
                print(json.dumps(await census(node)), flush=True)
            elif command == "stop":
                break
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    return asyncio.run(serve(args.data_dir))


if __name__ == "__main__":
    sys.exit(main())
