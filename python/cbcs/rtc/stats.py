"""Per-call statistics, named like WebRTC's getStats where a counterpart exists, plus MOS."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from cbcs.media import quality


@dataclass
class CallStats:
    """One call's media figures at the moment they were taken (``Peer.stats()``).

    Loss is in percent of packets the remote sent; ``loss_after_recovery_pct`` counts only
    packets whose audio neither arrived nor was rebuilt from RED or FEC. ``None`` means the
    figure is not known (yet), e.g. RTT before the first receiver report.
    """

    media_path: str
    impairment: str | None
    rtt_ms: float | None = None
    jitter_ms: float = 0.0
    packets_received: int = 0
    packets_lost: int = 0
    loss_before_recovery_pct: float = 0.0
    loss_after_recovery_pct: float = 0.0
    recovered_fec: int = 0
    recovered_red: int = 0
    #: the jitter buffer's mean target over the call, beyond the fastest packets
    jitter_buffer_delay_ms: float | None = None
    concealed_pct: float = 0.0
    playout_kinds: dict[str, int] = dataclasses.field(default_factory=dict)
    packets_sent: int = 0
    send_bitrate_bps: float = 0.0
    estimated_bandwidth_bps: float | None = None
    opus_bitrate_bps: int | None = None
    red_depth: int | None = None        #: earlier frames in each RED packet we send
    sent_loss_pct: float | None = None  #: our packets lost on the way, per the remote's feedback
    malformed_packets: int = 0
    mos: float | None = None
    #: what the emulated link did per direction (netsim counters), when impaired
    link: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    #: the cbcs core pieces this call's media runs through (the rest is aiortc's)
    core: list[str] = dataclasses.field(default_factory=list)

    def rate(self, one_way_delay_ms: float | None = None) -> None:
        """Fill ``mos`` from the E-model: ``one_way_delay_ms`` when measured (markers),
        else half the RTT plus the jitter-buffer delay and 30 ms of codec and playout."""
        if one_way_delay_ms is None:
            if self.rtt_ms is None:
                return
            one_way_delay_ms = self.rtt_ms / 2 + (self.jitter_buffer_delay_ms or 0.0) + 30.0
        self.mos = quality.rate(one_way_delay_ms, self.loss_after_recovery_pct).mos

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)
