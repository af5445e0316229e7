"""
cbcs media core (private; use cbcs.media)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['EModelResult', 'FeedbackGenerator', 'JitterBuffer', 'JitterDistribution', 'Link', 'Pacer', 'SendSideBwe', 'allocation_count', 'burst_ratio', 'emodel', 'mos_from_r', 'transport_feedback_build', 'transport_feedback_parse']
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
def allocation_count() -> int:
    """
    Number of C++ heap allocations made inside cbcs._core since import.
    """
def burst_ratio(loss_fraction: typing.SupportsFloat | typing.SupportsIndex, mean_burst_packets: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def emodel(one_way_delay_ms: typing.SupportsFloat | typing.SupportsIndex, loss_percent: typing.SupportsFloat | typing.SupportsIndex, burst_ratio: typing.SupportsFloat | typing.SupportsIndex, codec_ie: typing.SupportsFloat | typing.SupportsIndex, codec_bpl: typing.SupportsFloat | typing.SupportsIndex, advantage: typing.SupportsFloat | typing.SupportsIndex) -> EModelResult:
    ...
def mos_from_r(r: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def transport_feedback_build(received: collections.abc.Sequence[tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]], base_seq: typing.SupportsInt | typing.SupportsIndex, reference_time_us: typing.SupportsInt | typing.SupportsIndex, feedback_count: typing.SupportsInt | typing.SupportsIndex, sender_ssrc: typing.SupportsInt | typing.SupportsIndex, media_ssrc: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
    """
    Build one RTCP transport feedback from (seq, arrival_us) pairs in sequence order: bytes, or a str saying why it cannot be encoded.
    """
def transport_feedback_parse(data: bytes) -> typing.Any:
    """
    Parse one RTCP transport feedback: a dict, or a str saying why it was rejected.
    """
