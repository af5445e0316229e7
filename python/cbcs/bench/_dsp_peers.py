"""Peers of the dsp benchmark: RNNoise, WebRTC NS, SpeexDSP, webrtcvad and Silero VAD.

Each denoiser peer is a small class with ``name``, ``process(int16 array at 16 kHz) ->
int16 array`` (streaming, one 10 ms frame at a time, as a real call would run it). They
are imported lazily so the benchmark says which peer is missing instead of failing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

I16 = npt.NDArray[np.int16]
F32 = npt.NDArray[np.float32]


class DenoisePeer(Protocol):
    name: str

    def process(self, x: I16) -> I16: ...


class RnnoisePeer:
    """RNNoise (xiph, the library pyrnnoise ships) at 48 kHz, with scipy polyphase resampling."""

    name = "rnnoise"

    def __init__(self) -> None:
        spec = importlib.util.find_spec("pyrnnoise")
        if spec is None or spec.origin is None:
            raise ImportError("pyrnnoise is not installed")
        lib = ctypes.CDLL(os.path.join(os.path.dirname(spec.origin), "librnnoise.so"))
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                              ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        self.frame = int(lib.rnnoise_get_frame_size())

    def process(self, x: I16) -> I16:
        from scipy.signal import resample_poly
        up = resample_poly(x.astype(np.float32), 3, 1).astype(np.float32)
        n = len(up) // self.frame * self.frame
        out = np.zeros_like(up)
        st = self._lib.rnnoise_create(None)
        buf = np.zeros(self.frame, np.float32)
        ptr = buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        try:
            for i in range(0, n, self.frame):
                buf[:] = up[i:i + self.frame]
                self._lib.rnnoise_process_frame(st, ptr, ptr)
                out[i:i + self.frame] = buf
        finally:
            self._lib.rnnoise_destroy(st)
        down = resample_poly(out, 1, 3)[:len(x)]
        return np.asarray(np.clip(np.rint(down), -32768, 32767), dtype=np.int16)


class WebrtcNsPeer:
    """WebRTC audio processing noise suppression (webrtc-noise-gain), AGC off."""

    name = "webrtc-ns"

    def __init__(self, level: int = 2) -> None:
        from webrtc_noise_gain import AudioProcessor
        self._cls = AudioProcessor
        self.level = level

    def process(self, x: I16) -> I16:
        ap = self._cls(0, self.level)
        out = np.zeros_like(x)
        raw = x.tobytes()
        for i in range(0, len(x) // 160 * 160, 160):
            res = ap.Process10ms(raw[2 * i:2 * i + 320])
            out[i:i + 160] = np.frombuffer(res.audio, dtype=np.int16)
        return out


class SpeexPeer:
    """SpeexDSP preprocessor (libspeexdsp from Debian through ctypes), denoise only."""

    name = "speexdsp"

    def __init__(self) -> None:
        path = ctypes.util.find_library("speexdsp")
        if path is None:
            raise ImportError("libspeexdsp is not installed (Debian package libspeexdsp1)")
        lib = ctypes.CDLL(path)
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16)]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        self._lib = lib

    def process(self, x: I16) -> I16:
        st = self._lib.speex_preprocess_state_init(160, 16000)
        on = ctypes.c_int(1)
        self._lib.speex_preprocess_ctl(st, 0, ctypes.byref(on))  # SET_DENOISE
        out = x.copy()
        try:
            for i in range(0, len(x) // 160 * 160, 160):
                frame = out[i:i + 160]
                self._lib.speex_preprocess_run(st, frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)))
        finally:
            self._lib.speex_preprocess_state_destroy(st)
        return out


def denoise_peers() -> tuple[list[DenoisePeer], list[str]]:
    """The peers that could be loaded, and a line for each one that could not."""
    peers: list[DenoisePeer] = []
    missing: list[str] = []
    for cls in (RnnoisePeer, WebrtcNsPeer, SpeexPeer):
        try:
            peers.append(cls())
        except (ImportError, OSError) as exc:
            missing.append(f"{cls.name}: {exc}")
    return peers, missing


def webrtcvad_labels(x: I16, mode: int) -> npt.NDArray[np.bool_]:
    """webrtcvad decision per 10 ms frame."""
    import webrtcvad
    vad = webrtcvad.Vad(mode)
    raw = x.tobytes()
    n = len(x) // 160
    return np.array([vad.is_speech(raw[320 * i:320 * i + 320], 16000) for i in range(n)], dtype=bool)


class SileroVad:
    """Silero VAD's ONNX model (shipped in the silero-vad wheel) run with onnxruntime.

    The wheel's Python module imports torch, so only its data file is used here.
    """

    def __init__(self) -> None:
        import onnxruntime as ort
        spec = importlib.util.find_spec("silero_vad")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("silero-vad is not installed (pip install --no-deps silero-vad)")
        path = os.path.join(list(spec.submodule_search_locations)[0], "data", "silero_vad.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])

    def probabilities(self, x: F32) -> F32:
        """Speech probability per 10 ms frame (each 32 ms window's value spread over its frames)."""
        window, context = 512, 64
        state = np.zeros((2, 1, 128), np.float32)
        ctx = np.zeros((1, context), np.float32)
        sr = np.array(16000, dtype=np.int64)
        n = len(x) // window
        probs = np.zeros(n, np.float32)
        for i in range(n):
            chunk = x[i * window:(i + 1) * window][None, :]
            inp = np.concatenate([ctx, chunk], axis=1)
            out: Any
            out, state = self._session.run(None, {"input": inp, "state": state, "sr": sr})
            probs[i] = float(out[0][0])
            ctx = chunk[:, -context:]
        frames = len(x) // 160
        idx = np.minimum((np.arange(frames) * 160 + 80) // window, max(n - 1, 0))
        return probs[idx] if n else np.zeros(frames, np.float32)
