"""``cbcs bench AREA``: side-by-side benchmarks against peers, with CI gates.

Every module ``cbcs.bench.<area>`` is an area (the ``harness`` package is what they
measure with). It defines ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args, report)``; the shared options ``--json``,
``--gate`` and ``--short`` are added here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
from typing import Any

import cbcs.bench
from cbcs.bench.report import Report
from cbcs.commands._args import audio_dir, output_file
from cbcs.media import samples


def register(sub: Any) -> None:
    parser = sub.add_parser("bench", help="run a benchmark against its peers")
    areas = parser.add_subparsers(dest="area", required=True, metavar="AREA")
    for info in sorted(pkgutil.iter_modules(cbcs.bench.__path__), key=lambda i: i.name):
        if info.name == "report" or info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"cbcs.bench.{info.name}")
        p = areas.add_parser(info.name, help=module.DESCRIPTION, description=module.DESCRIPTION)
        p.add_argument("--json", metavar="FILE", type=output_file,
                       help="write the side-by-side figures as JSON")
        p.add_argument("--gate", action="store_true",
                       help="exit non-zero when a done-when bound is missed")
        p.add_argument("--short", action="store_true",
                       help="the short trace set CI uses (fewer seeds, shorter traces)")
        p.add_argument("--audio-dir", metavar="DIR", type=audio_dir,
                       help="recorded speech and noise (speech/, noise/); default "
                            f"${samples.AUDIO_DIR_ENV} or ../shared/data/audio")
        module.add_arguments(p)
        p.set_defaults(handler=_runner(module))


def _runner(module: Any) -> Any:
    def handler(args: argparse.Namespace) -> int:
        if args.audio_dir is not None:  # every lookup below goes through cbcs.media.samples
            os.environ[samples.AUDIO_DIR_ENV] = str(args.audio_dir)
        report = Report(args.area)
        module.run(args, report)
        return report.finish(json_path=args.json, gate=args.gate)
    return handler
