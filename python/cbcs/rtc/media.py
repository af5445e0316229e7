"""Audio sources and sinks of a call: a loop-paced sending track and a playout recorder."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

if TYPE_CHECKING:
    from av import VideoFrame

RATE = 48000
FRAME = 960  # 20 ms

#: ``fill(start_sample, n, wall_ms_of_first_sample) -> int16[n]``
Fill = Callable[[int, int, float], npt.NDArray[np.int16]]


def mono_ms() -> float:
    """The media clock in ms: monotonic and read the moment it is asked. Packet arrival and
    send times, transport feedback and the jitter buffer use it rather than ``loop.time()``,
    which an event loop may cache per iteration and round to whole ms (uvloop does)."""
    return time.monotonic() * 1000.0


def wall_ms() -> float:
    """The machine clock in ms since the epoch: the clock both ends of a test share."""
    return time.time() * 1000.0


class PacedAudioTrack(MediaStreamTrack):
    """Mono 48 kHz audio in 20 ms frames, released in real time by the loop clock.

    Its content comes from ``fill``; a frame is produced the moment the sender asks for
    it and is due, which is when its audio is "spoken" for mouth-to-ear measurement.
    """

    kind = "audio"

    def __init__(self, fill: Fill) -> None:
        super().__init__()
        self._fill = fill
        self._start: float | None = None
        self._samples = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self._samples / RATE
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        pcm = self._fill(self._samples, FRAME, wall_ms())
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, RATE)
        self._samples += FRAME
        return frame


def silence(start: int, n: int, wall: float) -> npt.NDArray[np.int16]:
    return np.zeros(n, dtype=np.int16)


@dataclass
class PlayoutRecorder:
    """Keeps what a peer played (or handed to the application) with the wall time of each
    block's first sample, up to ``max_seconds`` (older audio is dropped, never grows)."""

    rate: int = RATE
    max_seconds: float = 120.0
    recording: bool = True
    blocks: list[npt.NDArray[np.int16]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    _samples: int = 0
    total_samples: int = 0  # everything ever added, kept or not

    def add(self, pcm: npt.NDArray[np.int16], wall: float) -> None:
        if not self.recording:
            return
        self.blocks.append(pcm.copy())
        self.times.append(wall)
        self._samples += len(pcm)
        self.total_samples += len(pcm)
        while self._samples > self.max_seconds * self.rate and self.blocks:
            self._samples -= len(self.blocks.pop(0))
            self.times.pop(0)

    def audio(self) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.float64]]:
        """All kept audio and the wall time (ms) of every sample."""
        if not self.blocks:
            return np.zeros(0, np.int16), np.zeros(0, np.float64)
        pcm = np.concatenate(self.blocks)
        times = np.concatenate([t + np.arange(len(b)) * 1000.0 / self.rate
                                for b, t in zip(self.blocks, self.times)])
        return pcm, times


def to_mono_int16(frame: AudioFrame) -> npt.NDArray[np.int16]:
    """An aiortc-decoded frame (s16, mono or interleaved stereo) as mono int16."""
    arr = frame.to_ndarray()
    if frame.format.name != "s16":
        raise ValueError(f"frame: expected s16, got {frame.format.name}")
    channels = len(frame.layout.channels)
    flat = arr.reshape(-1)
    if channels == 1:
        mono: npt.NDArray[np.int16] = flat.astype(np.int16, copy=True)
        return mono
    stereo = flat.reshape(-1, channels).astype(np.int32)
    mixed: npt.NDArray[np.int16] = (stereo.sum(axis=1) // channels).astype(np.int16)
    return mixed


class PatternVideoTrack(MediaStreamTrack):
    """A moving test pattern (VP8-friendly: mostly flat with a moving bar), paced by the loop
    clock at ``fps``; for one-to-one video calls in tests and demos."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._start: float | None = None
        self._n = 0

    async def recv(self) -> "VideoFrame":
        from av import VideoFrame
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        wait = self._start + self._n / self.fps - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        img = np.full((self.height, self.width, 3), 40, dtype=np.uint8)
        x = (self._n * 8) % self.width
        img[:, x:x + 16] = (230, 200, 30)
        frame = VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self._n * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._n += 1
        return frame
