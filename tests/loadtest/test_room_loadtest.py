"""``cbcs loadtest room`` end to end, small: a node of its own, locust, the report."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path


def test_a_small_room_run_reports_delivery_and_order(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cbcs.cli", "loadtest", "room", "--viewers", "40",
         "--comments-per-s", "4", "--time", "5", "--spawn-rate", "100", "--out",
         str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"order_violations +0\n", out), out
    assert re.search(r"delivered +[1-9]", out), out
    with open(tmp_path / "room_stats.csv", newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    delivery = rows["room.delivery"]
    assert int(delivery["Request Count"]) > 20 and int(delivery["Failure Count"]) == 0
    assert (tmp_path / "room.html").stat().st_size > 1000


def test_only_loopback_targets_are_accepted(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cbcs.cli", "loadtest", "room", "--url",
         "http://203.0.113.9:8080", "--admin-key", "k" * 20, "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "expected a loopback address" in result.stderr
