"""SDP munging against a real Chromium offer (captured from Debian chromium 156)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbcs.rtc import sdp

OFFER = (Path(__file__).parent / "data" / "chromium_offer.sdp").read_text()

# A plain aiortc-style answer audio section for that offer.
ANSWER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8", "c=IN IP4 0.0.0.0", "a=sendrecv",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=mid:0", "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
]) + "\r\n"


def test_parses_what_chromium_offers() -> None:
    offer = sdp.parse_audio_offer(OFFER)
    assert (offer.opus_pt, offer.red_pt, offer.transport_cc_id) == (111, 63, 3)
    assert offer.red_fmtp == "111/111"
    assert offer.opus_fmtp["useinbandfec"] == "1"


@pytest.mark.parametrize("fec,red,tcc,nack", [
    (True, False, False, False),
    (True, True, False, False),
    (True, True, True, True),
    (False, False, True, False),
])
def test_answer_accepts_exactly_the_features_asked(fec: bool, red: bool, tcc: bool,
                                                   nack: bool) -> None:
    out = sdp.munge_answer(ANSWER, sdp.parse_audio_offer(OFFER), inband_fec=fec, red=red,
                           transport_cc=tcc, nack=nack)
    lines = out.split("\r\n")
    mline = next(ln for ln in lines if ln.startswith("m=audio"))
    assert ("useinbandfec=1" in out) == fec
    assert ("a=rtpmap:63 red/48000/2" in lines) == red
    assert ("a=fmtp:63 111/111" in lines) == red
    # RED first in the answer is what makes Chrome send it
    assert mline.split()[3] == ("63" if red else "111")
    assert ("a=rtcp-fb:111 transport-cc" in lines) == tcc
    assert ("a=extmap:3 " + sdp.TRANSPORT_CC_URI in lines) == tcc
    assert ("a=rtcp-fb:111 nack" in lines) == nack
    # the answer stays parseable by the other side's rules: every listed PT has an rtpmap
    for pt in mline.split()[3:]:
        assert any(ln.startswith(f"a=rtpmap:{pt} ") for ln in lines), pt


@pytest.mark.parametrize("bad", ["", "hello", "v=0\r\no=- 1 1 IN IP4 0\r\n", "x" * 70000,
                                 "v=0\r\n" + "a=x\r\n" * 20000])
def test_validate_rejects_what_is_not_an_sdp(bad: str) -> None:
    with pytest.raises(sdp.SdpError):
        sdp.validate(bad)
