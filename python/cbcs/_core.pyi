"""
cbcs media core (private; use cbcs.media)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
import typing_extensions
__all__: list[str] = ['Agc', 'AudioLink', 'AudioReceiver', 'AudioSender', 'Denoiser', 'EModelResult', 'FecGroupDecoder', 'FecGroupEncoder', 'FeedbackGenerator', 'GenericNack', 'JitterBuffer', 'JitterDistribution', 'Link', 'NackGenerator', 'OpusDecoder', 'OpusEncoder', 'Pacer', 'ProsodyTracker', 'ProsodyTurn', 'RedBlock', 'RedEncoder', 'RedReceiver', 'ReedSolomon', 'Resampler', 'RetransmissionHistory', 'RoomMixer', 'RtpPacket', 'SendSideBwe', 'SequenceGuard', 'UlpfecHeader', 'Vad', 'allocation_count', 'burst_ratio', 'emodel', 'fec_residual', 'gf_kernels', 'mos_from_r', 'nack_build', 'nack_parse', 'protection_decide', 'red_build', 'red_parse', 'red_residual', 'rtp_build', 'rtp_build_extensions', 'rtp_find_extension', 'rtp_parse', 'rtx_unwrap', 'rtx_wrap', 'transport_feedback_build', 'transport_feedback_parse', 'ulpfec_build', 'ulpfec_parse', 'ulpfec_recover']
class JitterDistribution:
    """
    Members:
    
      gaussian
    
      heavy_tailed
    """
    __members__: typing.ClassVar[dict[str, JitterDistribution]]
    gaussian: typing.ClassVar[JitterDistribution]
    heavy_tailed: typing.ClassVar[JitterDistribution]
    @typing.overload
    def __eq__(self, other: JitterDistribution) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: JitterDistribution) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class Link:
    def __init__(self, *, base_delay_ms: typing.SupportsFloat | typing.SupportsIndex, jitter_ms: typing.SupportsFloat | typing.SupportsIndex, jitter_distribution: JitterDistribution, spike_probability: typing.SupportsFloat | typing.SupportsIndex, spike_ms: typing.SupportsFloat | typing.SupportsIndex, loss_rate: typing.SupportsFloat | typing.SupportsIndex, mean_burst: typing.SupportsFloat | typing.SupportsIndex, bandwidth_bps: typing.SupportsFloat | typing.SupportsIndex, queue_ms: typing.SupportsFloat | typing.SupportsIndex, reorder: bool, seed: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def send(self, send_ms: typing.SupportsFloat | typing.SupportsIndex, size_bytes: typing.SupportsInt | typing.SupportsIndex) -> float:
        """
        Arrival time (ms) of one packet, NaN when lost, dropped or invalid.
        """
    def stats(self) -> dict:
        ...
    def transmit(self, send_ms: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], size_bytes: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> numpy.typing.NDArray[numpy.float64]:
        """
        Arrival times (ms) of a send schedule; NaN where lost.
        """
class JitterBuffer:
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex, min_delay_ms: typing.SupportsInt | typing.SupportsIndex, max_delay_ms: typing.SupportsInt | typing.SupportsIndex, quantile: typing.SupportsFloat | typing.SupportsIndex, forget_ms: typing.SupportsFloat | typing.SupportsIndex, margin_ms: typing.SupportsFloat | typing.SupportsIndex, kinds: tuple, statuses: tuple, playout_type: typing.Any) -> None:
        ...
    def _bind_view(self) -> None:
        ...
    def get(self, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> typing.Any:
        """
        The next 10 ms block as a Playout; its pcm is valid until the next get().
        """
    def put(self, seq: typing.Any, timestamp: typing.Any, pcm: typing.Any, arrival_ms: typing.Any) -> typing.Any:
        """
        Insert one packet; returns a PutStatus (never raises for bad packets).
        """
    def stats(self) -> dict:
        ...
    def target_delay_ms(self) -> float:
        ...
    @property
    def block_samples(self) -> int:
        ...
    @property
    def sample_rate(self) -> int:
        ...
class EModelResult:
    def __repr__(self) -> str:
        ...
    @property
    def delay_impairment(self) -> float:
        ...
    @property
    def equipment_impairment(self) -> float:
        ...
    @property
    def mos(self) -> float:
        ...
    @property
    def r(self) -> float:
        ...
class RtpPacket:
    @property
    def csrcs(self) -> list[int]:
        ...
    @property
    def extension(self) -> bytes:
        ...
    @property
    def extension_profile(self) -> int | None:
        ...
    @property
    def marker(self) -> bool:
        ...
    @property
    def padding(self) -> int:
        ...
    @property
    def payload(self) -> bytes:
        ...
    @property
    def payload_type(self) -> int:
        ...
    @property
    def sequence(self) -> int:
        ...
    @property
    def ssrc(self) -> int:
        ...
    @property
    def timestamp(self) -> int:
        ...
class RedBlock:
    def __init__(self, payload_type: typing.SupportsInt | typing.SupportsIndex, timestamp_offset: typing.SupportsInt | typing.SupportsIndex, data: bytes) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def data(self) -> bytes:
        ...
    @property
    def payload_type(self) -> int:
        ...
    @property
    def timestamp_offset(self) -> int:
        ...
class GenericNack:
    @property
    def lost(self) -> list[int]:
        ...
    @property
    def media_ssrc(self) -> int:
        ...
    @property
    def sender_ssrc(self) -> int:
        ...
    @property
    def size(self) -> int:
        ...
class UlpfecHeader:
    @property
    def long_mask(self) -> bool:
        ...
    @property
    def protected_sequences(self) -> list[int]:
        ...
    @property
    def protection_length(self) -> int:
        ...
    @property
    def sequence_base(self) -> int:
        ...
class ReedSolomon:
    """
    Systematic MDS Reed-Solomon erasure code over GF(2^8).
    """
    def __init__(self, k: typing.SupportsInt | typing.SupportsIndex, m: typing.SupportsInt | typing.SupportsIndex, kernel: str = 'auto') -> None:
        ...
    def decode(self, shards: typing.Any, *, out: typing.Any = None) -> numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]:
        """
        Data uint8[k, L] from k + m shards (None for lost).
        """
    def encode(self, data: typing.Any, *, out: typing.Any = None) -> numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]:
        """
        Parity uint8[m, L] of data uint8[k, L].
        """
    @property
    def cache_hits(self) -> int:
        ...
    @property
    def cache_misses(self) -> int:
        ...
    @property
    def k(self) -> int:
        ...
    @property
    def kernel(self) -> str:
        ...
    @property
    def m(self) -> int:
        ...
class NackGenerator:
    def __init__(self, max_missing: typing.SupportsInt | typing.SupportsIndex = 256, packet_interval_ms: typing.SupportsFloat | typing.SupportsIndex = 20.0, playout_delay_ms: typing.SupportsFloat | typing.SupportsIndex = 100.0, rtt_ms: typing.SupportsFloat | typing.SupportsIndex = 100.0, reorder_wait_ms: typing.SupportsFloat | typing.SupportsIndex = 0.0, max_retries: typing.SupportsInt | typing.SupportsIndex = 10) -> None:
        ...
    def nacks(self, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> list[int]:
        ...
    def on_packet(self, sequence: typing.SupportsInt | typing.SupportsIndex, arrival_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def set_playout_delay(self, playout_delay_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def set_rtt(self, rtt_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def stats(self) -> dict:
        ...
    @property
    def missing_count(self) -> int:
        ...
class RetransmissionHistory:
    def __init__(self, capacity: typing.SupportsInt | typing.SupportsIndex = 512, max_packet_size: typing.SupportsInt | typing.SupportsIndex = 1500, max_age_ms: typing.SupportsFloat | typing.SupportsIndex = 1000.0) -> None:
        ...
    def resend(self, sequence: typing.SupportsInt | typing.SupportsIndex, now_ms: typing.SupportsFloat | typing.SupportsIndex, min_interval_ms: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> bytes | None:
        ...
    def stats(self) -> dict:
        ...
    def store(self, sequence: typing.SupportsInt | typing.SupportsIndex, packet: typing_extensions.Buffer, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> bool:
        ...
    @property
    def memory_bytes(self) -> int:
        ...
class RedEncoder:
    def __init__(self, max_depth: typing.SupportsInt | typing.SupportsIndex = 2, max_spacing: typing.SupportsInt | typing.SupportsIndex = 1, payload_type: typing.SupportsInt | typing.SupportsIndex = 111) -> None:
        ...
    def encode(self, timestamp: typing.SupportsInt | typing.SupportsIndex, frame: typing_extensions.Buffer, depth: typing.SupportsInt | typing.SupportsIndex, spacing: typing.SupportsInt | typing.SupportsIndex = 1) -> bytes | None:
        ...
    def reset(self) -> None:
        ...
class RedReceiver:
    def __init__(self, samples_per_frame: typing.SupportsInt | typing.SupportsIndex = 960, window: typing.SupportsInt | typing.SupportsIndex = 1024) -> None:
        ...
    def mark_delivered(self, sequence: typing.SupportsInt | typing.SupportsIndex) -> bool:
        ...
    def on_packet(self, sequence: typing.SupportsInt | typing.SupportsIndex, timestamp: typing.SupportsInt | typing.SupportsIndex, payload: typing_extensions.Buffer) -> list:
        ...
    def stats(self) -> dict:
        ...
class FecGroupEncoder:
    def __init__(self, k: typing.SupportsInt | typing.SupportsIndex, m: typing.SupportsInt | typing.SupportsIndex, max_payload: typing.SupportsInt | typing.SupportsIndex = 1200) -> None:
        ...
    def add_frame(self, sequence: typing.SupportsInt | typing.SupportsIndex, timestamp: typing.SupportsInt | typing.SupportsIndex, payload: typing_extensions.Buffer) -> list:
        ...
    @property
    def k(self) -> int:
        ...
    @property
    def m(self) -> int:
        ...
class FecGroupDecoder:
    def __init__(self, max_payload: typing.SupportsInt | typing.SupportsIndex = 1200, window: typing.SupportsInt | typing.SupportsIndex = 256, groups: typing.SupportsInt | typing.SupportsIndex = 16) -> None:
        ...
    def on_frame(self, sequence: typing.SupportsInt | typing.SupportsIndex, timestamp: typing.SupportsInt | typing.SupportsIndex, payload: typing_extensions.Buffer) -> list:
        ...
    def on_repair(self, repair: typing_extensions.Buffer) -> list:
        ...
    def stats(self) -> dict:
        ...
class FeedbackGenerator:
    def __init__(self, *, interval_ms: typing.SupportsFloat | typing.SupportsIndex, history: typing.SupportsInt | typing.SupportsIndex, max_packets_per_feedback: typing.SupportsInt | typing.SupportsIndex, sender_ssrc: typing.SupportsInt | typing.SupportsIndex, media_ssrc: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def on_packet(self, seq: typing.SupportsInt | typing.SupportsIndex, arrival_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def poll(self, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> list:
        """
        Feedback packets due at now_ms (often none).
        """
    @property
    def next_feedback_ms(self) -> float:
        ...
class SendSideBwe:
    def __init__(self, *, start_bps: typing.SupportsFloat | typing.SupportsIndex, min_bps: typing.SupportsFloat | typing.SupportsIndex, max_bps: typing.SupportsFloat | typing.SupportsIndex, history: typing.SupportsInt | typing.SupportsIndex, initial_probing: bool, periodic_probing: bool, probe_interval_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def on_feedback(self, results: list, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def on_packet_sent(self, transport_seq: typing.SupportsInt | typing.SupportsIndex, size_bytes: typing.SupportsInt | typing.SupportsIndex, send_ms: typing.SupportsFloat | typing.SupportsIndex, probe_cluster: typing.SupportsInt | typing.SupportsIndex = -1, probe_min_packets: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        ...
    def on_remb(self, bps: typing.SupportsFloat | typing.SupportsIndex, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def on_transport_feedback(self, rtcp: bytes, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> str:
        ...
    def process(self, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def set_application_limited(self, limited: bool) -> None:
        ...
    def stats(self) -> dict:
        ...
    def take_probe_clusters(self) -> list:
        ...
    @property
    def target_bps(self) -> float:
        ...
class Pacer:
    def __init__(self, *, interval_ms: typing.SupportsFloat | typing.SupportsIndex, burst_ms: typing.SupportsFloat | typing.SupportsIndex, queue_capacity: typing.SupportsInt | typing.SupportsIndex, max_queue_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def enqueue(self, packet_id: typing.SupportsInt | typing.SupportsIndex, size_bytes: typing.SupportsInt | typing.SupportsIndex, kind: str, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> bool:
        ...
    def process(self, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> list:
        ...
    def set_pacing_rate(self, bps: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def start_probe(self, cluster_id: typing.SupportsInt | typing.SupportsIndex, bitrate_bps: typing.SupportsFloat | typing.SupportsIndex, min_packets: typing.SupportsInt | typing.SupportsIndex, min_duration_ms: typing.SupportsFloat | typing.SupportsIndex, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def stats(self) -> dict:
        ...
    @property
    def next_process_ms(self) -> float:
        ...
    @property
    def pacing_bps(self) -> float:
        ...
    @property
    def queued_bytes(self) -> int:
        ...
    @property
    def queued_packets(self) -> int:
        ...
class Denoiser:
    """
    Causal noise suppressor on 10 ms frames (see cbcs.media.Denoiser).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, suppression_db: typing.SupportsFloat | typing.SupportsIndex = 20.0, allow_simd: bool = True, model: bytes = b'') -> None:
        ...
    def features_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], features: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Run the denoiser over samples and record each frame's model features (for training).
        """
    def process_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], probabilities: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Denoise every whole frame of samples (GIL released); the tail shorter than a frame is left untouched in out.
        """
    def process_into(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> None:
        """
        Denoise one frame into out (same dtype and length).
        """
    def reset(self) -> None:
        ...
    @property
    def delay_samples(self) -> int:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def has_model(self) -> bool:
        ...
    @property
    def kernel(self) -> str:
        ...
    @property
    def sample_rate(self) -> int:
        ...
    @property
    def speech_probability(self) -> float:
        ...
    @property
    def suppression_db(self) -> float:
        ...
    @suppression_db.setter
    def suppression_db(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class Resampler:
    """
    Streaming polyphase resampler (see cbcs.media.Resampler).
    """
    def __init__(self, input_rate: typing.SupportsInt | typing.SupportsIndex, output_rate: typing.SupportsInt | typing.SupportsIndex, allow_simd: bool = True) -> None:
        ...
    def output_count(self, input_count: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def process_into(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> int:
        """
        Resample samples into out (output_count(len) values).
        """
    def reset(self) -> None:
        ...
    @property
    def delay_samples(self) -> int:
        ...
    @property
    def delay_seconds(self) -> float:
        ...
    @property
    def input_rate(self) -> int:
        ...
    @property
    def kernel(self) -> str:
        ...
    @property
    def output_rate(self) -> int:
        ...
class Vad:
    """
    Voice activity detector on 10 ms frames (see cbcs.media.Vad).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, threshold: typing.SupportsFloat | typing.SupportsIndex = 0.5, hangover_frames: typing.SupportsInt | typing.SupportsIndex = 8, allow_simd: bool = True, model: bytes = b'') -> None:
        ...
    def process(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> float:
        """
        Speech probability of one frame.
        """
    def process_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], probabilities: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Speech probability of every whole frame (GIL released).
        """
    def reset(self) -> None:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def is_speech(self) -> bool:
        ...
    @property
    def probability(self) -> float:
        ...
class Agc:
    """
    Automatic gain control with a limiter (see cbcs.media.Agc).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, target_dbfs: typing.SupportsFloat | typing.SupportsIndex = -20.0, max_gain_db: typing.SupportsFloat | typing.SupportsIndex = 30.0, min_gain_db: typing.SupportsFloat | typing.SupportsIndex = -20.0, limit_dbfs: typing.SupportsFloat | typing.SupportsIndex = -1.0, attack_ms: typing.SupportsFloat | typing.SupportsIndex = 400.0) -> None:
        ...
    def process_into(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], speech_probability: typing.SupportsFloat | typing.SupportsIndex = -1.0) -> None:
        """
        Apply the gain to one frame; speech_probability < 0 uses the built-in level detector.
        """
    def reset(self) -> None:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def gain_db(self) -> float:
        ...
    @property
    def speech_level_dbfs(self) -> float:
        ...
class ProsodyTurn:
    """
    One turn's prosody against the caller's baseline (see cbcs.media.ProsodyTurn).
    """
    @property
    def arousal(self) -> float:
        ...
    @property
    def baseline_complete(self) -> bool:
        ...
    @property
    def baseline_voiced_seconds(self) -> float:
        ...
    @property
    def energy_db(self) -> float:
        ...
    @property
    def energy_dbfs(self) -> float:
        ...
    @property
    def f0_spread_semitones(self) -> float:
        ...
    @property
    def median_f0_hz(self) -> float:
        ...
    @property
    def pitch_semitones(self) -> float:
        ...
    @property
    def rate_per_second(self) -> float:
        ...
    @property
    def rate_ratio(self) -> float:
        ...
    @property
    def speech_seconds(self) -> float:
        ...
    @property
    def spread_semitones(self) -> float:
        ...
    @property
    def status(self) -> int:
        ...
    @property
    def truncated(self) -> bool:
        ...
    @property
    def voiced_seconds(self) -> float:
        ...
class ProsodyTracker:
    """
    Pitch, level and speaking rate per frame, turns against a baseline (see cbcs.media.Prosody).
    """
    @staticmethod
    def arousal(pitch_semitones: typing.SupportsFloat | typing.SupportsIndex, energy_db: typing.SupportsFloat | typing.SupportsIndex, rate_ratio: typing.SupportsFloat | typing.SupportsIndex, spread_semitones: typing.SupportsFloat | typing.SupportsIndex) -> float:
        """
        The arousal score end_turn reports.
        """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, frame_ms: typing.SupportsInt | typing.SupportsIndex = 10, min_f0_hz: typing.SupportsFloat | typing.SupportsIndex = 60.0, max_f0_hz: typing.SupportsFloat | typing.SupportsIndex = 400.0, baseline_seconds: typing.SupportsFloat | typing.SupportsIndex = 8.0, max_turn_seconds: typing.SupportsFloat | typing.SupportsIndex = 60.0, allow_simd: bool = True) -> None:
        ...
    def end_turn(self) -> ProsodyTurn:
        """
        The turn since the last end_turn; starts the next one.
        """
    def process(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], speech_probability: typing.SupportsFloat | typing.SupportsIndex = -1.0) -> tuple[int, float, float, float]:
        """
        One frame: (status, f0_hz, energy_dbfs, periodicity); speech_probability < 0 uses the energy gate.
        """
    def process_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], probabilities: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], statuses: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], f0: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], energy: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> None:
        """
        Every whole frame of samples (GIL released): status, F0 and level per frame into the arrays; probabilities float32[0] uses the energy gate.
        """
    def reset(self) -> None:
        """
        Forget everything, the baseline included (a new caller).
        """
    @property
    def baseline_complete(self) -> bool:
        ...
    @property
    def baseline_voiced_seconds(self) -> float:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def kernel(self) -> str:
        ...
class OpusEncoder:
    """
    Mono 48 kHz Opus for voice: 20 ms frames, in-band FEC, bitrate settable live (libopus).
    """
    FRAME_SAMPLES: typing.ClassVar[int] = 960
    SAMPLE_RATE: typing.ClassVar[int] = 48000
    def __init__(self, bitrate_bps: typing.SupportsInt | typing.SupportsIndex = 32000, *, fec: bool = True, expected_loss_percent: typing.SupportsInt | typing.SupportsIndex = 10, complexity: typing.SupportsInt | typing.SupportsIndex = 5) -> None:
        ...
    def encode(self, pcm: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> bytes:
        """
        One int16[960] frame in, one Opus packet out.
        """
    def set_bitrate(self, bps: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def set_expected_loss(self, percent: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def bitrate_bps(self) -> int:
        ...
class OpusDecoder:
    """
    Opus (mono or stereo streams) to mono 48 kHz int16, with recovery from in-band FEC.
    """
    MAX_FRAME: typing.ClassVar[int] = 5760
    SAMPLE_RATE: typing.ClassVar[int] = 48000
    @staticmethod
    def samples(packet: bytes) -> int:
        ...
    def __init__(self) -> None:
        ...
    def decode(self, packet: bytes) -> typing.Any:
        ...
    def decode_fec(self, next_packet: bytes, samples: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        ...
    @property
    def errors(self) -> int:
        ...
class AudioReceiver:
    def __init__(self, jitter_buffer: typing.Any, opus_pt: typing.SupportsInt | typing.SupportsIndex, red_pt: typing.SupportsInt | typing.SupportsIndex, transport_cc_id: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def counters(self) -> dict:
        ...
    def expected(self) -> int:
        ...
    def on_packet(self, packet: bytes, usable_ms: typing.SupportsFloat | typing.SupportsIndex) -> typing.Any:
        """
        One decrypted RTP packet: (accepted, ssrc, transport_seq or -1), None if not RTP.
        """
    def on_payload(self, seq: typing.SupportsInt | typing.SupportsIndex, timestamp: typing.SupportsInt | typing.SupportsIndex, payload_type: typing.SupportsInt | typing.SupportsIndex, payload: bytes, usable_ms: typing.SupportsFloat | typing.SupportsIndex) -> bool:
        """
        One parsed packet; False when the sequence guard held it back.
        """
    @property
    def base_seq(self) -> int | None:
        ...
    @property
    def guard_highest(self) -> int | None:
        ...
    @property
    def guard_rejected(self) -> int:
        ...
    @property
    def highest_seq(self) -> int:
        ...
class AudioSender:
    def __init__(self, encoder: typing.Any, payload_type: typing.SupportsInt | typing.SupportsIndex, ssrc: typing.SupportsInt | typing.SupportsIndex, first_sequence: typing.SupportsInt | typing.SupportsIndex, first_timestamp: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def next(self, pcm: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], transport_seq: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        """
        Encode one int16[960] frame: the RTP packet, or None when the encoder failed.
        """
    def next_encoded(self, payload: bytes, transport_seq: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        """
        Frame one already encoded 20 ms Opus payload: the RTP packet, or None (empty or oversized payload, counted as an encode error).
        """
    def sent(self) -> None:
        """
        The packet from next() is on its way.
        """
    def set_extensions(self, mid_id: typing.SupportsInt | typing.SupportsIndex, mid: bytes, transport_cc_id: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def set_red(self, red_pt: typing.SupportsInt | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def encode_errors(self) -> int:
        ...
    @property
    def last_payload_size(self) -> int:
        ...
    @property
    def last_timestamp(self) -> int:
        ...
class AudioLink:
    def __init__(self, receiver: AudioReceiver, feedback: typing.Any, audio_payload_types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], srtp_profile: typing.SupportsInt | typing.SupportsIndex, rx_master: bytes, tx_master: bytes) -> None:
        ...
    def counters(self) -> dict:
        ...
    def drain(self, fd: typing.SupportsInt | typing.SupportsIndex, wall_minus_media_ms: typing.SupportsFloat | typing.SupportsIndex, now_ms: typing.SupportsFloat | typing.SupportsIndex) -> list:
        """
        Read what waits on fd: our audio goes to the receiver; the rest comes back as [(data, address, arrival_ms), ...].
        """
    def send_rtp(self, packet: bytes) -> bool:
        """
        Encrypt and send one RTP packet; False when it could not be sent.
        """
    def set_route(self, fd: typing.SupportsInt | typing.SupportsIndex, host: str, port: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Send RTP to host:port through socket fd, and take audio only from there.
        """
    @property
    def remote_ssrc(self) -> int:
        ...
class SequenceGuard:
    def __init__(self, back: typing.SupportsInt | typing.SupportsIndex = 1000, ahead: typing.SupportsInt | typing.SupportsIndex = 1000, confirm: typing.SupportsInt | typing.SupportsIndex = 4) -> None:
        ...
    def accept(self, seq: typing.SupportsInt | typing.SupportsIndex) -> bool:
        ...
    @property
    def highest(self) -> int | None:
        ...
    @property
    def rejected(self) -> int:
        ...
class RoomMixer:
    """
    Speakers' audio queued, summed once per round, and every heard-by mask's mix made from that sum (see cbcs.media.mix).
    """
    def __init__(self, *, max_speakers: typing.SupportsInt | typing.SupportsIndex = 16, max_mixes: typing.SupportsInt | typing.SupportsIndex = 32, max_round_samples: typing.SupportsInt | typing.SupportsIndex = 960, queue_samples: typing.SupportsInt | typing.SupportsIndex = 5760) -> None:
        ...
    def clear(self, speaker: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Drop what waits in a speaker's queue.
        """
    def mix(self, n: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        One round of min(n, max_round_samples) samples; how many.
        """
    def output(self, mix: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int16]:
        """
        Mix ``mix`` of the last round (read-only, overwritten by the next mix()).
        """
    def push(self, speaker: typing.SupportsInt | typing.SupportsIndex, pcm: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> int:
        """
        Queue a speaker's int16[n]; the oldest samples dropped to make room, or -1 (a slot out of range or not int16[n]: nothing queued).
        """
    def queued(self, speaker: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def set_mixes(self, masks: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> None:
        """
        The heard-by masks (bit s: speaker slot s) mixed from the next round on.
        """
    @property
    def active(self) -> int:
        """
        Mask of the speakers who had audio in the last round.
        """
    @property
    def max_round_samples(self) -> int:
        ...
    @property
    def max_speakers(self) -> int:
        ...
    @property
    def mixes(self) -> int:
        ...
    @property
    def queue_samples(self) -> int:
        ...
    @property
    def round_samples(self) -> int:
        ...
def allocation_count() -> int:
    """
    Number of C++ heap allocations made inside cbcs._core since import.
    """
def burst_ratio(loss_fraction: typing.SupportsFloat | typing.SupportsIndex, mean_burst_packets: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def emodel(one_way_delay_ms: typing.SupportsFloat | typing.SupportsIndex, loss_percent: typing.SupportsFloat | typing.SupportsIndex, burst_ratio: typing.SupportsFloat | typing.SupportsIndex, codec_ie: typing.SupportsFloat | typing.SupportsIndex, codec_bpl: typing.SupportsFloat | typing.SupportsIndex, advantage: typing.SupportsFloat | typing.SupportsIndex) -> EModelResult:
    ...
def fec_residual(loss_rate: typing.SupportsFloat | typing.SupportsIndex, mean_burst: typing.SupportsFloat | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex, m: typing.SupportsInt | typing.SupportsIndex) -> float:
    ...
def gf_kernels() -> list:
    """
    Reed-Solomon kernels this CPU supports (scalar, ssse3, avx2, avx512bw, gfni order).
    """
def mos_from_r(r: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def nack_build(sender_ssrc: typing.SupportsInt | typing.SupportsIndex, media_ssrc: typing.SupportsInt | typing.SupportsIndex, lost: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> bytes:
    ...
def nack_parse(data: typing_extensions.Buffer) -> GenericNack | None:
    ...
def protection_decide(loss_rate: typing.SupportsFloat | typing.SupportsIndex, mean_burst: typing.SupportsFloat | typing.SupportsIndex, rtt_ms: typing.SupportsFloat | typing.SupportsIndex, playout_slack_ms: typing.SupportsFloat | typing.SupportsIndex, max_added_delay_ms: typing.SupportsFloat | typing.SupportsIndex, packet_interval_ms: typing.SupportsFloat | typing.SupportsIndex, media_bitrate_bps: typing.SupportsFloat | typing.SupportsIndex, allowed_bitrate_bps: typing.SupportsFloat | typing.SupportsIndex, target_residual: typing.SupportsFloat | typing.SupportsIndex, packet_overhead_bytes: typing.SupportsFloat | typing.SupportsIndex = 40.0) -> dict:
    ...
def red_build(redundant: collections.abc.Sequence[RedBlock], primary_payload_type: typing.SupportsInt | typing.SupportsIndex, primary: typing_extensions.Buffer) -> bytes:
    ...
def red_parse(payload: typing_extensions.Buffer) -> list[RedBlock] | None:
    ...
def red_residual(loss_rate: typing.SupportsFloat | typing.SupportsIndex, mean_burst: typing.SupportsFloat | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex, spacing: typing.SupportsInt | typing.SupportsIndex) -> float:
    ...
def rtp_build(payload_type: typing.SupportsInt | typing.SupportsIndex, sequence: typing.SupportsInt | typing.SupportsIndex, timestamp: typing.SupportsInt | typing.SupportsIndex, ssrc: typing.SupportsInt | typing.SupportsIndex, payload: typing_extensions.Buffer, marker: bool = False, csrcs: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], extension_profile: typing.SupportsInt | typing.SupportsIndex | None = None, extension: typing_extensions.Buffer = b'', padding: typing.SupportsInt | typing.SupportsIndex = 0) -> bytes:
    ...
def rtp_build_extensions(elements: collections.abc.Sequence[tuple[typing.SupportsInt | typing.SupportsIndex, bytes]]) -> bytes:
    ...
def rtp_find_extension(profile: typing.SupportsInt | typing.SupportsIndex, block: typing_extensions.Buffer, id: typing.SupportsInt | typing.SupportsIndex) -> bytes | None:
    ...
def rtp_parse(data: typing_extensions.Buffer) -> RtpPacket | None:
    ...
def rtx_unwrap(packet: typing_extensions.Buffer, original_payload_type: typing.SupportsInt | typing.SupportsIndex, original_ssrc: typing.SupportsInt | typing.SupportsIndex) -> bytes | None:
    ...
def rtx_wrap(packet: typing_extensions.Buffer, rtx_payload_type: typing.SupportsInt | typing.SupportsIndex, rtx_ssrc: typing.SupportsInt | typing.SupportsIndex, rtx_sequence: typing.SupportsInt | typing.SupportsIndex) -> bytes | None:
    ...
def transport_feedback_build(received: collections.abc.Sequence[tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]], base_seq: typing.SupportsInt | typing.SupportsIndex, reference_time_us: typing.SupportsInt | typing.SupportsIndex, feedback_count: typing.SupportsInt | typing.SupportsIndex, sender_ssrc: typing.SupportsInt | typing.SupportsIndex, media_ssrc: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
    """
    Build one RTCP transport feedback from (seq, arrival_us) pairs in sequence order: bytes, or a str saying why it cannot be encoded.
    """
def transport_feedback_parse(data: bytes) -> typing.Any:
    """
    Parse one RTCP transport feedback: a dict, or a str saying why it was rejected.
    """
def ulpfec_build(packets: collections.abc.Sequence[bytes]) -> bytes:
    ...
def ulpfec_parse(payload: typing_extensions.Buffer) -> UlpfecHeader | None:
    ...
def ulpfec_recover(fec_payload: typing_extensions.Buffer, present: collections.abc.Sequence[bytes], ssrc: typing.SupportsInt | typing.SupportsIndex) -> bytes | None:
    ...
