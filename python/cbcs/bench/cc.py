"""``cbcs bench cc``: RFC 8867 congestion-control cases and the DESIGN.md profiles, cbcs's
send-side estimator beside aiortc's REMB estimator on every RFC 8868 metric, with the issue's
done-when gates."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any

import numpy as np

from cbcs.bench.report import Report
from cbcs.commands._args import output_dir, positive_int
from cbcs.cc_sim.harness import CaseResult, cases, run_case

DESCRIPTION = "congestion control (RFC 8867 cases) vs aiortc's REMB estimator"

ALGORITHMS = ("cbcs", "aiortc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plot", metavar="DIR", type=output_dir,
                        help="write PNG plots of rate against capacity")
    parser.add_argument("--seeds", type=positive_int, default=None,
                        help="seeds per case (default 3, or 1 with --short)")
    parser.add_argument("--case", action="append", default=None, type=_case_name,
                        help="run only this case (repeatable), e.g. 5.1 or latam-3g")
    parser.add_argument("--sweep", action="store_true",
                        help="also run the standing-queue sweep (drop-tail depths x sources, "
                             "cbcs only), e.g. sq-250-av")


def _case_name(text: str) -> str:
    known = cases(False)
    if text not in known:
        raise argparse.ArgumentTypeError(f"unknown case {text!r}; expected one of {', '.join(known)}")
    return text


def _fmt(x: float | None, spec: str = ".1f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "never"
    return format(x, spec)


def _mean(xs: list[float]) -> float:
    finite = [x for x in xs if x is not None and not math.isnan(x)]
    if not finite:
        return math.nan
    return float(np.mean(finite))


def _finite(x: float | None) -> float | None:
    return None if x is None or math.isinf(x) else x


def _worst(xs: list[float | None], high_is_bad: bool = True) -> float:
    vals = [math.inf if x is None else x for x in xs]
    return max(vals) if high_is_bad else min(vals)


def _plot(results: dict[str, dict[str, list[CaseResult]]], out_dir: str) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    written = []
    for case, by_alg in results.items():
        fig, axes = plt.subplots(len(ALGORITHMS), 1, figsize=(10, 3.2 * len(ALGORITHMS)), sharex=True)
        for ax, alg in zip(axes, ALGORITHMS):
            if alg not in by_alg:  # sweep cases run cbcs only
                ax.set_visible(False)
                continue
            r = by_alg[alg][0]
            cap_t = [t / 1000 for t, _ in r.capacity] + [r.duration_ms / 1000]
            cap_v = [v / 1e6 for _, v in r.capacity] + [r.capacity[-1][1] / 1e6]
            ax.step(cap_t, cap_v, where="post", color="black", lw=2, label="capacity")
            for f in r.flows:
                edges = np.arange(0, r.duration_ms + 200, 200)
                t = np.array([d[0] for d in f.log.delivered])
                b = np.array([d[1] for d in f.log.delivered], dtype=float)
                sums, _ = np.histogram(t, bins=edges, weights=b)
                ax.plot(edges[:-1] / 1000, sums * 8000 / 200 / 1e6, lw=1, label=f"{f.name} delivered")
                if f.log.target:
                    tt = np.array(f.log.target)
                    ax.plot(tt[:, 0] / 1000, tt[:, 1] / 1e6, lw=0.8, ls="--", label=f"{f.name} target")
            ax.set_ylabel("Mbit/s")
            ax.set_title(f"{case} — {alg} (seed {r.seed})")
            ax.legend(fontsize=7, loc="upper right")
        axes[-1].set_xlabel("time (s)")
        fig.tight_layout()
        path = os.path.join(out_dir, f"cc-{case}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def run(args: argparse.Namespace, report: Report) -> None:
    short = bool(args.short)
    seeds = args.seeds or (1 if short else 3)
    all_cases = cases(short)
    sweep = bool(getattr(args, "sweep", False))
    names = args.case or [n for n, c in all_cases.items() if not c.sweep or sweep]
    results: dict[str, dict[str, list[CaseResult]]] = {}
    for name in names:
        case = all_cases[name]
        # The sweep is about cbcs's own estimator; aiortc's column stays empty there.
        algs = ("cbcs",) if case.sweep else ALGORITHMS
        results[name] = {alg: [run_case(case, alg, seed) for seed in range(1, seeds + 1)]  # type: ignore[arg-type]
                         for alg in algs}

    header = ["case", "metric", *ALGORITHMS]
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {"seeds": seeds, "short": short, "cases": {}}
    for name, by_alg in results.items():
        fig_case: dict[str, Any] = {}
        metrics: dict[str, dict[str, float]] = {}
        for alg, runs in by_alg.items():
            m = {
                "utilisation": _mean([r.utilisation for r in runs]),
                "qdelay_p50_ms": _mean([r.qdelay_p50_ms for r in runs]),
                "qdelay_p95_ms": _mean([r.qdelay_p95_ms for r in runs]),
                "loss": _mean([r.loss for r in runs]),
            }
            if runs[0].jain is not None:
                m["jain"] = _mean([r.jain for r in runs if r.jain is not None])
                m["min_share"] = _mean([min(r.shares) for r in runs])
            if runs[0].settle_ms:
                for i in range(len(runs[0].settle_ms)):
                    m[f"settle_{i + 1}_ms"] = _worst([r.settle_ms[i] for r in runs])
            if runs[0].drop_rate_below_ms is not None:
                m["drop_rate_below_ms"] = _worst([r.drop_rate_below_ms for r in runs])
                m["drop_queue_under_100_ms"] = _worst([r.drop_queue_ms for r in runs])
            if runs[0].target_below_ms is not None:
                m["drop_target_below_ms"] = _worst([r.target_below_ms for r in runs])
            if runs[0].rise_80_ms is not None:
                m["rise_80_ms"] = _worst([r.rise_80_ms for r in runs])
            metrics[alg] = m
            fig_case[alg] = {**m, "per_seed": [
                {"seed": r.seed, "utilisation": r.utilisation, "qdelay_p50_ms": r.qdelay_p50_ms,
                 "qdelay_p95_ms": r.qdelay_p95_ms, "loss": r.loss, "jain": r.jain,
                 "shares": r.shares, "settle_ms": [None if math.isinf(s) else s for s in r.settle_ms],
                 "drop_rate_below_ms": r.drop_rate_below_ms, "drop_queue_ms": r.drop_queue_ms,
                 "drop_target_below_ms": _finite(r.target_below_ms),
                 "rise_80_ms": _finite(r.rise_80_ms),
                 "flow_rates_bps": [f.rate_bps for f in r.flows]} for r in runs]}
        figures["cases"][name] = fig_case
        for key in metrics["cbcs"]:
            spec = ".3f" if key in ("utilisation", "loss", "jain", "min_share") else ".0f"
            rows.append([name, key, *(_fmt(metrics[a].get(key), spec) if a in metrics else "-"
                                      for a in ALGORITHMS)])
    report.table(f"congestion control, {seeds} seed(s){' (short)' if short else ''}: "
                 "mean over seeds (settle/drop times: worst seed)", header, rows)
    report.figures.update(figures)

    # ---- gates (every gate is checked in --short too) ----
    def runs_of(case: str) -> list[CaseResult]:
        return results[case]["cbcs"] if case in results else []

    r51 = runs_of("5.1")
    if r51:
        report.check("5.1 utilisation >= 0.90 after 5 s (every seed)",
                     all(r.utilisation >= 0.90 for r in r51),
                     "cbcs " + ", ".join(f"{r.utilisation:.3f}" for r in r51) + "; aiortc " +
                     ", ".join(f"{r.utilisation:.3f}" for r in results["5.1"]["aiortc"]))
        report.check("5.1 p95 queueing delay <= 60 ms", all(r.qdelay_p95_ms <= 60 for r in r51),
                     ", ".join(f"{r.qdelay_p95_ms:.1f} ms" for r in r51))
        report.check("5.1 loss <= 1 %", all(r.loss <= 0.01 for r in r51),
                     ", ".join(f"{100 * r.loss:.2f} %" for r in r51))
        report.check("5.1 after 2.5 -> 0.6 Mbit/s: send rate below capacity within 1 s",
                     all(r.drop_rate_below_ms is not None and r.drop_rate_below_ms <= 1000 for r in r51),
                     ", ".join(f"{_fmt(r.drop_rate_below_ms, '.0f')} ms" for r in r51))
        report.check("5.1 after 2.5 -> 0.6 Mbit/s: queueing delay under 100 ms within 2 s",
                     all(r.drop_queue_ms is not None and r.drop_queue_ms <= 2000 for r in r51),
                     ", ".join(f"{_fmt(r.drop_queue_ms, '.0f')} ms" for r in r51))
    rsq = runs_of("standing-queue")
    if rsq:
        report.check("standing queue, 2.5 -> 0.6 Mbit/s: send rate below capacity within 2 s",
                     all(r.drop_rate_below_ms is not None and r.drop_rate_below_ms <= 2000
                         for r in rsq),
                     ", ".join(f"{_fmt(r.drop_rate_below_ms, '.0f')} ms" for r in rsq))
        report.check("standing queue: p95 queueing delay over the run < 100 ms",
                     all(r.qdelay_p95_ms < 100 for r in rsq),
                     "cbcs " + ", ".join(f"{r.qdelay_p95_ms:.0f} ms" for r in rsq) + "; aiortc " +
                     ", ".join(f"{r.qdelay_p95_ms:.0f} ms" for r in results["standing-queue"]["aiortc"]))
    sweep_runs = [(n, r) for n, by in results.items() if all_cases[n].sweep for r in by["cbcs"]]
    if sweep_runs:
        report.check("standing-queue sweep: target below capacity within 2 s of the drop (every "
                     "case and seed)",
                     all(r.target_below_ms is not None and r.target_below_ms <= 2000
                         for _n, r in sweep_runs),
                     "worst " + max(((_fmt(r.target_below_ms, ".0f") + f" ms ({n} seed {r.seed})",
                                      r.target_below_ms or math.inf) for n, r in sweep_runs),
                                    key=lambda x: x[1])[0])
        report.check("standing-queue sweep: p95 queueing delay over the run < 100 ms",
                     all(r.qdelay_p95_ms < 100 for _n, r in sweep_runs),
                     "worst " + max(((f"{r.qdelay_p95_ms:.0f} ms ({n} seed {r.seed})",
                                      r.qdelay_p95_ms) for n, r in sweep_runs),
                                    key=lambda x: x[1])[0])
    r54 = runs_of("5.4")
    if r54:
        report.check("5.4 three flows: Jain fairness >= 0.9 after 30 s",
                     all((r.jain or 0) >= 0.9 for r in r54),
                     ", ".join(f"{r.jain:.3f}" for r in r54 if r.jain is not None))
    r56 = runs_of("5.6")
    if r56:
        report.check("5.6 against a TCP-like flow: each above 25 % of capacity",
                     all(min(r.shares) > 0.25 for r in r56),
                     "; ".join("media " + f"{r.shares[0]:.2f}" + " tcp " + f"{r.shares[1]:.2f}" for r in r56))

    if args.plot:
        for path in _plot(results, str(args.plot)):
            print(f"wrote {path}")
