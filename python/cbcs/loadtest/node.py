"""The node a load test starts for itself: ``cbcs serve`` with the per-IP limits lifted
(every simulated client shares 127.0.0.1) and no request log."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path


def main() -> int:
    from cbcs.commands.serve import _serve
    from cbcs.server.config import ServerConfig
    from cbcs.server.ratelimit import Rate

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = ServerConfig(data_dir=args.data_dir, port=args.port)
    lifted = Rate(per_s=1e6, burst=1e6)
    config = replace(config, limits=replace(config.limits, per_ip=lifted, login_per_ip=lifted,
                                            ws_queue_frames=1024))
    return asyncio.run(_serve(config))


if __name__ == "__main__":
    sys.exit(main())
