"""examples/call_aiortc.py, the README's call example, runs as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

EXAMPLE = Path(__file__).parents[2] / "examples" / "call_aiortc.py"


def test_the_call_example_carries_audio_both_ways(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--profile", "sea-4g", "--seconds", "4",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["impairment"] == "sea-4g"
    assert stats["packets_received"] > 150  # 4 s of 20 ms packets, and more before
    assert 1.0 <= stats["mos"] <= 4.5
    # cbcs heard the client's speech clip ...
    heard, rate = sf.read(str(tmp_path / "cbcs_heard.wav"), dtype="float32")
    assert rate == 48000 and np.sqrt(np.mean(heard ** 2)) > 0.005
    # ... and the client heard cbcs's 440 Hz tone.
    back, rate = sf.read(str(tmp_path / "client_heard.wav"), dtype="float32", always_2d=True)
    x = back[rate:, 0]  # past the first second
    peak_hz = np.argmax(np.abs(np.fft.rfft(x))) * rate / x.size
    assert abs(peak_hz - 440.0) < 5.0, peak_hz
