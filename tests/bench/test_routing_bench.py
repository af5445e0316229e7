"""``cbcs bench routing`` end to end on a tiny run: the figures the issue names are there,
beside the baseline's, and the baseline and the day are what the docs say."""

from __future__ import annotations

import json
from pathlib import Path

from cbcs.bench import _routing_day as day
from cbcs.cli import main


def test_the_benchmark_writes_the_documented_figures(tmp_path: Path) -> None:
    out = tmp_path / "routing.json"
    code = main(["bench", "routing", "--decisions", "20", "--customers", "120",
                 "--json", str(out)])
    doc = json.loads(out.read_text())
    assert code == 0
    assert set(doc["decision_ms"]) >= {"p50", "p99"} and doc["decision_ms"]["events"] == 20
    for side in ("cbcs", "baseline"):
        assert set(doc["day"][side]) >= {"service_level", "mean_wait_s", "abandon_rate",
                                         "language_mismatch"}
        assert doc["day"][side]["customers"] > 100
    assert doc["day"]["cbcs"]["language_mismatch"] == 0


def test_the_baseline_never_serves_a_language_nobody_on_shift_speaks() -> None:
    """Thai customers at 03:00 UTC (10:00 Bangkok) are served; with only agents who lack
    Thai, the baseline lets them wait until they give up."""
    people = [c for c in day.customers(400, seed=3) if c.language == "th"][:20]
    roster = [a for a in day.agents() if "th" not in a.languages]
    outcome = day.baseline(roster, people)
    assert outcome.abandoned == len(people) and outcome.waits == []
    served = day.baseline(day.agents(), people)
    assert served.abandoned < len(people)
