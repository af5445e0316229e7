"""``cbcs translate --source es --target en``: one sentence per line on stdin, one
translation per line on stdout (``[untranslated] `` and the original where no model covers
the pair), for scripts and for checking quality from outside."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cbcs.commands._args import int_range
from cbcs.translation.languages import LANGUAGES, check_supported

#: what a line starts with when no model covers the pair (the original follows)
UNTRANSLATED_PREFIX = "[untranslated] "


def _language(text: str) -> str:
    try:
        return check_supported("language", text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LANGUAGES)}, "
                                         f"got {text!r}") from None


_language.__name__ = "language"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "translate", help="translate lines of text between the eight languages",
        description="Translate stdin line by line with the offline models installed here "
                    "(Bergamot en <-> pt-BR; the offline LLM for es and zh with English when "
                    "cbcs[llm] is installed; other pairs through English where both hops "
                    "are covered). Lines no model covers are printed as '[untranslated] ' "
                    "and the original. The provider of the pair goes to stderr.")
    parser.add_argument("--source", "-s", type=_language, required=True,
                        help=f"language of the input: {', '.join(LANGUAGES)}")
    parser.add_argument("--target", "-t", type=_language, required=True,
                        help="language to translate into (same choices)")
    parser.add_argument("--no-llm", action="store_true",
                        help="do not use the offline LLM (only Bergamot's pairs)")
    parser.add_argument("--threads", type=int_range(1, 64), default=1,
                        help="threads of the offline LLM (default 1: the cores are shared)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="do not print the provider on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cbcs.translation import default_service

    service = default_service(llm=False if args.no_llm else None, llm_threads=args.threads)
    provider = service.provider_for(args.source, args.target)
    if not args.quiet:
        print(f"cbcs translate: {args.source}->{args.target}: {provider}", file=sys.stderr)
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        if not line.strip():
            print(line, flush=True)
            continue
        result = service.translate(line, args.source, args.target)
        if result.text is None:
            print(f"{UNTRANSLATED_PREFIX}{line}", flush=True)
        else:
            print(result.text.replace("\n", " "), flush=True)
    return 0
