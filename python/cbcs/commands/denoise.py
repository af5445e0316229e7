"""``cbcs denoise IN.wav OUT.wav``: noise suppression of a recording, with progress."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.commands._args import float_range, input_file, output_wav
from cbcs.errors import FrameError

#: Sample rates the suppressor takes (8 kHz through the resampler).
RATES = (8000, 16000, 48000)

#: Seconds of audio handed to the core per call (the GIL is released inside each call).
CHUNK_SECONDS = 5.0


def register(sub: Any) -> None:
    parser = sub.add_parser("denoise", help="remove background noise from a WAV file",
                            description="Denoise a mono WAV file at 8, 16 or 48 kHz with cbcs's "
                                        "causal 10 ms suppressor (8 kHz is processed at 16 kHz "
                                        "and brought back with cbcs's resampler).")
    parser.add_argument("input", type=input_file, help="input WAV: mono, 8, 16 or 48 kHz")
    parser.add_argument("output", type=output_wav,
                        help="output WAV, same rate and sample format as the input")
    parser.add_argument("--suppression-db", type=float_range(0.0, 60.0), default=30.0,
                        help="attenuation where only noise is present (0..60 dB, default 30)")
    parser.add_argument("--method", choices=("hybrid", "statistical"), default="hybrid",
                        help="hybrid: shipped GRU band gains (default); statistical: OM-LSA only")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=run)


def _read(path: Path) -> tuple[npt.NDArray[np.float32], int, str]:
    """Samples, rate and sample format of a mono WAV at 8/16/48 kHz; FrameError otherwise."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        if info.channels != 1:
            raise FrameError(f"{path}: expected mono audio, got {info.channels} channels")
        if info.samplerate not in RATES:
            raise FrameError(f"{path}: expected 8000, 16000 or 48000 Hz, got {info.samplerate} Hz")
        data, rate = sf.read(str(path), dtype="float32")
    except sf.LibsndfileError as exc:
        raise FrameError(f"{path}: not a readable audio file ({exc.error_string})") from None
    if data.size == 0:
        raise FrameError(f"{path}: the file holds no audio")
    return np.ascontiguousarray(data, dtype=np.float32), int(rate), str(info.subtype)


def run(args: argparse.Namespace) -> int:
    import soundfile as sf

    from cbcs.media import Denoiser, Resampler

    data, rate, in_subtype = _read(args.input)
    x = data
    work_rate = rate if rate in (16000, 48000) else 16000
    if work_rate != rate:
        x = Resampler(rate, work_rate).process(x)
    den = Denoiser(work_rate, suppression_db=args.suppression_db, method=args.method)
    hop = den.frame_samples
    delay = den.delay_samples
    total = len(x)
    padded = np.zeros((total + delay + hop - 1) // hop * hop + hop, dtype=np.float32)
    padded[:total] = x
    out = np.empty_like(padded)
    chunk = int(CHUNK_SECONDS * work_rate) // hop * hop
    prob = np.empty(chunk // hop, dtype=np.float32)
    started = time.monotonic()
    show = not args.quiet and total > 10 * work_rate
    for start in range(0, len(padded), chunk):
        seg = padded[start:start + chunk]
        if len(seg) != chunk:
            prob = np.empty(len(seg) // hop, dtype=np.float32)
        den._core.process_buffer(seg, out[start:start + len(seg)], prob)
        if show:
            done = min(start + len(seg), total) / total
            print(f"\rdenoise: {100 * done:5.1f} %  ({time.monotonic() - started:.1f} s)", end="",
                  file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    y = out[delay:delay + total]
    if work_rate != rate:
        r = Resampler(work_rate, rate)
        d = int(round(r.delay_seconds * rate))
        y = r.process(np.concatenate([y, np.zeros(int(r.delay_seconds * work_rate) + hop, np.float32)]))
        y = y[d:d + len(data)]
    subtype = in_subtype if in_subtype in ("PCM_16", "PCM_24", "FLOAT") else "PCM_16"
    sf.write(args.output, np.clip(y, -1.0, 1.0), rate, subtype=subtype)
    if not args.quiet:
        print(f"wrote {args.output}: {total / work_rate:.1f} s at {rate} Hz, "
              f"{time.monotonic() - started:.2f} s, algorithmic delay {den.delay_ms:.0f} ms (removed)")
    return 0
