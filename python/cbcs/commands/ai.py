"""``cbcs ai classify``: language, intent, sentiment and the escalation decision per text."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from cbcs.errors import ConfigError

BATCH = 32


def register(sub: Any) -> None:
    p = sub.add_parser("ai", help="the AI tier's offline models on files",
                       description="The AI tier's offline models, on files.")
    ai = p.add_subparsers(dest="ai_command", required=True, metavar="COMMAND")
    c = ai.add_parser(
        "classify", help="language, intent, sentiment and escalation for each line",
        description="Read JSON lines {\"id\", \"text\", \"channel\"} and write JSON lines "
                    "{\"id\", \"lang\", \"intent\", \"sentiment\", \"escalate\", "
                    "\"reason\"}, with offline models (pip install 'cbcs[ai]').")
    c.add_argument("--input", type=Path, required=True, help="JSON lines to read")
    c.add_argument("--output", type=Path, required=True, help="JSON lines to write")
    c.set_defaults(handler=classify)


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ConfigError(f"--input: {path} is not UTF-8 text") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"--input: line {n} is not JSON ({exc})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) \
                or "id" not in row:
            raise ConfigError(f"--input: line {n}: expected an object with \"id\" and "
                              f"\"text\"")
        rows.append(row)
    return rows


def classify(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        raise ConfigError(f"--input: no file {args.input}")
    if not args.output.parent.resolve().is_dir():
        raise ConfigError(f"--output: no folder {args.output.parent}")
    rows = _read(args.input)
    from cbcs.ai.embeddings import E5Embeddings
    from cbcs.ai.escalation import decide
    from cbcs.ai.langid import LinguaLanguageId
    from cbcs.ai import classifier

    started = time.monotonic()
    embeddings = E5Embeddings()
    langid = LinguaLanguageId()
    intents, sentiments = classifier.intents(embeddings), classifier.sentiments(embeddings)
    escalations = classifier.escalations(embeddings)
    progress = sys.stderr.isatty() or len(rows) > 200
    with open(args.output, "w", encoding="utf-8") as out:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            texts = [r["text"] for r in batch]
            langs = [langid.detect(t).lang for t in texts]
            labels, learned = escalations.probabilities(texts)
            for row, lang, intent, sentiment, p in zip(
                    batch, langs, intents.classify_many(texts),
                    sentiments.classify_many(texts), learned):
                decision = decide(row["text"], intent.label, sentiment.label,
                                  dict(zip(labels, (float(x) for x in p))))
                out.write(json.dumps({"id": row["id"], "lang": lang, "intent": intent.label,
                                      "sentiment": sentiment.label,
                                      "escalate": decision.escalate,
                                      "reason": decision.reason}, ensure_ascii=False) + "\n")
            if progress:
                done = min(start + BATCH, len(rows))
                print(f"\rcbcs ai classify: {done}/{len(rows)} lines", end="",
                      file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    print(f"cbcs ai classify: {len(rows)} lines in {time.monotonic() - started:.1f} s "
          f"-> {args.output}")
    return 0
