"""``cbcs loadtest calls`` end to end, small: a node of its own, aiortc callers through the
link emulator on ``lan``, one step of one call and one of two; the table, the JSON and the
plot. Quality is asserted (an unimpaired LAN call rates MOS >= 4); timing and CPU are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cbcs.loadtest.calls import Step, direction, headline, processing, ramp


def test_a_small_calls_run_reports_mos_cpu_and_the_nodes_full_media_path(
        tmp_path: Path) -> None:
    out, png = tmp_path / "calls.json", tmp_path / "calls.png"
    result = subprocess.run(
        [sys.executable, "-m", "cbcs.cli", "loadtest", "calls", "--calls", "1,2",
         "--step-seconds", "4", "--calls-per-process", "2", "--json", str(out),
         "--plot", str(png)], check=False, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert "calls per core at MOS >= 4.0 on lan:" in text, text
    assert "full processing (denoise, jitter buffer, FEC) on every leg of every step" in text, text
    assert "receive:denoise" in text and "send:libopus+fec" in text, text
    report = json.loads(out.read_text())
    assert report["profile"] == "lan" and report["full_processing"] is True
    assert "largest N" in report["definition"]
    steps = {s["calls"]: s for s in report["steps"]}
    assert sorted(steps) == [1, 2]
    for n, step in steps.items():
        assert step["ok"], step["error"]
        assert len(step["per_call"]) == n
        for key in ("mos_min", "mos_median", "node_cpu_pct", "cpu_per_call_pct",
                    "calls_per_core", "clients_cpu_pct", "machine_busy_pct",
                    "mouth_to_ear_p50_ms", "markers_heard_pct"):
            assert step[key] is not None, key
        assert step["node_cpu_pct"] > 0
    one = steps[1]["per_call"][0]
    for way in ("to_agent", "to_customer"):
        assert one[way]["markers"] >= 4 and one[way]["heard"] >= 0.9 * one[way]["markers"], one
    # one call on an unimpaired LAN through the node: nothing lost, well under 300 ms
    assert one["mos"] >= 4.0, one
    roles = steps[1]["processing"]["core_by_role"]
    assert "receive:denoise" in roles["customer"]
    assert all("receive:jitter-buffer+opus-fec" in roles[r] for r in ("customer", "agent"))
    assert report["headline"]["calls"] >= 1 and report["headline"]["calls_per_core"] > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_calls_refuses_an_unknown_profile_and_a_url(tmp_path: Path) -> None:
    bad = subprocess.run([sys.executable, "-m", "cbcs.cli", "loadtest", "calls", "--profile",
                          "moon-5g", "--calls", "1"], check=False, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--profile: expected one of" in bad.stderr, bad.stderr
    url = subprocess.run([sys.executable, "-m", "cbcs.cli", "loadtest", "calls", "--url",
                          "http://127.0.0.1:8080"], check=False, capture_output=True, text=True,
                         timeout=60)
    assert url.returncode == 2 and "starts a node of its own" in url.stderr, url.stderr


def test_the_ramp_doubles_up_to_the_last_step() -> None:
    assert ramp(1) == [1]
    assert ramp(64) == [1, 2, 4, 8, 16, 32, 64]
    assert ramp(40) == [1, 2, 4, 8, 16, 32, 40]


def test_a_direction_rates_delay_and_the_worst_of_packet_loss_and_unheard_markers() -> None:
    clean = direction([120.0] * 10, 0.0, {"received": 500, "lost": 0})
    assert clean["loss_pct"] == 0.0 and clean["mos"] > 4.3
    # the node lost 2 % after recovery and the client 1 %: 3 % along the way
    lossy = direction([120.0] * 10, 2.0, {"received": 990, "lost": 10})
    assert lossy["loss_pct"] == pytest.approx(3.0) and lossy["mos"] < clean["mos"]
    # no packet lost, but three markers in ten never played: 30 %
    unheard = direction([120.0] * 7 + [None] * 3, 0.0, {"received": 500, "lost": 0})
    assert unheard["loss_pct"] == pytest.approx(30.0) and unheard["mos"] < 4.0
    assert direction([None] * 5, 0.0, {})["mos"] == 1.0
    slow = direction([450.0] * 10, 0.0, {"received": 500, "lost": 0})
    assert slow["mos"] < clean["mos"]


def test_calls_per_core_comes_from_the_largest_step_every_call_held() -> None:
    def step(n: int, mos: float, cpu: float) -> Step:
        s = Step(n, node_cpu_pct=cpu)
        s.per_call = [{"mos": mos}] * n
        return s

    head = headline([step(1, 4.4, 5.0), step(2, 4.3, 8.0), step(4, 3.9, 15.0)])
    assert head["calls"] == 2 and head["calls_per_core"] == pytest.approx(25.0)
    assert headline([step(1, 3.5, 5.0)])["calls_per_core"] is None


def test_a_leg_without_the_denoiser_is_not_full_processing() -> None:
    agent = {"party": "agent:a", "role": "agent",
             "core": ["receive:jitter-buffer+opus-fec", "send:libopus+fec"]}
    customer = {**agent, "party": "customer:c", "role": "customer"}
    got = processing({"legs": [agent, customer]})
    assert not got["full"] and got["missing"] == ["customer:c: receive:denoise"]
    customer["core"] = customer["core"] + ["receive:denoise"]
    assert processing({"legs": [agent, customer]})["full"]
