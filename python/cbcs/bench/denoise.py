"""Denoise, VAD and resampler benchmark against RNNoise, WebRTC NS, SpeexDSP, webrtcvad,
Silero VAD and scipy, on real speech mixed with real noise (cbcs bench denoise)."""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.bench.report import Report
from cbcs.commands._args import int_range
from cbcs.media import samples

DESCRIPTION = ("denoise: PESQ-WB, STOI, SI-SDR, delay and real-time factor against RNNoise, "
               "WebRTC NS and SpeexDSP; VAD against webrtcvad and Silero; resampler against scipy")

SNRS_DB = (0.0, 5.0, 10.0)
SEED = 20240605
#: Speech clips of the --short run (one per language family, mixed durations).
SHORT_CLIPS = ("en_pesq_speech", "es_leopard", "ja_leopard", "zh_rhino_within_context")
F32 = npt.NDArray[np.float32]
I16 = npt.NDArray[np.int16]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int_range(1, 64), default=min(2, os.cpu_count() or 1),
                        help="processes for the quality metrics (processing is timed on one thread)")


def _read(path: Path) -> F32:
    import soundfile as sf
    x, sr = sf.read(str(path), dtype="float32")
    if sr != 16000 or x.ndim != 1:
        raise ValueError(f"{path}: expected 16 kHz mono, got {sr} Hz with shape {x.shape}")
    return np.asarray(x, dtype=np.float32)


@dataclass
class Mixture:
    speech: str
    noise: str
    snr_db: float
    clean: F32
    noisy: F32


def make_mixtures(audio: Path, short: bool) -> list[Mixture]:
    """Every speech clip x every noise x 0/5/10 dB; noise from a seeded random offset, looped."""
    speech = {p.stem: _read(p) for p in sorted((audio / "speech").glob("*.wav"))}
    noises = {p.stem: _read(p) for p in sorted((audio / "noise").glob("*.wav"))}
    if short:
        speech = {k: v for k, v in speech.items() if k in SHORT_CLIPS}
    rng = np.random.default_rng(SEED)
    out: list[Mixture] = []
    for sname, s in speech.items():
        for nname, nz in noises.items():
            for snr in SNRS_DB:
                reps = math.ceil((len(s) + len(nz)) / len(nz))
                looped = np.tile(nz, reps)
                start = int(rng.integers(0, len(nz)))
                seg = looped[start:start + len(s)].astype(np.float64)
                ps = float(np.mean(s.astype(np.float64) ** 2))
                pn = float(np.mean(seg ** 2)) + 1e-20
                seg *= math.sqrt(ps / (pn * 10 ** (snr / 10)))
                mix = s.astype(np.float64) + seg
                peak = max(float(np.max(np.abs(mix))), 1e-9)
                scale = min(1.0, 0.99 / peak)  # same scale for both: SNR unchanged, no clipping
                out.append(Mixture(sname, nname, snr, (s * scale).astype(np.float32),
                                   (mix * scale).astype(np.float32)))
    return out


def to_i16(x: F32) -> I16:
    return np.asarray(np.clip(np.rint(x * 32768.0), -32768, 32767), dtype=np.int16)


class OursDenoiser:
    name = "cbcs"

    def __init__(self, sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate

    def process(self, x: I16) -> I16:
        from cbcs.media import Denoiser
        y, _ = Denoiser(self.sample_rate).process_buffer(x, align=False)
        return y


def _estimate_delay(process: Callable[[I16], I16], clean: F32) -> int:
    x = to_i16(clean)
    y = process(x).astype(np.float64)
    xf = x.astype(np.float64)
    best, lag = -np.inf, 0
    for d in range(0, 1200):
        c = float(np.dot(xf[:len(xf) - d], y[d:]))
        if c > best:
            best, lag = c, d
    return lag


def _si_sdr(ref: npt.NDArray[np.float64], est: npt.NDArray[np.float64]) -> float:
    ref = ref - ref.mean()
    est = est - est.mean()
    alpha = float(np.dot(est, ref) / (np.dot(ref, ref) + 1e-20))
    target = alpha * ref
    noise = est - target
    return 10 * math.log10((np.dot(target, target) + 1e-20) / (np.dot(noise, noise) + 1e-20))


def _metrics(job: tuple[F32, F32]) -> tuple[float, float, float]:
    from pesq import pesq
    from pystoi import stoi
    clean, est = job
    c = clean.astype(np.float64)
    e = est.astype(np.float64)
    try:
        p = float(pesq(16000, c, e, "wb"))
    except Exception:  # pesq raises on a signal it finds no speech in
        p = float("nan")
    return p, float(stoi(c, e, 16000, extended=False)), _si_sdr(c, e)


def _align(y: I16, delay: int, n: int) -> F32:
    out = np.zeros(n, np.float32)
    seg = y[delay:delay + n].astype(np.float32) / 32768.0
    out[:len(seg)] = seg
    return out


def _fmt(v: float, digits: int = 2) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.{digits}f}"


def run_denoise(args: argparse.Namespace, report: Report) -> list[Mixture]:
    from cbcs.bench._dsp_peers import denoise_peers
    audio = samples.audio_dir()
    mixtures = make_mixtures(audio, args.short)
    peers, missing = denoise_peers()
    for line in missing:
        print(f"peer missing: {line}")
    methods: list[Any] = [OursDenoiser(), *peers]
    total_s = sum(len(m.noisy) for m in mixtures) / 16000.0
    print(f"{len(mixtures)} mixtures ({len(set(m.speech for m in mixtures))} clips x "
          f"{len(set(m.noise for m in mixtures))} noises x {len(SNRS_DB)} SNRs), {total_s:.0f} s of audio")

    delays: dict[str, int] = {"noisy": 0}
    rtf: dict[str, float] = {}
    outputs: dict[str, list[F32]] = {"noisy": [m.noisy for m in mixtures]}
    warm = mixtures[0].clean
    for meth in methods:
        delays[meth.name] = _estimate_delay(meth.process, warm)
        busy = 0.0
        outs: list[F32] = []
        for m in mixtures:
            x = to_i16(m.noisy)
            t0 = time.process_time()
            y = meth.process(x)
            busy += time.process_time() - t0
            outs.append(_align(y, delays[meth.name], len(x)))
        rtf[meth.name] = busy / total_s
        outputs[meth.name] = outs
        print(f"  {meth.name}: delay {delays[meth.name]} samples, RTF {rtf[meth.name]:.4f}", flush=True)

    names = list(outputs)
    jobs = [(m.clean, outputs[name][i]) for name in names for i, m in enumerate(mixtures)]
    with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
        results = list(pool.map(_metrics, jobs, chunksize=8))
    scores: dict[str, npt.NDArray[np.float64]] = {}
    for j, name in enumerate(names):
        scores[name] = np.array(results[j * len(mixtures):(j + 1) * len(mixtures)], dtype=np.float64)

    snr_arr = np.array([m.snr_db for m in mixtures])
    noise_arr = np.array([m.noise for m in mixtures])
    base_sisdr = scores["noisy"][:, 2]
    header = ["SNR"] + [f"{n} PESQ" for n in names] + [f"{n} STOI" for n in names] + \
             [f"{n} SI-SDRi" for n in names if n != "noisy"]

    def rows_for(mask: npt.NDArray[np.bool_]) -> list[list[str]]:
        rows = []
        for snr in SNRS_DB:
            sel = mask & (snr_arr == snr)
            row = [f"{snr:.0f} dB"]
            row += [_fmt(np.nanmean(scores[n][sel, 0])) for n in names]
            row += [_fmt(np.nanmean(scores[n][sel, 1]), 3) for n in names]
            row += [_fmt(np.nanmean(scores[n][sel, 2] - base_sisdr[sel]), 1) for n in names if n != "noisy"]
            rows.append(row)
        return rows

    for noise in sorted(set(noise_arr)):
        report.table(f"noise {noise}: mean over {len(set(m.speech for m in mixtures))} clips",
                     header, rows_for(noise_arr == noise))
    everything = np.ones(len(mixtures), dtype=bool)
    report.table("all noises: mean", header, rows_for(everything))
    report.table("delay and single-thread real-time factor (16 kHz, process CPU time / audio time)",
                 ["method", "delay ms", "RTF", "RTF / cbcs"],
                 [[n, f"{1000 * delays[n] / 16000:.1f}", f"{rtf[n]:.4f}", f"{rtf[n] / rtf['cbcs']:.1f}"]
                  for n in names if n != "noisy"])

    figures: dict[str, Any] = {"clips": sorted(set(m.speech for m in mixtures)),
                               "noises": sorted(set(noise_arr)), "seed": SEED,
                               "delay_samples": delays, "rtf_16k": rtf, "by_snr": {}}
    for snr in SNRS_DB:
        sel = snr_arr == snr
        figures["by_snr"][f"{snr:.0f}"] = {
            n: {"pesq_wb": float(np.nanmean(scores[n][sel, 0])), "stoi": float(np.nanmean(scores[n][sel, 1])),
                "si_sdr_improvement": float(np.nanmean(scores[n][sel, 2] - base_sisdr[sel]))} for n in names}
    report.figures["denoise"] = figures

    ours = "cbcs"
    for snr in SNRS_DB:
        sel = snr_arr == snr
        p = {n: float(np.nanmean(scores[n][sel, 0])) for n in names}
        for peer in ("webrtc-ns", "speexdsp"):
            if peer in p:
                report.check(f"PESQ-WB at {snr:.0f} dB >= {peer} + 0.15", p[ours] >= p[peer] + 0.15,
                             f"{p[ours]:.3f} vs {p[peer]:.3f} + 0.15")
        if "rnnoise" in p:
            report.check(f"PESQ-WB at {snr:.0f} dB within 0.05 of rnnoise or above", p[ours] >= p["rnnoise"] - 0.05,
                         f"{p[ours]:.3f} vs {p['rnnoise']:.3f} - 0.05")
        s_ours = float(np.nanmean(scores[ours][sel, 1]))
        s_noisy = float(np.nanmean(scores["noisy"][sel, 1]))
        report.check(f"STOI at {snr:.0f} dB not below the noisy input's", s_ours >= s_noisy,
                     f"{s_ours:.3f} vs {s_noisy:.3f}")
    report.check("RTF at 16 kHz <= 0.005", rtf[ours] <= 0.005, f"{rtf[ours]:.4f}")
    _rtf_48k(mixtures, report, rtf)
    _clean_passthrough(mixtures, report)
    return mixtures


def _rtf_48k(mixtures: list[Mixture], report: Report, rtf16: dict[str, float]) -> None:
    from scipy.signal import resample_poly
    from cbcs.media import Denoiser
    clips = {m.speech: m.noisy for m in mixtures if m.snr_db == SNRS_DB[0]}
    sig = [to_i16(np.clip(resample_poly(x, 3, 1), -1, 1).astype(np.float32)) for x in clips.values()]
    total = sum(len(s) for s in sig) / 48000.0
    busy = 0.0
    for s in sig:
        d = Denoiser(48000)
        t0 = time.process_time()
        d.process_buffer(s, align=False)
        busy += time.process_time() - t0
    r = busy / total
    report.table("48 kHz", ["method", "RTF"], [["cbcs (native 48 kHz)", f"{r:.4f}"],
                                               ["rnnoise (16k->48k->16k, above)", f"{rtf16.get('rnnoise', float('nan')):.4f}"]])
    report.figures.setdefault("denoise", {})["rtf_48k"] = r
    report.check("RTF at 48 kHz <= 0.01", r <= 0.01, f"{r:.4f}")


def _clean_passthrough(mixtures: list[Mixture], report: Report) -> None:
    from cbcs.media import Denoiser
    clean = {m.speech: m.clean for m in mixtures}
    jobs = []
    for x in clean.values():
        y, _ = Denoiser().process_buffer(to_i16(x))
        jobs.append((x, y.astype(np.float32) / 32768.0))
    vals = [_metrics(j)[0] for j in jobs]
    worst = float(np.nanmin(vals))
    report.table("clean speech in: PESQ-WB of output vs input", ["clip", "PESQ-WB"],
                 [[k, _fmt(v)] for k, v in zip(clean, vals)] + [["mean", _fmt(float(np.nanmean(vals)))]])
    report.figures.setdefault("denoise", {})["clean_pesq_wb"] = dict(zip(clean, vals))
    report.check("clean speech: PESQ-WB(out vs in) >= 4.0 on every clip", worst >= 4.0, f"worst {worst:.2f}")


def _clean_labels(clean: F32) -> npt.NDArray[np.bool_]:
    """Speech frames of a clean clip: 10 ms energy within 40 dB of its loudest frame."""
    n = len(clean) // 160
    e = np.sum(clean[:n * 160].astype(np.float64).reshape(n, 160) ** 2, axis=1)
    return np.asarray(e > max(float(np.max(e)) * 1e-4, 160 * 1e-9), dtype=bool)


def run_vad(mixtures: list[Mixture], report: Report) -> None:
    from cbcs.bench._dsp_peers import SileroVad, webrtcvad_labels
    from cbcs.media import Vad
    names = ["cbcs", "webrtcvad-0", "webrtcvad-1", "webrtcvad-2", "webrtcvad-3", "silero"]
    try:
        silero: SileroVad | None = SileroVad()
    except (ImportError, OSError) as exc:
        print(f"peer missing: silero: {exc}")
        silero = None
    correct = {n: 0 for n in names}
    busy = {n: 0.0 for n in names}
    total = 0
    for m in mixtures:
        labels = _clean_labels(m.clean)
        x16 = to_i16(m.noisy)
        decisions: dict[str, npt.NDArray[np.bool_]] = {}
        t0 = time.process_time()
        decisions["cbcs"] = Vad().process_buffer(x16) >= 0.5
        busy["cbcs"] += time.process_time() - t0
        for mode in range(4):
            t0 = time.process_time()
            decisions[f"webrtcvad-{mode}"] = webrtcvad_labels(x16, mode)
            busy[f"webrtcvad-{mode}"] += time.process_time() - t0
        if silero is not None:
            t0 = time.process_time()
            decisions["silero"] = silero.probabilities(x16.astype(np.float32) / 32768.0) >= 0.5
            busy["silero"] += time.process_time() - t0
        for n, d in decisions.items():
            k = min(len(d), len(labels))
            correct[n] += int(np.sum(d[:k] == labels[:k]))
        total += len(labels)
    audio_s = sum(len(m.noisy) for m in mixtures) / 16000.0
    acc = {n: correct[n] / total for n in names if busy[n] > 0 or n == "cbcs"}
    report.table("VAD frame accuracy on the noisy mixtures (labels from the clean speech)",
                 ["detector", "accuracy", "RTF"],
                 [[n, f"{acc[n]:.3f}", f"{busy[n] / audio_s:.4f}"] for n in acc])
    report.figures["vad"] = {"accuracy": acc, "rtf": {n: busy[n] / audio_s for n in acc}}
    best_webrtc = max(acc[n] for n in acc if n.startswith("webrtcvad"))
    report.check("VAD accuracy >= webrtcvad's best mode", acc["cbcs"] >= best_webrtc,
                 f"{acc['cbcs']:.3f} vs {best_webrtc:.3f}")


def run_resampler(mixtures: list[Mixture], report: Report) -> None:
    from scipy.signal import firwin, resample_poly
    from cbcs.media import Resampler
    clean = list({m.speech: m.clean for m in mixtures}.values())
    lp = firwin(511, 7000.0, fs=16000.0)  # "in band": below 7 kHz, zero-phase FIR

    def band(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.convolve(x, lp, mode="same")

    rows = []
    figures: dict[str, Any] = {}
    for name in ("cbcs", "scipy resample_poly"):
        err = sig = 0.0
        busy = 0.0
        for x in clean:
            if name == "cbcs":
                up, down = Resampler(16000, 48000), Resampler(48000, 16000)
                t0 = time.process_time()
                y = down.process(up.process(x))
                busy += time.process_time() - t0
                d = int(round((up.delay_seconds + down.delay_seconds) * 16000))
                y = np.concatenate([y[d:], np.zeros(d, np.float32)])
            else:
                t0 = time.process_time()
                y = resample_poly(resample_poly(x, 3, 1), 1, 3).astype(np.float32)
                busy += time.process_time() - t0
            ref = band(x.astype(np.float64))[600:-600]
            out = band(y.astype(np.float64))[600:-600]
            err += float(np.sum((out - ref) ** 2))
            sig += float(np.sum(ref ** 2))
        snr = 10 * math.log10(sig / max(err, 1e-30))
        audio_s = sum(len(x) for x in clean) / 16000.0
        rows.append([name, f"{snr:.1f}", f"{1e6 * busy / audio_s:.0f}"])
        figures[name] = {"round_trip_snr_db": snr, "us_per_audio_second": 1e6 * busy / audio_s}
    rows.append(["cost ratio cbcs / scipy", "",
                 f"{figures['cbcs']['us_per_audio_second'] / figures['scipy resample_poly']['us_per_audio_second']:.2f}"])
    report.table("resampler round trip 16 -> 48 -> 16 kHz on the speech clips (in band: < 7 kHz)",
                 ["resampler", "SNR dB", "us per audio s"], rows)
    report.figures["resampler"] = figures
    report.check("resampler round trip SNR >= 60 dB in band", figures["cbcs"]["round_trip_snr_db"] >= 60.0,
                 f"{figures['cbcs']['round_trip_snr_db']:.1f} dB")


def run(args: argparse.Namespace, report: Report) -> None:
    mixtures = run_denoise(args, report)
    run_vad(mixtures, report)
    run_resampler(mixtures, report)
