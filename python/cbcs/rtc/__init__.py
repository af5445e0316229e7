"""WebRTC peers whose audio runs through the cbcs media core (aiortc for ICE/DTLS/SDP)."""

from cbcs.rtc.impair import Impairment
from cbcs.rtc.peer import Peer
from cbcs.rtc.sdp import SdpError
from cbcs.rtc.stats import CallStats

__all__ = ["CallStats", "Impairment", "Peer", "SdpError"]
