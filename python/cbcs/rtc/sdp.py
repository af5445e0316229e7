"""SDP munging: make aiortc's answer take what Chrome offers for voice on lossy links.

aiortc answers Chrome's audio offer with plain Opus: no ``useinbandfec=1``, no RED
(``red/48000/2``), no transport-wide congestion control, no NACK. We edit the answer's audio
section so that the features the cbcs media path implements are accepted, reusing the
payload types and extension ids of the offer (RFC 3264: an answer may not invent them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"


class SdpError(ValueError):
    """An offer or answer the peer cannot use; the message says what was expected."""


@dataclass
class AudioOffer:
    """What a remote offer's first audio section proposes."""

    opus_pt: int | None = None
    red_pt: int | None = None
    red_fmtp: str | None = None
    transport_cc_id: int | None = None
    mid_id: int | None = None
    opus_fmtp: dict[str, str] = field(default_factory=dict)


def _sections(sdp: str) -> list[list[str]]:
    lines = [ln for ln in sdp.replace("\r\n", "\n").split("\n") if ln]
    sections: list[list[str]] = [[]]
    for ln in lines:
        if ln.startswith("m="):
            sections.append([])
        sections[-1].append(ln)
    return sections


def validate(sdp: str) -> None:
    """Raise :class:`SdpError` unless ``sdp`` looks like a session description at all."""
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise SdpError("sdp: expected a session description starting with 'v=0', got "
                       f"{sdp[:20]!r}" if isinstance(sdp, str) else f"a {type(sdp).__name__}")
    if len(sdp) > 64 * 1024:
        raise SdpError(f"sdp: expected at most 65536 characters, got {len(sdp)}")
    if "\nm=" not in sdp.replace("\r\n", "\n"):
        raise SdpError("sdp: expected at least one media section (m=), got none")


def parse_audio_offer(sdp: str) -> AudioOffer:
    """The Opus/RED payload types and the transport-cc and mid extension ids a remote offers."""
    offer = AudioOffer()
    for sec in _sections(sdp)[1:]:
        if not sec[0].startswith("m=audio"):
            continue
        for ln in sec:
            if m := re.match(r"a=rtpmap:(\d+) opus/48000", ln, re.I):
                offer.opus_pt = offer.opus_pt if offer.opus_pt is not None else int(m[1])
            elif m := re.match(r"a=rtpmap:(\d+) red/48000/2", ln, re.I):
                offer.red_pt = int(m[1])
            elif m := re.match(r"a=extmap:(\d+)(?:/\w+)? (\S+)", ln):
                if m[2] == TRANSPORT_CC_URI:
                    offer.transport_cc_id = int(m[1])
                elif m[2] == MID_URI:
                    offer.mid_id = int(m[1])
        for ln in sec:
            if offer.red_pt is not None and ln.startswith(f"a=fmtp:{offer.red_pt} "):
                offer.red_fmtp = ln.split(" ", 1)[1]
            if offer.opus_pt is not None and ln.startswith(f"a=fmtp:{offer.opus_pt} "):
                for kv in ln.split(" ", 1)[1].split(";"):
                    if "=" in kv:
                        k, v = kv.split("=", 1)
                        offer.opus_fmtp[k.strip()] = v.strip()
        break
    return offer


def munge_answer(answer: str, offer: AudioOffer, *, inband_fec: bool = True,
                 red: bool = False, transport_cc: bool = False, nack: bool = False) -> str:
    """The answer with the chosen features added to its first audio section.

    RED is listed first when accepted, which makes Chrome send RED (the answerer's order
    is the sender's preference).
    """
    sections = _sections(answer)
    for sec in sections[1:]:
        if not sec[0].startswith("m=audio") or offer.opus_pt is None:
            continue
        opus = offer.opus_pt
        mline = sec[0].split()
        pts = mline[3:]
        if str(opus) not in pts:
            break
        extra: list[str] = []
        if red and offer.red_pt is not None:
            pts = [str(offer.red_pt)] + [p for p in pts if p != str(offer.red_pt)]
            extra += [f"a=rtpmap:{offer.red_pt} red/48000/2",
                      f"a=fmtp:{offer.red_pt} {offer.red_fmtp or f'{opus}/{opus}'}"]
        sec[0] = " ".join(mline[:3] + pts)
        fmtp_at = next((i for i, ln in enumerate(sec) if ln.startswith(f"a=fmtp:{opus} ")),
                       None)
        params = {"minptime": "10"}
        if fmtp_at is not None:
            for kv in sec[fmtp_at].split(" ", 1)[1].split(";"):
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    params[k.strip()] = v.strip()
        if inband_fec:
            params["useinbandfec"] = "1"
        fmtp = f"a=fmtp:{opus} " + ";".join(f"{k}={v}" for k, v in params.items())
        rtpmap_at = next(i for i, ln in enumerate(sec) if ln.startswith(f"a=rtpmap:{opus} "))
        if fmtp_at is not None:
            sec[fmtp_at] = fmtp
        else:
            sec.insert(rtpmap_at + 1, fmtp)
        fb: list[str] = []
        if transport_cc and offer.transport_cc_id is not None:
            fb.append(f"a=rtcp-fb:{opus} transport-cc")
            sec.insert(1 + next(i for i, ln in enumerate(sec[1:]) if ln.startswith("a=")),
                       f"a=extmap:{offer.transport_cc_id} {TRANSPORT_CC_URI}")
        if nack:
            fb.append(f"a=rtcp-fb:{opus} nack")
        rtpmap_at = next(i for i, ln in enumerate(sec) if ln.startswith(f"a=rtpmap:{opus} "))
        sec[rtpmap_at + 1:rtpmap_at + 1] = fb
        # red after opus' attributes, where a browser's own SDP has it
        last_attr = max(i for i, ln in enumerate(sec) if ln.startswith(("a=rtpmap:", "a=fmtp:",
                                                                         "a=rtcp-fb:")))
        sec[last_attr + 1:last_attr + 1] = extra
        break
    return "\r\n".join(ln for sec in sections for ln in sec) + "\r\n"


ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


@dataclass
class VideoSection:
    """What one side of a negotiated video section says about its stream (read from the
    answer the node sends, which holds both sides' agreement): the codec and its payload
    type, the retransmission (RTX) payload type, the header extensions by id, the mid, and
    the SSRCs the answerer sends with (``ssrc``, ``rtx_ssrc``; 0 when it announces none)."""

    mid: str = ""
    codec: str = ""
    payload_type: int = -1
    rtx_payload_type: int | None = None
    extensions: dict[int, str] = field(default_factory=dict)
    ssrc: int = 0
    rtx_ssrc: int | None = None
    fmtp: str = ""


def parse_video_section(sdp: str) -> VideoSection | None:
    """The first video section of ``sdp`` that is not rejected (port 0) and has a codec;
    its first codec is the one used. None when there is none."""
    for sec in _sections(sdp)[1:]:
        mline = sec[0].split()
        if not sec[0].startswith("m=video") or len(mline) < 4 or mline[1] == "0":
            continue
        video = VideoSection()
        rtpmap: dict[int, str] = {}
        apt: dict[int, int] = {}
        fmtp: dict[int, str] = {}
        for ln in sec:
            if m := re.match(r"a=rtpmap:(\d+) ([\w-]+)/90000", ln):
                rtpmap[int(m[1])] = m[2]
            elif m := re.match(r"a=fmtp:(\d+) (.*)", ln):
                fmtp[int(m[1])] = m[2]
                if a := re.search(r"apt=(\d+)", m[2]):
                    apt[int(m[1])] = int(a[1])
            elif m := re.match(r"a=extmap:(\d+)(?:/\w+)? (\S+)", ln):
                video.extensions[int(m[1])] = m[2]
            elif m := re.match(r"a=mid:(\S+)", ln):
                video.mid = m[1]
            elif m := re.match(r"a=ssrc-group:FID (\d+) (\d+)", ln):
                video.ssrc, video.rtx_ssrc = int(m[1]), int(m[2])
            elif (m := re.match(r"a=ssrc:(\d+) ", ln)) and not video.ssrc:
                video.ssrc = int(m[1])
        media = [int(p) for p in mline[3:] if p.isdigit() and int(p) in rtpmap
                 and rtpmap[int(p)].lower() != "rtx"]
        if not media:
            continue
        video.payload_type = media[0]
        video.codec = rtpmap[media[0]].upper()
        video.fmtp = fmtp.get(media[0], "")
        video.rtx_payload_type = next((pt for pt, a in apt.items()
                                       if a == media[0] and rtpmap.get(pt, "").lower() == "rtx"),
                                      None)
        return video
    return None


def offered_video_extension(offer: str, uri: str) -> int | None:
    """The id the offer's first video section gives header extension ``uri`` (None: none)."""
    for sec in _sections(offer)[1:]:
        if not sec[0].startswith("m=video"):
            continue
        for ln in sec:
            if (m := re.match(r"a=extmap:(\d+)(?:/\w+)? (\S+)", ln)) and m[2] == uri:
                return int(m[1])
        return None
    return None


def add_video_transport_cc(answer: str, extension_id: int) -> str:
    """The answer with transport-wide congestion control accepted in its first video
    section (the offer's extension id, feedback for its first codec), so the browser
    numbers its video packets in the transport-wide sequence the node reports on."""
    sections = _sections(answer)
    for sec in sections[1:]:
        mline = sec[0].split()
        if not sec[0].startswith("m=video") or len(mline) < 4 or mline[1] == "0":
            continue
        if any(TRANSPORT_CC_URI in ln for ln in sec):
            break
        pt = mline[3]
        at = next((i for i, ln in enumerate(sec) if ln.startswith(f"a=rtpmap:{pt} ")), None)
        if at is None:
            break
        sec.insert(at + 1, f"a=rtcp-fb:{pt} transport-cc")
        first_attr = next((i for i, ln in enumerate(sec) if ln.startswith("a=")), len(sec))
        sec.insert(first_attr, f"a=extmap:{extension_id} {TRANSPORT_CC_URI}")
        break
    return "\r\n".join(ln for sec in sections for ln in sec) + "\r\n"
