"""A complete WebRTC voice call with a cbcs peer, in one process over loopback.

A stock aiortc client offers, sends a recorded clip and records what it hears; the cbcs
peer answers, with its audio running through the media core (jitter buffer, FEC, rate
control) and an emulated mobile link on its UDP path, sends a tone back, and reports the
call's figures.

    python examples/call_aiortc.py --profile latam-3g --seconds 8 --out out/

Writes out/client_heard.wav (the tone, as the client heard it) and out/cbcs_heard.wav (the
clip, as cbcs heard it), and prints the call's stats as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRecorder

from cbcs.media import samples
from cbcs.rtc import Peer
from cbcs.rtc.ice import configure_ice


def tone(start: int, n: int, _wall_ms: float) -> np.ndarray:
    """What cbcs sends: a quiet 440 Hz tone (48 kHz mono int16, ``n`` samples from ``start``)."""
    t = (start + np.arange(n)) / 48000.0
    return (3000 * np.sin(2 * np.pi * 440.0 * t)).astype(np.int16)


async def call(profile: str | None, seconds: float, clip: Path, out: Path) -> dict[str, Any]:
    peer = Peer(impair=profile, ice_addresses=["127.0.0.1"], loopback_only_remote=True,
                fill=tone)
    client = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    client.addTrack(MediaPlayer(str(clip)).audio)
    recorder = MediaRecorder(str(out / "client_heard.wav"))

    @client.on("track")
    def on_track(track: Any) -> None:
        recorder.addTrack(track)

    configure_ice(client, ["127.0.0.1"])  # both ends on loopback only
    try:
        await client.setLocalDescription(await client.createOffer())
        answer = await peer.answer(client.localDescription.sdp)
        await client.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await recorder.start()
        await peer.wait_connected()
        await asyncio.sleep(seconds)
        stats = (await peer.stats()).as_dict()
        pcm, _ = peer.recorder.audio()
        sf.write(str(out / "cbcs_heard.wav"), pcm, 48000, subtype="PCM_16")
        return stats
    finally:
        await recorder.stop()
        await client.close()
        await peer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="latam-3g",
                        help="emulated link on cbcs's side (lan, sea-4g, latam-3g, "
                             "cross-border, worst; 'none' for the bare loopback)")
    parser.add_argument("--seconds", type=float, default=8.0, help="call length after connect")
    parser.add_argument("--audio", type=Path, default=None,
                        help="the clip the client sends (default: a shared speech clip)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the WAVs")
    args = parser.parse_args()
    clip = args.audio or samples.speech_path("es_leopard")
    args.out.mkdir(parents=True, exist_ok=True)
    profile = None if args.profile == "none" else args.profile
    stats = asyncio.run(call(profile, args.seconds, clip, args.out))
    print(json.dumps(stats, indent=2, default=str))


if __name__ == "__main__":
    main()
