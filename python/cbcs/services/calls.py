"""Calls in conversations: each party's leg terminates in this node, and the legs' audio
is bridged here (customer <-> server <-> agent).

A party (the conversation's customer, its agent, a supervisor) sends an SDP offer; the
node answers it with a cbcs peer (:class:`cbcs.rtc.Peer`: the core's jitter buffer, Opus
FEC and RED, transport-wide feedback and send-side rate control; the customer's audio is
denoised) whose received audio goes into the call's :class:`~cbcs.rtc.bridge.AudioBridge`
and whose sent audio comes from it. A second offer from the same party replaces its leg
(a reconnect or a new network); a leg ends when its party hangs up, its live channel
closes, or its peer's connection fails, and the call ends with its last leg.

Audio only in this version: video in an offer is answered by the peer but not forwarded
to the other legs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.rtc.bridge import AudioBridge
from cbcs.rtc.media import PlayoutRecorder

log = logging.getLogger(__name__)


class CallError(Exception):
    """A refused call action: ``code`` (``bad_sdp``, ``call_full``) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _BridgeSink(PlayoutRecorder):
    """Stands where a peer keeps its playout recorder: what it plays goes to the bridge."""

    def __init__(self, bridge: AudioBridge, leg: str) -> None:
        super().__init__()
        self.bridge, self.leg = bridge, leg

    def add(self, pcm: npt.NDArray[np.int16], wall: float) -> None:
        self.bridge.heard(self.leg, pcm)


@dataclass
class Leg:
    party: str            # "role:subject"
    owner: object         # what opened it (a live-channel session); its end ends the leg
    peer: Any
    watcher: asyncio.Task[None] | None = None


@dataclass
class Call:
    conversation: str
    bridge: AudioBridge = field(default_factory=AudioBridge)
    legs: dict[str, Leg] = field(default_factory=dict)


class CallCentre:
    """The calls of this node, by conversation (see the module docstring).

    ``ice_addresses``: the host addresses the legs offer (None: every interface; tests and
    single-host set-ups pass ``["127.0.0.1"]``); ``max_legs`` per call."""

    def __init__(self, *, ice_addresses: Sequence[str] | None = None, max_legs: int = 4) -> None:
        self.ice_addresses = list(ice_addresses) if ice_addresses is not None else None
        self.max_legs = max_legs
        self.calls: dict[str, Call] = {}

    def parties(self, conversation: str) -> list[str]:
        """The parties on the conversation's call now."""
        call = self.calls.get(conversation)
        return list(call.legs) if call else []

    async def offer(self, conversation: str, role: str, subject: str, sdp: str,
                    owner: object) -> str:
        """Answer a party's offer with a leg on the conversation's call; the answer SDP.
        Raises :class:`CallError` (``bad_sdp``, ``call_full``)."""
        from cbcs.rtc import Peer
        from cbcs.rtc.sdp import SdpError

        party = f"{role}:{subject}"
        call = self.calls.setdefault(conversation, Call(conversation))
        if party in call.legs:
            await self._end_leg(call, party, "replaced by a new offer")
        if len(call.legs) >= self.max_legs:
            raise CallError("call_full", f"conversation {conversation}: the call has "
                            f"{self.max_legs} legs already")
        bridge = call.bridge

        def fill(start: int, n: int, wall: float) -> npt.NDArray[np.int16]:
            return bridge.to_send(party, n)

        peer = Peer(ice_addresses=self.ice_addresses, fill=fill, denoise=role == "customer")
        peer.recorder = _BridgeSink(bridge, party)
        try:
            answer: str = await peer.answer(sdp)
        except SdpError as exc:
            await peer.close("bad offer")
            self._forget_if_empty(call)
            raise CallError("bad_sdp", str(exc)) from None
        bridge.add(party)
        leg = Leg(party, owner, peer)
        leg.watcher = asyncio.get_running_loop().create_task(self._watch(call, leg))
        call.legs[party] = leg
        log.info("call %s: %s joined (%d legs)", conversation, role, len(call.legs))
        return answer

    async def hang_up(self, conversation: str, role: str, subject: str) -> bool:
        """End a party's leg; False when it had none."""
        call = self.calls.get(conversation)
        party = f"{role}:{subject}"
        if call is None or party not in call.legs:
            return False
        await self._end_leg(call, party, "hang-up")
        return True

    async def owner_gone(self, owner: object) -> None:
        """The live channel that opened some legs closed: they end."""
        for call in list(self.calls.values()):
            for party, leg in list(call.legs.items()):
                if leg.owner is owner:
                    await self._end_leg(call, party, "live channel closed")

    async def close(self) -> None:
        for call in list(self.calls.values()):
            for party in list(call.legs):
                await self._end_leg(call, party, "server shutting down")

    async def _watch(self, call: Call, leg: Leg) -> None:
        """End the leg when its peer's connection fails or closes."""
        pc = leg.peer.pc
        while pc is not None and call.legs.get(leg.party) is leg:
            if pc.connectionState in ("failed", "closed"):
                log.info("call %s: %s lost (%s)", call.conversation, leg.party.split(":")[0],
                         pc.connectionState)
                await self._end_leg(call, leg.party, f"connection {pc.connectionState}")
                return
            await asyncio.sleep(0.5)

    async def _end_leg(self, call: Call, party: str, reason: str) -> None:
        leg = call.legs.pop(party, None)
        if leg is None:
            return
        call.bridge.remove(party)
        if leg.watcher is not None and leg.watcher is not asyncio.current_task():
            leg.watcher.cancel()
        log.info("call %s: %s left (%s)", call.conversation, party.split(":")[0], reason)
        # the peer warns about failures only: a hang-up or a closed channel is the usual end
        await leg.peer.close(reason if reason.startswith("connection") else "hang-up")
        self._forget_if_empty(call)

    def _forget_if_empty(self, call: Call) -> None:
        if not call.legs and self.calls.get(call.conversation) is call:
            del self.calls[call.conversation]
