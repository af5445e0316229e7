"""``cbcs loadtest chat`` and ``routing`` end to end, small: a node of their own, locust,
real WebSocket clients, the report."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path


def _run(tmp_path: Path, *args: str) -> tuple[str, dict[str, dict[str, str]]]:
    result = subprocess.run([sys.executable, "-m", "cbcs.cli", "loadtest", *args,
                             "--spawn-rate", "50", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(tmp_path / f"{args[0]}_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    return result.stdout, rows


def test_a_small_chat_run_acknowledges_and_answers_every_message(tmp_path: Path) -> None:
    out, rows = _run(tmp_path, "chat", "--customers", "12", "--agents", "3",
                     "--message-interval", "1", "--time", "6")
    assert re.search(r"order_violations +0\n", out) and re.search(r"not_assigned +0\n", out)
    sent = int(re.search(r"messages_sent +(\d+)", out).group(1))   # type: ignore[union-attr]
    assert sent > 30
    for name in ("chat.ack", "chat.reply"):
        assert int(rows[name]["Failure Count"]) == 0
        assert int(rows[name]["Request Count"]) >= sent - 12   # the last may be in flight
    assert int(rows["Aggregated"]["Failure Count"]) == 0
    assert (tmp_path / "chat.html").stat().st_size > 1000


def test_a_small_routing_run_assigns_while_agents_come_and_go(tmp_path: Path) -> None:
    out, rows = _run(tmp_path, "routing", "--customers", "8", "--agents", "4",
                     "--churn-interval", "1", "--time", "8")
    assigned = int(re.search(r"\bassigned +(\d+)", out).group(1))   # type: ignore[union-attr]
    changes = int(re.search(r"status_changes +(\d+)", out).group(1))  # type: ignore[union-attr]
    assert assigned >= 8 and changes >= 8
    assert re.search(r"offers_while_away +0\n", out), out
    assert int(rows["routing.wait"]["Failure Count"]) == 0
    assert int(rows["Aggregated"]["Failure Count"]) == 0
