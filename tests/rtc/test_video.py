"""Video forwarding between the legs of a call (cbcs.rtc.video) on hand-made packets:
the header rewrite (SSRC, payload type, extension ids), sequence numbers and timestamps
continuous across a change of sender, retransmissions, keyframe requests, who watches
whom, and malformed packets dropped with a counter, never raised."""

from __future__ import annotations

from cbcs.rtc import video as v
from cbcs.rtc.sdp import (ABS_SEND_TIME_URI, MID_URI, TRANSPORT_CC_URI, VideoSection,
                          parse_video_section)

VP8_KEY = bytes([0x90, 0x80, 0x12, 0x00]) + b"keyframe-data"   # X S, I, PictureID 0x12; P=0
VP8_DELTA = bytes([0x90, 0x80, 0x13, 0x01]) + b"delta"           # P=1: not a keyframe
VP8_MIDDLE = bytes([0x80, 0x80, 0x13]) + b"middle"               # not the start of a frame

#: what leg A's answer agreed: VP8 on 96, RTX on 97, extensions by id
A = VideoSection(mid="1", codec="VP8", payload_type=96, rtx_payload_type=97,
                 extensions={1: MID_URI, 3: ABS_SEND_TIME_URI, 5: TRANSPORT_CC_URI,
                             9: "urn:example:not-agreed-on-b"},
                 ssrc=0xA0A0A0A0, rtx_ssrc=0xA1A1A1A1)
B = VideoSection(mid="video0", codec="VP8", payload_type=120, rtx_payload_type=121,
                 extensions={4: MID_URI, 2: ABS_SEND_TIME_URI, 6: TRANSPORT_CC_URI},
                 ssrc=0xB0B0B0B0, rtx_ssrc=0xB1B1B1B1)


def rtp(seq: int, ts: int, payload: bytes, *, ssrc: int = 0x11111111, pt: int = 96,
        marker: bool = False, ext: list[tuple[int, bytes]] | None = None,
        padding: int = 0) -> bytes:
    """An RTP packet with one-byte header extensions, built by hand."""
    block = b""
    if ext:
        body = b"".join(bytes([(i << 4) | (len(val) - 1)]) + val for i, val in ext)
        body += b"\x00" * (-len(body) % 4)
        block = b"\xbe\xde" + (len(body) // 4).to_bytes(2, "big") + body
    b0 = 0x80 | (0x10 if block else 0) | (0x20 if padding else 0)
    head = bytes([b0, (0x80 if marker else 0) | pt]) + seq.to_bytes(2, "big") \
        + ts.to_bytes(4, "big") + ssrc.to_bytes(4, "big")
    pad = (b"\x00" * (padding - 1) + bytes([padding])) if padding else b""
    return head + block + payload + pad


def ext_of(data: bytes) -> dict[int, bytes]:
    view = v.parse_rtp(data)
    assert view is not None
    return dict(view.extensions)


def test_header_is_rewritten_to_the_receiving_legs_ssrc_type_and_extension_ids() -> None:
    rw = v.Rewriter(B, seed=1)
    rw.set_source("a")
    packet = v.parse_rtp(rtp(100, 9000, VP8_KEY, marker=True,
                             ext=[(1, b"1"), (3, b"\x01\x02\x03"), (5, b"\x00\x07"),
                                  (9, b"zz")]))
    assert packet is not None
    out = rw.rewrite(packet, A.extensions, now_ms=1000.0)
    assert out is not None
    view = v.parse_rtp(out)
    assert view is not None
    assert view.ssrc == B.ssrc and view.payload_type == B.payload_type and view.marker
    assert view.payload == VP8_KEY
    # mid becomes B's mid under B's id, abs-send-time B's id with the node's send time,
    # transport-cc (another transport's numbering) and what B did not agree are gone
    assert ext_of(out) == {4: b"video0", 2: v.abs_send_time(1000.0)}


def test_sequence_numbers_and_timestamps_continue_across_a_change_of_sender() -> None:
    rw = v.Rewriter(B, seed=2)
    first = rw.next_seq
    rw.set_source("x")
    outs = []
    for i, payload in enumerate([VP8_KEY, VP8_MIDDLE, VP8_DELTA]):
        p = v.parse_rtp(rtp(65534 + i & 0xFFFF, 3000 * i, payload, ssrc=1))
        assert p is not None
        outs.append(v.parse_rtp(rw.rewrite(p, A.extensions, 100.0 + 33 * i) or b""))
    seqs = [o.sequence_number for o in outs if o is not None]
    assert seqs == [first, (first + 1) & 0xFFFF, (first + 2) & 0xFFFF]  # across 65535 -> 0
    last_ts = outs[-1].timestamp if outs[-1] else 0

    assert rw.set_source("y")          # a new sender: forwarded from its keyframe on
    delta = v.parse_rtp(rtp(5000, 777, VP8_DELTA, ssrc=2))
    assert delta is not None and rw.rewrite(delta, A.extensions, 200.0) is None
    got = []
    for seq, payload in [(5001, VP8_KEY), (5003, VP8_MIDDLE), (5002, VP8_MIDDLE),
                         (4999, VP8_MIDDLE)]:
        p = v.parse_rtp(rtp(seq, 123456, payload, ssrc=2))
        assert p is not None
        o = rw.rewrite(p, A.extensions, 300.0)
        got.append(None if o is None else v.parse_rtp(o))
    base = (first + 3) & 0xFFFF
    assert [g.sequence_number if g else None for g in got] == \
        [base, (base + 2) & 0xFFFF, (base + 1) & 0xFFFF, None]  # order kept, older dropped
    ts = [g.timestamp for g in got if g]
    assert len(set(ts)) == 1
    assert 0 < (ts[0] - last_ts) & 0xFFFFFFFF <= 90 * 300   # continues after the last one
    assert rw.next_seq == (base + 3) & 0xFFFF


class FakePort:
    """A leg's video port that keeps what the forwarder sends on it."""

    def __init__(self, section: VideoSection) -> None:
        self.sent: list[bytes] = []
        self.port = v.VideoPort(section, send=self.sent.append)

    def rtp_out(self) -> list[v.RtpView]:
        return [p for p in (v.parse_rtp(d) for d in self.sent if not 192 <= d[1] <= 223)
                if p is not None]

    def rtcp_out(self) -> list[bytes]:
        return [d for d in self.sent if 192 <= d[1] <= 223]


def call(*legs: tuple[str, str, VideoSection]) -> tuple[v.VideoForwarder, dict[str, FakePort]]:
    now = [0.0]

    def clock() -> float:
        now[0] += 100.0
        return now[0]

    fwd = v.VideoForwarder(clock)
    ports = {}
    for name, role, section in legs:
        ports[name] = FakePort(section)
        fwd.add(name, role, ports[name].port)
    return fwd, ports


def send(fwd: v.VideoForwarder, ports: dict[str, FakePort], leg: str, data: bytes) -> None:
    hook = ports[leg].port.on_rtp
    assert hook is not None
    hook(data, 0.0)


def test_malformed_packets_are_dropped_and_counted_never_raised() -> None:
    fwd, ports = call(("customer:c", "customer", A), ("agent:a", "agent", B))
    send(fwd, ports, "customer:c", rtp(1, 0, VP8_KEY, ssrc=7))
    assert fwd.counters.forwarded == 1
    bad = [b"", b"\x80", rtp(2, 0, VP8_DELTA)[:11],               # short
           bytes([0x40]) + rtp(2, 0, VP8_DELTA)[1:],               # RTP version 1
           rtp(2, 0, VP8_DELTA, ext=[(1, b"1")])[:15],             # extension cut short
           bytes([0x90, 96, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7, 0xBE, 0xDE, 0, 9]) + b"x",
           bytes([0xA0]) + rtp(2, 0, b"ab")[1:-1] + b"\xff",       # padding > packet
           bytes([0x8F]) + rtp(2, 0, VP8_DELTA)[1:],               # 15 CSRCs missing
           rtp(2, 0, VP8_DELTA, pt=111)]                            # not the video's type
    for data in bad:
        send(fwd, ports, "customer:c", data)
    assert fwd.counters.malformed == len(bad)
    assert fwd.counters.forwarded == 1 and len(ports["agent:a"].rtp_out()) == 1
    # garbage feedback is dropped too
    rtcp_hook = ports["agent:a"].port.on_rtcp
    assert rtcp_hook is not None
    for data in (b"\x81\xce\x00\x09", b"\x81\xcd\x00\x02" + b"\x00" * 7, b"\xff" * 40):
        rtcp_hook(data)
    send(fwd, ports, "customer:c", rtp(2, 0, VP8_DELTA, ssrc=7))   # still forwarding
    assert fwd.counters.forwarded == 2


def test_retransmissions_padding_and_keyframe_requests() -> None:
    fwd, ports = call(("customer:c", "customer", A), ("agent:a", "agent", B))
    customer, agent = ports["customer:c"], ports["agent:a"]
    send(fwd, ports, "customer:c", rtp(10, 0, VP8_DELTA, ssrc=7))   # before any keyframe
    assert agent.rtp_out() == [] and fwd.counters.waiting_keyframe == 1
    # the agent's new sender asked the customer for a keyframe, for the customer's SSRC
    plis = [p for p in customer.rtcp_out() if p[1] == 206 and p[0] & 0x1F == 1]
    assert plis and int.from_bytes(plis[-1][8:12], "big") == 7
    send(fwd, ports, "customer:c", rtp(11, 90, VP8_KEY, ssrc=7))
    send(fwd, ports, "customer:c", rtp(13, 90, VP8_MIDDLE, ssrc=7))
    # the customer resends 12 as RTX (OSN first); a padding-only probe is dropped
    send(fwd, ports, "customer:c", rtp(500, 90, (12).to_bytes(2, "big") + VP8_MIDDLE,
                                       ssrc=8, pt=97))
    send(fwd, ports, "customer:c", rtp(501, 90, b"", ssrc=8, pt=97, padding=200))
    out = agent.rtp_out()
    first = out[0].sequence_number
    assert [o.sequence_number - first for o in out] == [0, 2, 1]
    assert all(o.ssrc == B.ssrc and o.payload_type == B.payload_type for o in out)
    assert out[2].payload == VP8_MIDDLE and fwd.counters.padding == 1

    # the agent NACKs first+1 (and, in the bitmask, first+5, never sent): RTX from history
    nack = bytes([0x81, 205, 0, 3]) + B.ssrc.to_bytes(4, "big") + B.ssrc.to_bytes(4, "big") \
        + ((first + 1) & 0xFFFF).to_bytes(2, "big") + (1 << 3).to_bytes(2, "big")
    hook = agent.port.on_rtcp
    assert hook is not None
    hook(nack)
    rtx = [p for p in agent.rtp_out() if p.payload_type == B.rtx_payload_type]
    assert len(rtx) == 1 and rtx[0].ssrc == B.rtx_ssrc
    assert int.from_bytes(rtx[0].payload[:2], "big") == (first + 1) & 0xFFFF
    assert rtx[0].payload[2:] == VP8_MIDDLE
    assert fwd.counters.nacks_answered == 1 and fwd.counters.nacks_missed == 1

    # a PLI from the agent for our SSRC goes to the customer as a PLI for its SSRC,
    # at most one per PLI_INTERVAL_MS; one for another SSRC is not ours
    before = len(customer.rtcp_out())
    for _ in range(3):
        hook(v.pli(0x5555, B.ssrc))
    hook(v.pli(0x5555, 0x12345678))
    new = customer.rtcp_out()[before:]
    assert len(new) == 1 and int.from_bytes(new[0][8:12], "big") == 7


def remb(sender_ssrc: int, bitrate: int, *ssrcs: int) -> bytes:
    exp = 0
    while bitrate >> exp >= 1 << 18:
        exp += 1
    m = bitrate >> exp
    body = sender_ssrc.to_bytes(4, "big") + bytes(4) + b"REMB" \
        + bytes([len(ssrcs), (exp << 2) | (m >> 16), (m >> 8) & 0xFF, m & 0xFF]) \
        + b"".join(s.to_bytes(4, "big") for s in ssrcs)
    return bytes([0x8F, 206]) + (len(body) // 4).to_bytes(2, "big") + body


def test_a_watchers_remb_caps_the_bandwidth_feedback_to_the_sender() -> None:
    supervisor = VideoSection(mid="1", codec="VP8", payload_type=96, ssrc=0xC0C0C0C0)
    fwd, ports = call(("customer:c", "customer", A), ("agent:a", "agent", B),
                      ("supervisor:s", "supervisor", supervisor))
    customer = ports["customer:c"].port
    assert customer.remb_cap_bps is None and customer.capped(900_000) == 900_000
    for name, section, bps in (("agent:a", B, 600_000), ("supervisor:s", supervisor, 250_000)):
        hook = ports[name].port.on_rtcp
        assert hook is not None
        hook(v.pli(1, 0x999) + remb(0x77, bps, 0x1234, section.ssrc))   # in a compound
    assert customer.remb_cap_bps == 250_000       # the thinnest watcher's
    assert customer.capped(900_000) == 250_000 and customer.capped(100_000) == 100_000
    hook = ports["agent:a"].port.on_rtcp
    assert hook is not None
    hook(remb(0x77, 80_000, 0x1234))              # not for the video we send it: ignored
    assert customer.remb_cap_bps == 250_000
    fwd.remove("supervisor:s")
    assert customer.remb_cap_bps == 600_000
    # the agent (watched by the customer) is not capped by what the agent itself reports
    assert ports["agent:a"].port.remb_cap_bps is None


def test_everyone_watches_the_customer_and_the_customer_the_agent() -> None:
    fwd, ports = call(("supervisor:s", "supervisor", B), ("agent:a", "agent", B),
                      ("customer:c", "customer", A), ("agent:b", "agent", B))
    assert {n: fwd.watching(n) for n in ports} == {
        "supervisor:s": "customer:c", "agent:a": "customer:c", "agent:b": "customer:c",
        "customer:c": "agent:a"}
    fwd.remove("agent:a")               # the first agent leaves: the next one is seen
    assert fwd.watching("customer:c") == "agent:b"
    fwd.remove("agent:b")
    assert fwd.watching("customer:c") == "supervisor:s"
    fwd.remove("customer:c")
    assert fwd.watching("supervisor:s") is None
    h264 = VideoSection(mid="1", codec="H264", payload_type=102, ssrc=9)
    fwd2, _ = call(("customer:c", "customer", A), ("agent:a", "agent", h264))
    assert fwd2.watching("agent:a") is None     # different codecs are not connected


def test_video_section_of_an_answer() -> None:
    answer = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=rtpmap:111 opus/48000/2",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:1",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        f"a=extmap:2 {ABS_SEND_TIME_URI}",
        "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96", "a=ssrc-group:FID 1111 2222", "a=ssrc:1111 cname:x",
        "a=ssrc:2222 cname:x", ""])
    s = parse_video_section(answer)
    assert s is not None
    assert (s.mid, s.codec, s.payload_type, s.rtx_payload_type, s.ssrc, s.rtx_ssrc) == \
        ("1", "VP8", 96, 97, 1111, 2222)
    assert s.extensions == {4: MID_URI, 2: ABS_SEND_TIME_URI}
    assert parse_video_section(answer.replace("m=video 9", "m=video 0")) is None


def test_keyframe_detection() -> None:
    assert v.is_keyframe_start("VP8", VP8_KEY)
    assert not v.is_keyframe_start("VP8", VP8_DELTA)
    assert not v.is_keyframe_start("VP8", VP8_MIDDLE)
    assert not v.is_keyframe_start("VP8", b"")
    assert v.is_keyframe_start("VP8", bytes([0x10, 0x00]))        # no extension bytes
    assert v.is_keyframe_start("H264", bytes([0x65, 1]))           # IDR
    assert v.is_keyframe_start("H264", bytes([0x7C, 0x85]))        # FU-A start of an IDR
    assert not v.is_keyframe_start("H264", bytes([0x7C, 0x05]))    # FU-A, not the start
    assert v.is_keyframe_start("H264", bytes([0x78, 0, 2, 0x67, 0]))   # STAP-A with SPS
    assert not v.is_keyframe_start("H264", bytes([0x41, 0]))       # a P slice


def test_transport_wide_sequence_is_read_from_the_header_alone() -> None:
    # an SRTP packet: the header and its extensions in clear, the payload and tag not
    packet = rtp(7, 0, b"\x8f" * 30, ext=[(1, b"1"), (5, b"\x01\x02")], padding=0)
    assert v.header_extension(packet, 5) == b"\x01\x02"
    assert v.header_extension(packet, 6) is None
    assert v.header_extension(rtp(7, 0, b"x"), 5) is None          # no extensions
    assert v.header_extension(packet[:17], 5) is None              # cut short


def test_the_answer_accepts_transport_cc_for_video() -> None:
    from cbcs.rtc.sdp import add_video_transport_cc, offered_video_extension

    offer = "\r\n".join(["v=0", "s=-", "m=audio 9 UDP/TLS/RTP/SAVPF 111",
                         f"a=extmap:3 {TRANSPORT_CC_URI}", "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
                         f"a=extmap:3 {TRANSPORT_CC_URI}", "a=rtpmap:96 VP8/90000", ""])
    answer = "\r\n".join(["v=0", "s=-", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0",
                          "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:1",
                          "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack", "a=rtpmap:97 rtx/90000",
                          "a=fmtp:97 apt=96", "a=ssrc:5 cname:x", ""])
    assert offered_video_extension(offer, TRANSPORT_CC_URI) == 3
    munged = add_video_transport_cc(answer, 3)
    video = munged.split("m=video")[1]
    assert f"a=extmap:3 {TRANSPORT_CC_URI}" in video and "a=rtcp-fb:96 transport-cc" in video
    assert munged.split("m=video")[0] == answer.split("m=video")[0]   # audio untouched
    section = parse_video_section(munged)
    assert section is not None and section.extensions == {3: TRANSPORT_CC_URI}
    assert add_video_transport_cc(munged, 3) == munged                 # once


def test_packets_missing_from_a_sender_are_nacked_again_then_given_up_for_a_keyframe() -> None:
    now = [0.0]
    fwd = v.VideoForwarder(lambda: now[0])
    customer, agent = FakePort(A), FakePort(B)
    fwd.add("customer:c", "customer", customer.port)
    fwd.add("agent:a", "agent", agent.port)
    ports = {"customer:c": customer, "agent:a": agent}

    def at(ms: float, data: bytes) -> None:
        now[0] = ms
        send(fwd, ports, "customer:c", data)

    def nacked() -> list[int]:
        return [s for p in customer.rtcp_out() for s in v.parse_feedback(p, 7).nacked]

    def plis() -> int:
        return sum(v.parse_feedback(p, 7).keyframe for p in customer.rtcp_out())

    at(0, rtp(1, 0, VP8_KEY, ssrc=7))
    at(10, rtp(2, 0, VP8_MIDDLE, ssrc=7))
    at(20, rtp(5, 0, VP8_MIDDLE, ssrc=7))          # 3 and 4 missing
    at(100, rtp(6, 0, VP8_MIDDLE, ssrc=7))
    assert nacked() == []          # the first NACK is aiortc's, when it sees the gap
    at(20 + v.RENACK_MS, rtp(7, 0, VP8_MIDDLE, ssrc=7))
    assert sorted(nacked()) == [3, 4]
    at(300, rtp(100, 0, (3).to_bytes(2, "big") + VP8_MIDDLE, ssrc=8, pt=97))  # 3, as RTX
    at(20 + 2 * v.RENACK_MS, rtp(8, 0, VP8_MIDDLE, ssrc=7))
    assert sorted(nacked()) == [3, 4, 4]
    keyframe_requests = plis()
    at(20 + v.GIVE_UP_MS, rtp(9, 0, VP8_MIDDLE, ssrc=7))
    assert fwd.counters.given_up == 1 and plis() == keyframe_requests + 1
    at(2000, rtp(10, 0, VP8_MIDDLE, ssrc=7))
    assert fwd.counters.given_up == 1 and nacked().count(4) <= 4
    out = [p.sequence_number - agent.rtp_out()[0].sequence_number for p in agent.rtp_out()]
    assert out == [0, 1, 4, 5, 6, 2, 7, 8, 9]      # 3 forwarded when it came; 4 never did


def test_a_nack_names_every_sequence_number_it_is_built_for() -> None:
    seqs = [65535, 0, 15, 16, 40]
    assert sorted(v.parse_feedback(v.nack(1, 7, seqs), 7).nacked) == sorted(seqs)
