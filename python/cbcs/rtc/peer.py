"""A WebRTC voice peer for cbcs: aiortc does ICE, DTLS-SRTP and SDP; the audio runs through
the cbcs media path (libopus with FEC and live bitrate, the cbcs jitter buffer with
concealment on a 10 ms playout clock) and, optionally, through an emulated bad network.

:class:`BasePeer` is what it shares with the benchmarks' stock aiortc peer
(:mod:`cbcs.bench.harness.stock`): ICE, DTLS and SDP set-up, the impairment, CPU figures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import (RTCConfiguration, RTCPeerConnection, RTCRtpSender,
                    RTCSessionDescription)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket, RtcpSrPacket

from cbcs.errors import ConfigError
from cbcs.media import (Denoiser, FeedbackGenerator, JitterBuffer, SendSideBwe, TransportFeedback,
                        netsim)
from cbcs.rtc import internals, protection
from cbcs.rtc.clock import MediaClock
from cbcs.rtc import sdp as sdpmod
from cbcs.rtc.fastpath import AudioFastPath, AudioHandler
from cbcs.rtc.link import AudioLink
from cbcs.rtc.ice import configure_ice, dropped_datagrams, keep_candidates
from cbcs.rtc.impair import Impairment
from cbcs.rtc.media import (Fill, PacedAudioTrack, PatternVideoTrack, PlayoutRecorder, mono_ms,
                             silence)
from cbcs.rtc.opus import OpusEncoder
from cbcs.rtc.receive import JitterBufferReceiver
from cbcs.rtc.send import AudioSender, IdleAudioTrack, Shared
from cbcs.rtc.stats import CallStats
from cbcs.rtc.tickread import TickReader
from cbcs.rtc.video import SilentVideoTrack, VideoPort, header_extension

log = logging.getLogger("cbcs.rtc")
internals.check_versions()

#: Most the jitter buffer may hold above the fast packets' delay. Mouth-to-ear is about the
#: link's base delay + this + 45 ms of capture, codec and playout, so even on a 200 ms link
#: it stays inside the 600 ms budget; packets later than that are concealed instead.
MAX_BUFFER_MS = 300


class BasePeer:
    media_path = "base"

    def __init__(self, *, impair: str | netsim.LinkParams | None = None, seed: int = 0,
                 ice_addresses: Sequence[str] | None = None, fill: Fill = silence,
                 loopback_only_remote: bool = False, video: bool = False,
                 forward_video: bool = False) -> None:
        self.video = video
        self.forward_video = forward_video
        self._video_transceiver: Any = None
        self.video_frames_received = 0
        self.impairment = Impairment(impair, seed) if impair is not None else None
        self.ice_addresses = ice_addresses
        self.loopback_only_remote = loopback_only_remote
        self.fill = fill
        self.track: Any = PacedAudioTrack(fill)
        self.recorder = PlayoutRecorder()
        self.pc: RTCPeerConnection | None = None
        self.closed_reason: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._cpu0 = (time.process_time(), time.monotonic())

    async def answer(self, offer_sdp: str) -> str:
        """Take a remote offer, return our answer (candidates included, no trickle).

        Raises :class:`cbcs.rtc.sdp.SdpError` for an offer we cannot use; the peer is then
        closed and the reason logged, and nothing else in the process is affected.
        """
        try:
            sdpmod.validate(offer_sdp)
            if self.loopback_only_remote:
                offer_sdp = keep_candidates(offer_sdp, ["127.0.0.1"])
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.pc.on("connectionstatechange", self._on_state)
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            except (ValueError, KeyError, IndexError, TypeError, AttributeError,
                    AssertionError) as exc:
                # what aiortc's own SDP parser raises (or asserts) on malformed input
                raise sdpmod.SdpError(
                    f"offer: not a usable session description ({type(exc).__name__}: {exc})"
                ) from None
            audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
            if not audio:
                raise sdpmod.SdpError("offer: expected an audio section, got none")
            sender = self.pc.addTrack(self.track)
            self._before_answer(sender, audio[0], offer_sdp)
            for t in self.pc.getTransceivers():
                if t.kind == "video" and self.video:
                    # one-to-one video stays on aiortc's VP8 path (NACK, PLI, REMB)
                    self.pc.addTrack(PatternVideoTrack())
                    self._tasks.append(asyncio.ensure_future(self._count_video(t)))
                elif t.kind == "video" and self.forward_video and self._video_transceiver is None:
                    # forwarded video (cbcs.rtc.video): a sending SSRC, nothing encoded
                    codecs = video_codec_preferences(offer_sdp)
                    if codecs:
                        t.setCodecPreferences(codecs)
                        self.pc.addTrack(SilentVideoTrack())
                        self._video_transceiver = t
            configure_ice(self.pc, self.ice_addresses,
                          self.impairment.wrap if self.impairment else None)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            answer = self.pc.localDescription.sdp
            return self._after_answer(answer, offer_sdp, audio[0])
        except sdpmod.SdpError as exc:
            await self.close(f"bad offer: {exc}")
            raise
        except Exception as exc:
            await self.close(f"answer failed: {type(exc).__name__}: {exc}")
            raise

    def _before_answer(self, sender: RTCRtpSender, transceiver: Any, offer: str) -> None:
        pass

    async def _count_video(self, transceiver: Any) -> None:
        try:
            while True:
                await transceiver.receiver.track.recv()
                self.video_frames_received += 1
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _after_answer(self, answer: str, offer: str, transceiver: Any) -> str:
        return answer

    def _on_state(self) -> None:
        if self.pc is not None and self.pc.connectionState == "failed":
            asyncio.ensure_future(self.close("ICE/DTLS connection failed"))

    async def wait_connected(self, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.pc is None or self.pc.connectionState != "connected":
            if self.closed_reason is not None:
                raise ConnectionError(self.closed_reason)
            if loop.time() > end:
                state = self.pc.connectionState if self.pc else "none"
                raise TimeoutError(f"not connected after {timeout} s ({state})")
            await asyncio.sleep(0.02)

    def start_cpu_window(self) -> None:
        """Start the window over which :meth:`cpu_percent` measures."""
        self._cpu0 = (time.process_time(), time.monotonic())

    def cpu_seconds(self) -> tuple[float, float]:
        """(process CPU time, wall time) in s since :meth:`start_cpu_window`."""
        cpu, wall = self._cpu0
        return time.process_time() - cpu, time.monotonic() - wall

    def cpu_percent(self) -> float:
        """Process CPU time / wall time since :meth:`start_cpu_window`, in % of one core."""
        cpu, wall = self.cpu_seconds()
        return 100.0 * cpu / wall if wall > 0 else 0.0

    async def _sender_stats(self) -> tuple[float | None, int]:
        rtt, sent = None, 0
        if self.pc is None:
            return rtt, sent
        for s in self.pc.getSenders():
            for st in (await s.getStats()).values():
                if st.type == "remote-inbound-rtp" and st.roundTripTime is not None:
                    rtt = st.roundTripTime * 1000.0
                if st.type == "outbound-rtp":
                    sent += st.packetsSent
        return rtt, sent

    async def close(self, reason: str = "hang-up") -> None:
        """End the call (twice is harmless); ``closed_reason`` says why."""
        if self.closed_reason is None:
            self.closed_reason = reason
            if reason != "hang-up":
                log.warning("call ended: %s", reason)
        for t in self._tasks:
            t.cancel()
        self._tasks.clear()
        if self.pc is not None:
            pc, self.pc = self.pc, None
            await pc.close()


class Peer(BasePeer):
    """A cbcs voice peer. ``impair="latam-3g"`` puts the emulated link on its UDP path.

    ``answer(offer)`` -> answer SDP; then :meth:`stats` any time, :meth:`close` at the end.
    ``fill(start_sample, n, wall_ms)`` supplies the audio it sends (48 kHz mono int16);
    what it plays is kept in ``recorder`` (10 ms blocks, wall-clock stamped). The core
    pieces the call runs through are listed in ``core``: the jitter buffer (receive), RED
    (both ways, when the offer has it), transport-wide feedback and the send-side
    estimator setting the Opus bitrate (when the offer has transport-cc), and the
    denoiser when ``denoise=True``. ``red_depth=None`` (default) sizes the RED copies we
    send from the loss the remote's transport feedback reports (:mod:`cbcs.rtc.protection`);
    a number fixes it. ``clock``: the media clock shared with the other legs of a call
    (default: one of its own). ``shared(bitrate_bps)``: this frame already encoded once
    for several legs (the call's bridge gives it to a room's listeners), or None.
    """

    media_path = "cbcs"

    def __init__(self, *, impair: str | netsim.LinkParams | None = None, seed: int = 0,
                 ice_addresses: Sequence[str] | None = None, fill: Fill = silence,
                 loopback_only_remote: bool = False, start_bitrate_bps: int = 32000,
                 denoise: bool = False, red_depth: int | None = None, video: bool = False,
                 clock: MediaClock | None = None, forward_video: bool = False,
                 shared: Shared | None = None) -> None:
        super().__init__(impair=impair, seed=seed, ice_addresses=ice_addresses, fill=fill,
                         loopback_only_remote=loopback_only_remote, video=video,
                         forward_video=forward_video)
        #: the leg's video for a :class:`cbcs.rtc.video.VideoForwarder` (``forward_video``
        #: and an offer with VP8 or H.264 video), else None
        self.video_port: VideoPort | None = None
        self.opus = OpusEncoder(start_bitrate_bps)
        self.track = IdleAudioTrack()  # parks aiortc's send loop: AudioSender sends
        self.audio_sender: AudioSender | None = None
        self.denoise = denoise
        if red_depth is not None and not 1 <= red_depth <= protection.MAX_DEPTH:
            raise ConfigError(f"red_depth: expected None or 1..{protection.MAX_DEPTH}, got {red_depth}")
        self.adaptive_red = red_depth is None
        self.red_depth = protection.START_DEPTH if red_depth is None else red_depth
        self.sent_loss = protection.LossRuns()  # our packets, as the remote's feedback reports
        self.rx: JitterBufferReceiver | None = None
        self.offer = sdpmod.AudioOffer()
        self.core: list[str] = []
        self._lsr: tuple[int, float] | None = None
        self.feedback: FeedbackGenerator | None = None
        self.bwe: SendSideBwe | None = None
        self._remote_ssrc = 0
        self._transceiver: Any = None
        self.fastpath: AudioFastPath | None = None
        self.link: AudioLink | None = None
        self._on_audio: AudioHandler | None = None
        self.clock = clock
        self.shared = shared
        self._clocked = False
        self._steps = 0
        self._reader: TickReader | None = None

    # -- setup ---------------------------------------------------------------------------
    def _before_answer(self, sender: RTCRtpSender, transceiver: Any, offer: str) -> None:
        self.offer = sdpmod.parse_audio_offer(offer)
        if self.offer.opus_pt is None:
            raise sdpmod.SdpError("offer: expected Opus (opus/48000/2) in the audio section, "
                                  "got none")
        self._transceiver = transceiver
        self.audio_sender = AudioSender(sender, self.opus, self.fill,
                                        payload_type=self.offer.opus_pt, send=self._send_rtp,
                                        shared=self.shared)
        self.core.append("send:libopus+fec")
        receiver = transceiver.receiver
        denoiser = _make_denoiser() if self.denoise else None
        if denoiser is not None:
            self.core.append("receive:denoise")
        self.rx = JitterBufferReceiver(
            JitterBuffer(sample_rate=48000, max_delay_ms=MAX_BUFFER_MS),
            lambda pcm, kind, wall: self.recorder.add(pcm, wall), opus_pt=self.offer.opus_pt,
            red_pt=self.offer.red_pt, transport_cc_id=self.offer.transport_cc_id,
            denoiser=denoiser)
        self.core.append("receive:jitter-buffer+opus-fec")
        rx = self.rx

        def received(info: tuple[bool, int, int] | None, arrival_ms: float) -> None:
            if info is None:
                return
            accepted, ssrc, tseq = info
            if tseq >= 0 and self.feedback is not None:
                self.feedback.on_packet(tseq, arrival_ms)  # every arrival counts for the BWE
            if accepted:
                self._remote_ssrc = ssrc

        def on_audio(packet: bytes, arrival_ms: float) -> None:
            # The buffer is told when the packet became usable, not when the kernel got it.
            # Read once per tick, a packet that lands just after a read waits for the next,
            # and both 10 ms blocks of a tick are pulled at once; a buffer that saw only
            # kernel times counted such a packet on time, never learned, and concealed the
            # block it missed (0.2-1.3 % of a clean LAN call's speech). Knowing, it holds
            # about 10 ms more. The BWE keeps the kernel's time.
            received(rx.on_packet(packet, max(arrival_ms, mono_ms())), arrival_ms)

        self._on_audio = on_audio

        async def handle_rtp(packet: Any, arrival_time_ms: int) -> None:
            # aiortc's own receive pipeline stays out: what its router would still hand this
            # receiver (nothing while the fast path takes our audio) goes our way too
            now_ms = mono_ms()
            tseq = packet.extensions.transport_sequence_number
            accepted = rx.on_rtp(packet.sequence_number, packet.timestamp,
                                 packet.payload_type, packet.payload, now_ms)
            received((accepted, packet.ssrc, -1 if tseq is None else tseq), now_ms)

        def on_rtcp(packet: Any) -> None:
            if isinstance(packet, RtcpSrPacket):
                self._lsr = ((packet.sender_info.ntp_timestamp >> 16) & 0xFFFFFFFF,
                             time.time())

        internals.replace_receiver_handlers(receiver, handle_rtp, on_rtcp)

    def _after_answer(self, answer: str, offer: str, transceiver: Any) -> str:
        dtls = transceiver.sender.transport
        sender = transceiver.sender
        red = self.offer.red_pt is not None
        tcc = self.offer.transport_cc_id is not None
        if self.offer.red_pt is not None and self.audio_sender is not None:
            self.audio_sender.set_red(self.offer.red_pt, self.red_depth)
            # aiortc's router only passes payload types it negotiated itself
            internals.route_payload_type(dtls, self.offer.red_pt, transceiver.receiver)
            self.core.append("red:adaptive" if self.adaptive_red else f"red:{self.red_depth}")
        if tcc:
            ext = RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(
                id=int(self.offer.transport_cc_id or 0), uri=sdpmod.TRANSPORT_CC_URI)])
            internals.configure_header_extensions(dtls, sender, ext)  # parse theirs, write ours
            self.feedback = FeedbackGenerator(sender_ssrc=internals.sender_ssrc(sender))
            self.bwe = SendSideBwe(start_bps=64_000, min_bps=16_000, max_bps=256_000)
            if self.audio_sender is not None:
                self.audio_sender.on_sent = self.bwe.on_packet_sent
            bwe, sent_loss = self.bwe, self.sent_loss

            def on_rtcp_data(data: bytes) -> None:
                now_ms = mono_ms()
                for chunk in _rtcp_packets(data):
                    if chunk[1] == 205 and chunk[0] & 0x1F == 15:
                        if bwe.on_transport_feedback(chunk, now_ms):
                            feedback = TransportFeedback.parse(chunk)
                            sent_loss.add(arrival is not None for _, arrival in feedback.packets)

            internals.wrap_rtcp_data(dtls, on_rtcp_data)
            self.core.append("transport-cc+send-side-bwe")
        if self.audio_sender is not None:
            self.audio_sender.set_extensions(self.offer.mid_id, self.offer.transport_cc_id)
        audio_pts = {pt for pt in (self.offer.opus_pt, self.offer.red_pt) if pt is not None}
        assert self._on_audio is not None  # set with the receive path, before the answer
        self.fastpath = AudioFastPath(dtls, audio_pts, self._on_audio)
        self.fastpath.install()
        self.core.append("fast-path:srtp+rtp")
        if self.impairment is None:
            # (an in-process impairment needs each datagram's real arrival instant)
            self._reader = TickReader.attach(self.fastpath.protocols(), self.fastpath.set_arrival)
            if self._reader is not None:
                self.core.append("receive:read-per-tick")
        if self.clock is None:
            self.clock = MediaClock()
        self.clock.add(self)
        self._clocked = True
        self._tasks.append(asyncio.ensure_future(self._rtcp_reports(transceiver)))
        answer = sdpmod.munge_answer(answer, self.offer, inband_fec=True, red=red,
                                     transport_cc=tcc)
        if self._video_transceiver is not None:
            answer = self._open_video_port(answer, offer, dtls)
        return answer

    def _open_video_port(self, answer: str, offer: str, dtls: Any) -> str:
        """Expose the leg's video (what the answer agreed) as :attr:`video_port`: its
        received RTP and RTCP go to the port's hooks, aiortc's receiver keeps its feedback
        (REMB, within the port's cap; NACK; reports) but decodes nothing, and the port
        sends on the leg. When the call has transport-wide feedback, the answer accepts it
        for video too and the party's video packets are reported in it (with the kernel's
        arrival times, as audio's). Returns the answer."""
        from aiortc.clock import current_ntp_time

        section = sdpmod.parse_video_section(answer)
        t = self._video_transceiver
        if section is None or not section.ssrc or t.receiver.transport is not dtls:
            log.info("video: not forwarded (%s)", "no video agreed" if section is None
                     else "no sending SSRC" if not section.ssrc else "not bundled")
            return answer
        tcc_id = sdpmod.offered_video_extension(offer, sdpmod.TRANSPORT_CC_URI)
        if tcc_id is not None and self.feedback is not None and self.fastpath is not None:
            answer = sdpmod.add_video_transport_cc(answer, tcc_id)
            section.extensions[tcc_id] = sdpmod.TRANSPORT_CC_URI
            self._report_video_arrivals(self.fastpath, self.feedback, tcc_id,
                                        {section.payload_type, section.rtx_payload_type})
            self.core.append("video:transport-cc")
        internals.stop_frame_assembly(t.receiver)
        sender = t.sender

        def sent(rtp_timestamp: int, payload_size: int) -> None:
            internals.record_sent(sender, current_ntp_time(), rtp_timestamp, payload_size)

        port = VideoPort(section, send=self._send, sent=sent)
        types = {section.payload_type, section.rtx_payload_type}

        def on_rtp(data: bytes, arrival_ms: int) -> None:
            if len(data) >= 12 and data[1] & 0x7F in types and port.on_rtp is not None:
                port.on_rtp(data, float(arrival_ms))

        def on_rtcp(data: bytes) -> None:
            if port.on_rtcp is not None:
                port.on_rtcp(data)

        internals.wrap_rtp_data(dtls, on_rtp)
        internals.wrap_rtcp_data(dtls, on_rtcp)
        internals.cap_remb(t.receiver, port.capped)
        self.video_port = port
        self.core.append(f"video:forward({section.codec})")
        return answer

    @staticmethod
    def _report_video_arrivals(fastpath: AudioFastPath, feedback: FeedbackGenerator,
                               tcc_id: int, payload_types: set[int | None]) -> None:
        """Count each video datagram the fast path leaves to aiortc into the transport-wide
        feedback as it is read (before the tick's feedback is due: once aiortc's task
        had decrypted it, the feedback would already have called it lost). The sequence
        number is read from the SRTP header, which is not encrypted; datagrams reach this
        only from an address ICE validated."""
        for protocol in fastpath.protocols():
            inner = getattr(protocol, "cbcs_media", None)
            if inner is None:
                continue

            def media(data: bytes, _inner: Any = inner) -> bool:
                if _inner(data):
                    return True
                if len(data) >= 12 and 127 < data[0] < 192 and data[1] & 0x7F in payload_types \
                        and not 192 <= data[1] <= 223:
                    value = header_extension(data, tcc_id)
                    if value is not None and len(value) >= 2:
                        arrival = fastpath.arrival_ms
                        feedback.on_packet(int.from_bytes(value[:2], "big"),
                                           arrival if arrival is not None else mono_ms())
                return False

            protocol.cbcs_media = media

    def read(self) -> None:
        """The media clock's first call each tick: read the sockets when the peer reads
        them per tick (the core's link once it is open)."""
        if self._reader is None:
            return
        if self.link is None:
            self._open_link()
        else:
            self.link.follow_route()
        self._reader.drain()
        if self.link is not None and self.link.core.remote_ssrc:
            self._remote_ssrc = self.link.core.remote_ssrc

    def step(self, now_ms: float, wall: float) -> None:
        """The call's media work of one 20 ms tick at ``now_ms`` (media clock) and ``wall``
        (machine clock), neither read here: two 10 ms playout blocks, one encoded frame,
        transport feedback when due, the estimator's rate every 100 ms and the RED depth
        every second. The media clock (:mod:`cbcs.rtc.clock`) runs the two halves,
        :meth:`step_receive` and :meth:`step_send`, for all the legs of a call in turn."""
        self.step_receive(now_ms, wall)
        self.step_send(now_ms, wall)

    def step_receive(self, now_ms: float, wall: float) -> None:
        """Two 10 ms playout blocks."""
        if self.rx is not None:
            # an audio device pulling 20 ms plays the second half 10 ms later; the buffer is
            # told so, or it would see its delay jump by 10 ms every block and time-stretch
            # back and forth
            self.rx.play_block(now_ms, wall)
            self.rx.play_block(now_ms + 10.0, wall + 10.0)

    def step_send(self, now_ms: float, wall: float) -> None:
        """One encoded frame, feedback when due, the rate every 100 ms, RED every second."""
        self._steps += 1
        if self.audio_sender is not None:
            self.audio_sender.tick(now_ms, wall)
        if self.feedback is not None:
            for packet in self.feedback.poll(now_ms):
                self._send_rtcp(_with_media_ssrc(packet, self._remote_ssrc))
        if self._steps % 50 == 0:
            self._adapt_red()
        if self.bwe is not None and self._steps % 5 == 0:
            self.bwe.process(now_ms)
            self._apply_target(self.bwe.target_bps)

    def _adapt_red(self) -> None:
        """Once a second: the RED depth for the loss our packets meet on the way out."""
        sender = self.audio_sender
        if not self.adaptive_red or sender is None or sender.red_pt is None:
            return
        if self.sent_loss.seen >= 100:  # 2 s of feedback before trusting the figures
            self.red_depth = protection.red_depth_for(self.sent_loss.loss_rate,
                                                      self.sent_loss.mean_burst)
            sender.set_red(sender.red_pt, self.red_depth)

    def _apply_target(self, target_bps: float) -> None:
        """Share the estimated capacity between Opus and what rides along with it: RTP/UDP/
        IP headers (50 packets/s) and the RED copies of earlier frames."""
        depth = self.red_depth if self.audio_sender and self.audio_sender.red_pt else 0
        headers = 50 * (12 + 12 + 28) * 8
        opus = (target_bps - headers) / (1 + depth)
        self.opus.set_bitrate(int(min(max(opus, 12_000), 48_000)))

    def _open_link(self) -> None:
        """Hand the socket's audio to the core once DTLS-SRTP is up (the reader's sockets
        only: an in-process impairment keeps the Python fast path)."""
        if self.fastpath is None or self.rx is None or self._reader is None:
            return
        link = AudioLink.open(self.fastpath.dtls, self.rx, self.feedback,
                              set(self.fastpath.payload_types))
        if link is None:
            return
        link.follow_route()
        self.link = link
        self._reader.link = link.core
        self.core.append("receive+send:core-link(srtp,udp)")

    def _send_rtp(self, packet: bytes) -> None:
        """Send one of our audio RTP packets; ConnectionError when there is no call."""
        if self.link is not None:
            self.link.send(packet)
        else:
            self._send(packet)

    def _send(self, packet: bytes) -> None:
        """Send one RTP or RTCP packet; ConnectionError when there is no call to send on."""
        if self.fastpath is None:
            raise ConnectionError("not connected")
        self.fastpath.send(packet)

    def _send_rtcp(self, data: bytes) -> None:
        try:
            self._send(data)
        except ConnectionError:
            pass

    async def _rtcp_reports(self, transceiver: Any) -> None:
        """Receiver reports for our receive path (aiortc's have no data once it is bypassed)."""
        prev_expected, prev_received = 0, 0
        while True:
            await asyncio.sleep(1.0)
            rx = self.rx
            if rx is None or self.pc is None or rx.base_seq is None or not self._remote_ssrc:
                continue
            expected = rx.expected()
            received = rx.counters.packets_received
            de, dr = expected - prev_expected, received - prev_received
            prev_expected, prev_received = expected, received
            fraction = int(256 * (de - dr) / de) if de > 0 and dr < de else 0
            lsr, dlsr = 0, 0
            if self._lsr is not None:
                lsr = self._lsr[0]
                dlsr = int((time.time() - self._lsr[1]) * 65536)
            info = RtcpReceiverInfo(ssrc=self._remote_ssrc, fraction_lost=min(fraction, 255),
                                    packets_lost=max(0, expected - received),
                                    highest_sequence=rx.highest_seq & 0xFFFFFFFF,
                                    jitter=int(rx.counters.jitter_ms * 48),
                                    lsr=lsr, dlsr=dlsr)
            self._send_rtcp(bytes(RtcpRrPacket(ssrc=internals.sender_ssrc(transceiver.sender),
                                               reports=[info])))

    # -- control -------------------------------------------------------------------------
    def set_bitrate(self, bps: int) -> None:
        """Set the Opus target bitrate of what we send (congestion control calls this)."""
        self.opus.set_bitrate(bps)

    async def stats(self) -> CallStats:
        st = CallStats(media_path=self.media_path,
                       impairment=self.impairment.name if self.impairment else None)
        st.rtt_ms, st.packets_sent = await self._sender_stats()
        st.core = list(self.core)
        if self.impairment is not None:
            st.link = {"inbound": self.impairment.inbound.stats(),
                       "outbound": self.impairment.outbound.stats()}
        if self.audio_sender is not None:
            st.send_bitrate_bps = self.audio_sender.bitrate_bps()
        st.opus_bitrate_bps = self.opus.bitrate_bps
        if self.bwe is not None:
            st.estimated_bandwidth_bps = self.bwe.target_bps
            st.sent_loss_pct = 100.0 * self.sent_loss.loss_rate
        if self.audio_sender is not None and self.audio_sender.red_pt is not None:
            st.red_depth = self.red_depth
        rx = self.rx
        if rx is not None:
            c = rx.counters
            expected, lost = rx.loss_before_recovery()
            st.packets_received = c.packets_received
            st.packets_lost = lost
            st.jitter_ms = c.jitter_ms
            st.recovered_fec, st.recovered_red = c.recovered_fec, c.recovered_red
            unrecovered = max(0, lost - c.recovered_fec - c.recovered_red)
            if expected:
                st.loss_before_recovery_pct = 100.0 * lost / expected
                st.loss_after_recovery_pct = 100.0 * unrecovered / expected
            if c.blocks_played:
                st.concealed_pct = 100.0 * c.blocks_concealed / c.blocks_played
                # the call's mean, not the buffer's delay at the instant stats are read
                st.jitter_buffer_delay_ms = c.target_delay_ms_sum / c.blocks_played
            st.playout_kinds = dict(rx.kinds)
            st.malformed_packets = c.malformed + c.decode_errors
            st.malformed_packets += rx.guard_rejected
        if self.pc is not None:
            st.malformed_packets += dropped_datagrams(self.pc)
        if self.fastpath is not None:
            st.malformed_packets += self.fastpath.undecryptable
        if self.link is not None:
            st.malformed_packets += self.link.dropped
        st.rate()
        return st

    async def close(self, reason: str = "hang-up") -> None:
        if self.clock is not None and self._clocked:
            self.clock.remove(self)
            self._clocked = False
        await super().close(reason)


def video_codec_preferences(offer: str) -> list[Any]:
    """aiortc's codec capabilities to answer an offer's video with for forwarding: VP8 (and
    RTX) when offered, else H.264 (and RTX), else none."""
    offered = offer.lower()
    caps = RTCRtpSender.getCapabilities("video").codecs
    for name in ("video/vp8", "video/h264"):
        if f" {name.split('/')[1]}/90000" in offered:
            return [c for c in caps if c.mimeType.lower() in (name, "video/rtx")]
    return []


def _rtcp_packets(data: bytes) -> list[bytes]:
    """The packets of a compound RTCP datagram (stops at the first malformed length)."""
    out, pos = [], 0
    while pos + 4 <= len(data):
        length = (int.from_bytes(data[pos + 2:pos + 4], "big") + 1) * 4
        if pos + length > len(data):
            break
        out.append(data[pos:pos + length])
        pos += length
    return out


def _with_media_ssrc(packet: bytes, media_ssrc: int) -> bytes:
    """Transport feedback names the media source it reports on (bytes 8-11)."""
    if len(packet) < 12 or not media_ssrc:
        return packet
    return packet[:8] + media_ssrc.to_bytes(4, "big") + packet[12:]


def _make_denoiser() -> Callable[[npt.NDArray[np.int16]], npt.NDArray[np.int16]]:
    dn = Denoiser(sample_rate=48000)

    def run(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        out: npt.NDArray[np.int16] = dn.process(pcm)
        return out
    return run
