"""Calls in conversations: each party's leg terminates in this node, and the legs' audio
is bridged here (customer <-> server <-> agent).

A party (the conversation's customer, its agent, a supervisor) sends an SDP offer; the
node answers it with a cbcs peer (:class:`cbcs.rtc.Peer`: the core's jitter buffer, Opus
FEC and RED, transport-wide feedback and send-side rate control; the customer's audio is
denoised) whose received audio goes into the call's :class:`~cbcs.rtc.bridge.AudioBridge`
and whose sent audio comes from it. A second offer from the same party replaces its leg
(a reconnect or a new network). Legs belong to parties, not to the assignment: in a warm
transfer the next agent's leg joins while the first agent's is still up. A leg ends when
its party hangs up, its live channel closes, its peer's connection fails or no audio comes
from it for ``media_timeout_s``; the call ends with its last leg.

A leg's ``mode``: ``join`` (hears everyone, heard by everyone: the customer's and the
agent's legs), ``listen`` (hears everyone, heard by no one) or ``whisper`` (hears everyone,
heard by the call's agents only). The bridge mixes once per tick for the whole call (a
room: a few speakers, many listeners; see :mod:`cbcs.rtc.bridge`), and the legs that hear
alike (every ``listen`` leg) share one Opus encode; ``max_legs`` bounds a call's size. An
interpreter or a second agent is one more ``join`` leg. Only a supervisor (or an admin)
listens or whispers, and a supervisor's leg listens unless it asks otherwise;
:meth:`CallCentre.set_mode` changes it during the call (a supervisor barging in).

Quality for people: every ``quality_every_s`` the centre reads each leg's figures (MOS,
loss before and after recovery, jitter-buffer delay, estimated bandwidth towards the party,
RTT) and hands them to ``on_quality``; when a leg ends, its final figures go to
``on_leg_end`` (the node keeps them in the conversation's record).

Captions: with ``captions`` set, each person who joins (not the AI, nor a supervisor who
listens or whispers) gets a captioner on their leg (:mod:`cbcs.services.captions`); its
captions go to ``on_caption`` in order, one call at a time. While an AI leg is on the call
the customer is not captioned: the AI voice posts what it hears as the customer's messages.
A party who turns spoken translation on (:meth:`CallCentre.set_spoken`) also hears the
others' translated captions spoken (:meth:`CallCentre.speak_to`), over their voices ducked.

The AI voice is one more leg (:meth:`CallCentre.add_voice`).

Video: a leg whose offer has video (VP8, else H.264) answers it with a sending stream of
its own, and the call's :class:`~cbcs.rtc.video.VideoForwarder` forwards the packets
between the legs (no decode): everyone sees the customer, the customer sees the agent
(see :mod:`cbcs.rtc.video`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.ai.captions import Caption, Captioner
from cbcs.rtc.bridge import AudioBridge, HeardBy
from cbcs.rtc.clock import MediaClock
from cbcs.rtc.media import PlayoutRecorder
from cbcs.rtc.video import VideoForwarder
from cbcs.services.captions import LegCaptions

log = logging.getLogger(__name__)


MODES = ("join", "listen", "whisper")
#: Roles whose legs may listen or whisper; every other leg joins.
OVERHEARING_ROLES = ("supervisor", "admin")


class CallError(Exception):
    """A refused call action: ``code`` (``bad_sdp``, ``call_full``, ``forbidden``,
    ``not_found``) and a message."""

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


def heard_by(mode: str) -> HeardBy:
    """Which legs hear a leg in ``mode`` (see the module docstring)."""
    if mode == "listen":
        return lambda to: False
    if mode == "whisper":
        return lambda to: to.startswith("agent:")
    return None


def quality(stats: Any) -> dict[str, Any]:
    """A leg's figures for people, from its peer's :class:`~cbcs.rtc.stats.CallStats`:
    what the node received from the party (loss, jitter buffer, MOS) and the path towards
    it (estimated bandwidth, RTT). None where not known yet."""
    def r(v: float | None, nd: int = 1) -> float | None:
        return None if v is None else round(float(v), nd)

    return {"mos": r(stats.mos, 2), "loss_before_recovery_pct": r(stats.loss_before_recovery_pct),
            "loss_after_recovery_pct": r(stats.loss_after_recovery_pct),
            "jitter_buffer_ms": r(stats.jitter_buffer_delay_ms, 0),
            "concealed_pct": r(stats.concealed_pct),
            "bandwidth_bps": r(stats.estimated_bandwidth_bps, 0), "rtt_ms": r(stats.rtt_ms, 0)}


def describe(role: str, seconds: float, reason: str, q: dict[str, Any]) -> str:
    """The line a leg's end leaves in the conversation's record."""
    def f(key: str, unit: str, scale: float = 1.0, fmt: str = "{:.0f}") -> str:
        v = q.get(key)
        return "?" if v is None else fmt.format(v / scale) + unit

    who = "AI" if role == "ai" else role
    if all(q.get(k) is None for k in ("mos", "jitter_buffer_ms", "rtt_ms")):
        return f"Call: the {who} left after {seconds:.0f} s ({reason})."
    return (f"Call: the {who} left after {seconds:.0f} s ({reason}). Their audio: MOS "
            f"{f('mos', '', fmt='{:.1f}')}, loss {f('loss_before_recovery_pct', ' %', fmt='{:.1f}')}"
            f" before recovery and {f('loss_after_recovery_pct', ' %', fmt='{:.1f}')} after, "
            f"jitter buffer {f('jitter_buffer_ms', ' ms')}; towards them "
            f"{f('bandwidth_bps', ' kbit/s', 1000.0)}, RTT {f('rtt_ms', ' ms')}.")


@dataclass
class Leg:
    party: str            # "role:subject"
    owner: object         # what opened it (a live-channel session); its end ends the leg
    peer: Any
    mode: str = "join"
    started: float = field(default_factory=time.monotonic)
    watcher: asyncio.Task[None] | None = None
    captions: LegCaptions | None = None
    spoken: bool = False      # hears the others' captions spoken in its own language

    @property
    def role(self) -> str:
        return self.party.split(":", 1)[0]


@dataclass
class Call:
    conversation: str
    bridge: AudioBridge = field(default_factory=AudioBridge)
    #: one media clock for all the legs: what one hears goes out on the others that tick
    clock: MediaClock = field(default_factory=MediaClock)
    legs: dict[str, Leg] = field(default_factory=dict)
    reporter: asyncio.Task[None] | None = None
    #: the legs' video, forwarded packet by packet
    video: VideoForwarder = field(default_factory=VideoForwarder)
    #: (party, caption) in the order the legs' captioners gave them, for ``on_caption``
    captions: asyncio.Queue[tuple[str, Caption]] = field(default_factory=asyncio.Queue)
    captioning: asyncio.Task[None] | None = None


#: on_quality(conversation, {party: {"mode", "seconds", figures...}})
QualityHook = Callable[[str, dict[str, dict[str, Any]]], Awaitable[None]]
#: on_leg_end(conversation, party, reason, {"mode", "seconds", figures...})
LegEndHook = Callable[[str, str, str, dict[str, Any]], Awaitable[None]]
#: captions(conversation, party) -> a captioner for the party's leg, or None: not captioned
CaptionSource = Callable[[str, str], Awaitable[Captioner | None]]
#: on_caption(conversation, party, caption)
CaptionHook = Callable[[str, str, Caption], Awaitable[None]]


class CallCentre:
    """The calls of this node, by conversation (see the module docstring).

    ``ice_addresses``: the host addresses the legs offer (None: every interface; tests and
    single-host set-ups pass ``["127.0.0.1"]``); ``max_legs`` per call; ``on_quality`` and
    ``on_leg_end`` receive the legs' figures (module docstring); a leg whose party has
    sent no audio for ``media_timeout_s`` ends (``no media``); ``captions`` and
    ``on_caption``: the legs' captions (module docstring)."""

    def __init__(self, *, ice_addresses: Sequence[str] | None = None, max_legs: int = 4,
                 on_quality: QualityHook | None = None, on_leg_end: LegEndHook | None = None,
                 quality_every_s: float = 5.0, media_timeout_s: float = 15.0,
                 captions: CaptionSource | None = None,
                 on_caption: CaptionHook | None = None) -> None:
        self.ice_addresses = list(ice_addresses) if ice_addresses is not None else None
        self.max_legs = max_legs
        self.on_quality, self.on_leg_end = on_quality, on_leg_end
        self.captions, self.on_caption = captions, on_caption
        self.quality_every_s = quality_every_s
        self.media_timeout_s = media_timeout_s
        self.calls: dict[str, Call] = {}

    def parties(self, conversation: str) -> list[str]:
        """The parties on the conversation's call now."""
        call = self.calls.get(conversation)
        return list(call.legs) if call else []

    def mode(self, conversation: str, role: str, subject: str) -> str | None:
        """The party's leg's mode now; None when it has no leg."""
        call = self.calls.get(conversation)
        leg = call.legs.get(f"{role}:{subject}") if call else None
        return leg.mode if leg else None

    @staticmethod
    def _check_mode(role: str, mode: str | None) -> str:
        if mode is None:
            return "listen" if role == "supervisor" else "join"
        if mode not in MODES:
            raise CallError("bad_request", f"mode: expected one of {', '.join(MODES)}, got "
                            f"{mode!r}")
        if mode != "join" and role not in OVERHEARING_ROLES:
            raise CallError("forbidden", f"a {role} joins calls; only a supervisor may "
                            f"{mode}")
        return mode

    async def offer(self, conversation: str, role: str, subject: str, sdp: str,
                    owner: object, mode: str | None = None) -> str:
        """Answer a party's offer with a leg on the conversation's call; the answer SDP.
        Raises :class:`CallError` (``bad_sdp``, ``call_full``, ``forbidden``)."""
        from cbcs.rtc import Peer
        from cbcs.rtc.sdp import SdpError

        mode = self._check_mode(role, mode)
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

        def shared(bitrate_bps: int) -> bytes | None:
            return bridge.encoded(party, bitrate_bps)

        peer = Peer(ice_addresses=self.ice_addresses, fill=fill, denoise=role == "customer",
                    clock=call.clock, forward_video=True, shared=shared)
        peer.recorder = _BridgeSink(bridge, party)
        try:
            answer: str = await peer.answer(sdp)
        except SdpError as exc:
            await peer.close("bad offer")
            self._forget_if_empty(call)
            raise CallError("bad_sdp", str(exc)) from None
        bridge.add(party, heard_by=heard_by(mode))
        if role == "agent":   # a person takes the call over from the AI: it leaves
            for ai in [p for p in call.legs if p.startswith("ai:")]:
                await self._end_leg(call, ai, "handed to a person")
        leg = Leg(party, owner, peer, mode)
        if peer.video_port is not None:
            call.video.add(party, role, peer.video_port)
        loop = asyncio.get_running_loop()
        leg.watcher = loop.create_task(self._watch(call, leg))
        call.legs[party] = leg
        if call.reporter is None and self.on_quality is not None:
            call.reporter = loop.create_task(self._report(call))
        if mode == "join" and self.captions is not None and self.on_caption is not None:
            loop.create_task(self._start_captions(call, leg))
        log.info("call %s: %s joined (%s, %d legs)", conversation, role, mode, len(call.legs))
        return answer

    async def _start_captions(self, call: Call, leg: Leg) -> None:
        """Caption ``leg`` once its captioner is ready (the first call loads the model)."""
        assert self.captions is not None
        try:
            captioner = await self.captions(call.conversation, leg.party)
        except Exception as exc:   # no models here: calls go on without captions
            log.warning("call %s: no captions (%s)", call.conversation, exc)
            return
        if captioner is None:
            return
        if call.legs.get(leg.party) is not leg:   # gone while the model loaded
            captioner.close()
            return

        def emit(caption: Caption) -> None:
            call.captions.put_nowait((leg.party, caption))

        leg.captions = LegCaptions(captioner, emit, paused=lambda: any(
            p.startswith("ai:") for p in call.legs))
        call.bridge.tap(leg.party, leg.captions)
        if call.captioning is None:
            call.captioning = asyncio.get_running_loop().create_task(self._send_captions(call))

    async def _send_captions(self, call: Call) -> None:
        while True:
            party, caption = await call.captions.get()
            if self.on_caption is None:
                continue
            try:
                await self.on_caption(call.conversation, party, caption)
            except Exception:  # one lost caption must not stop the others
                log.exception("call %s: a caption was not delivered", call.conversation)

    def add_voice(self, conversation: str, voice: Any, party: str = "ai:first-tier") -> None:
        """The AI joins the conversation's call as one more leg (a
        :class:`~cbcs.services.voice_leg.VoiceLeg` around ``voice``); it leaves when a
        person's agent leg joins (the call stays up) or with the call. Raises
        :class:`CallError` ``not_found`` when the conversation has no call."""
        from cbcs.services.voice_leg import VoiceLeg

        call = self.calls.get(conversation)
        if call is None or not call.legs:
            raise CallError("not_found", f"conversation {conversation} has no call")
        if party in call.legs:
            return
        call.bridge.add(party)
        call.legs[party] = Leg(party, self, VoiceLeg(voice, call.bridge, party, call.clock))
        log.info("call %s: the AI joined (%d legs)", conversation, len(call.legs))

    async def set_mode(self, conversation: str, role: str, subject: str, mode: str) -> None:
        """Change the mode of the party's leg (``listen`` -> ``whisper`` -> ``join``)."""
        mode = self._check_mode(role, mode)
        call = self.calls.get(conversation)
        leg = call.legs.get(f"{role}:{subject}") if call else None
        if call is None or leg is None:
            raise CallError("not_found", f"no call of yours in {conversation}")
        leg.mode = mode
        call.bridge.set_heard_by(leg.party, heard_by(mode))
        log.info("call %s: %s now %s", conversation, role, mode)

    def set_spoken(self, conversation: str, role: str, subject: str, on: bool) -> None:
        """Turn spoken translation on or off for the party's own leg."""
        call = self.calls.get(conversation)
        leg = call.legs.get(f"{role}:{subject}") if call else None
        if leg is None:
            raise CallError("not_found", f"no call of yours in {conversation}")
        leg.spoken = on
        log.info("call %s: spoken translation %s for %s", conversation,
                 "on" if on else "off", role)

    def spoken_to(self, conversation: str) -> list[str]:
        """The parties who hear translations spoken."""
        call = self.calls.get(conversation)
        return [p for p, leg in call.legs.items() if leg.spoken] if call else []

    def speak_to(self, conversation: str, party: str, pcm: npt.NDArray[np.int16]) -> bool:
        """Play speech (int16 at 48 kHz) to ``party`` alone; False when it left."""
        call = self.calls.get(conversation)
        if call is None or party not in call.legs:
            return False
        call.bridge.overlay(party, pcm)
        return True

    async def figures(self, conversation: str) -> dict[str, dict[str, Any]]:
        """Each leg's mode, seconds on the call and quality figures, by party."""
        call = self.calls.get(conversation)
        out: dict[str, dict[str, Any]] = {}
        for party, leg in list(call.legs.items()) if call else []:
            out[party] = await self._figures(leg)
        return out

    @staticmethod
    async def _figures(leg: Leg) -> dict[str, Any]:
        return {"mode": leg.mode, "seconds": round(time.monotonic() - leg.started, 1),
                **quality(await leg.peer.stats())}

    async def _report(self, call: Call) -> None:
        """Every ``quality_every_s`` while the call has legs: the figures to ``on_quality``."""
        while call.legs and self.on_quality is not None:
            await asyncio.sleep(self.quality_every_s)
            if not call.legs:
                return
            try:
                await self.on_quality(call.conversation, await self.figures(call.conversation))
            except Exception:  # a failed report must not end the call
                log.exception("call %s: quality report failed", call.conversation)

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
        """End the leg when its peer's connection fails or closes, or when no audio has
        come from its party for ``media_timeout_s`` once some had (a phone that lost its
        network keeps ICE alive for a while; a browser sends packets even in silence)."""
        pc = leg.peer.pc
        heard, quiet_since = -1, time.monotonic()
        while pc is not None and call.legs.get(leg.party) is leg:
            if pc.connectionState in ("failed", "closed"):
                log.info("call %s: %s lost (%s)", call.conversation, leg.role,
                         pc.connectionState)
                await self._end_leg(call, leg.party, f"connection {pc.connectionState}")
                return
            rx = getattr(leg.peer, "rx", None)
            got = rx.counters.packets_received if rx is not None else 0
            now = time.monotonic()
            if got != heard:
                heard, quiet_since = got, now
            elif got > 0 and now - quiet_since > self.media_timeout_s:
                log.info("call %s: %s lost (no audio for %.0f s)", call.conversation,
                         leg.role, now - quiet_since)
                await self._end_leg(call, leg.party, "no media")
                return
            await asyncio.sleep(0.5)

    async def _end_leg(self, call: Call, party: str, reason: str) -> None:
        leg = call.legs.pop(party, None)
        if leg is None:
            return
        call.bridge.remove(party)
        call.video.remove(party)
        if leg.captions is not None:
            leg.captions.close()
        if leg.watcher is not None and leg.watcher is not asyncio.current_task():
            leg.watcher.cancel()
        log.info("call %s: %s left (%s)", call.conversation, leg.role, reason)
        figures = await self._figures(leg)
        # the peer warns about failures only: a hang-up or a closed channel is the usual end
        await leg.peer.close(reason if reason.startswith("connection") else "hang-up")
        self._forget_if_empty(call)
        if self.on_leg_end is not None:
            try:
                await self.on_leg_end(call.conversation, party, reason, figures)
            except Exception:  # the record is best effort; the leg has ended either way
                log.exception("call %s: recording the end of a leg failed", call.conversation)
        if call.legs and all(p.startswith("ai:") for p in call.legs):
            for ai in list(call.legs):   # no person left to talk to
                await self._end_leg(call, ai, "the call ended")

    def _forget_if_empty(self, call: Call) -> None:
        if not call.legs and self.calls.get(call.conversation) is call:
            del self.calls[call.conversation]
            for task in (call.reporter, call.captioning):
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
