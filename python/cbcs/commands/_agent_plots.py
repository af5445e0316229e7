"""The plots of ``cbcs report agents`` (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cbcs.routing.agent_stats import Part

FILES = ("handling_per_agent.png", "first_response_per_language.png",
         "resolution_transfer_per_agent.png", "sentiment_end_per_market.png")


def plot_all(chosen: Sequence[Part], stats: Mapping[str, Any], folder: Path,
             names: Mapping[str, str] | None = None) -> list[Path]:
    """Write the four plots into ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = names or {}
    agents = sorted({p.agent_id for p in chosen})
    languages = sorted({p.language for p in chosen})
    markets = sorted({p.market for p in chosen})
    label = {a: (names.get(a) or a).split(" ")[0] for a in agents}
    paths: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = folder / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)

    # 1: handling time per agent (minutes), a box per agent
    fig, ax = plt.subplots(figsize=(9, 4.5))
    data = [[p.handling_s / 60 for p in chosen if p.agent_id == a and p.handling_s is not None]
            for a in agents]
    _boxes(ax, data, [label[a] for a in agents])
    ax.set_ylabel("handling time (min)")
    ax.set_title("Handling time per agent (assignment to close or hand-over)\n"
                 "box: quartiles and median; whiskers: p10 and p90", fontsize=10)
    save(fig, FILES[0])

    # 2: first response per language (seconds)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    data = [[p.first_response_s for p in chosen
             if p.language == lang and p.first_response_s is not None] for lang in languages]
    _boxes(ax, data, languages)
    ax.set_ylabel("first response (s)")
    ax.set_title("First response per language (assignment to the agent's first reply)\n"
                 "box: quartiles and median; whiskers: p10 and p90", fontsize=10)
    save(fig, FILES[1])

    # 3: resolution and transfer rate per agent
    rows = {r["agent"]: r for r in stats["agents"]}
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = list(range(len(agents)))
    res = [100 * (rows[a]["resolution_rate"] or 0) for a in agents]
    tra = [100 * (rows[a]["transfer_rate"] or 0) for a in agents]
    ax.bar([x - 0.2 for x in xs], res, 0.4, label="resolved (of closed)", color="#4c9a2a")
    ax.bar([x + 0.2 for x in xs], tra, 0.4, label="transferred (of ended)", color="#d9822b")
    ax.set_xticks(xs, [f"{label[a]}\nn={rows[a]['conversations']}" for a in agents])
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("%")
    ax.set_title("Resolution and transfer rate per agent")
    ax.legend(loc="upper center", ncol=2, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    save(fig, FILES[2])

    # 4: sentiment at the end per market, stacked shares
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = list(range(len(markets)))
    bottoms = [0.0] * len(markets)
    for value, name, colour in ((-1.0, "negative", "#c0392b"), (0.0, "neutral", "#bdc3c7"),
                                (1.0, "positive", "#27ae60")):
        shares = []
        for m in markets:
            moods = [p.sentiment for p in chosen if p.market == m and p.sentiment is not None]
            shares.append(100 * sum(_bucket(v) == value for v in moods) / len(moods)
                          if moods else 0.0)
        ax.bar(xs, shares, 0.6, bottom=bottoms, label=name, color=colour)
        bottoms = [b + s for b, s in zip(bottoms, shares)]
    market_rows = {r["market"]: r for r in stats["markets"]}
    ticks = []
    for m in markets:
        end = market_rows[m]["sentiment_end"]
        ticks.append(f"{m}\nn={end['n']}" + ("" if end["mean"] is None
                                              else f"\nmean {end['mean']:+.2f}"))
    ax.set_xticks(xs, ticks, fontsize=9)
    ax.set_ylim(0, 115)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("% of closed conversations")
    ax.set_title("Customer sentiment at the end, per market")
    ax.legend(loc="upper center", ncol=3, fontsize=9)
    save(fig, FILES[3])
    return paths


def _bucket(v: float) -> float:
    return -1.0 if v < 0 else 1.0 if v > 0 else 0.0


def _boxes(ax: Any, data: Iterable[list[float]], labels: list[str]) -> None:
    listed = list(data)
    ax.boxplot([d if d else [float("nan")] for d in listed], showfliers=True, whis=(10, 90))
    ax.set_xticks(range(1, len(labels) + 1),
                  [f"{name}\nn={len(d)}" for name, d in zip(labels, listed)])
    ax.grid(axis="y", alpha=0.3)
