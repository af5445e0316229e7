"""The ``cbcs`` command: one subcommand per module in :mod:`cbcs.commands`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import cbcs.commands
from cbcs.errors import CbcsError


def build_parser() -> argparse.ArgumentParser:
    """Collect every ``cbcs.commands.<name>`` module (each defines ``register(subparsers)``)."""
    parser = argparse.ArgumentParser(
        prog="cbcs", description="cbcs: real-time media for multilingual customer service"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(cbcs.commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"cbcs.commands.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cbcs`` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (CbcsError, FileNotFoundError) as exc:
        print(f"cbcs {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
