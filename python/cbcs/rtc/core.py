"""Which parts of the cbcs media core this build has, as the rtc layer needs them.

The media path is wired to each core piece when it is present and says so in the call's
stats (``CallStats.media_path``/``core``); nothing here emulates a missing piece.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

RedParse = Callable[[bytes], list[tuple[int, bytes]] | None]
RedBuild = Callable[[int, list[tuple[int, bytes]]], bytes]


def _media(name: str) -> Any:
    """``cbcs.media.<name>`` or None (looked up at run time: builds differ in what they have)."""
    return getattr(importlib.import_module("cbcs.media"), name, None)


def jitter_buffer() -> Any:
    """``cbcs.media.JitterBuffer`` or None."""
    return _media("JitterBuffer")


def red() -> tuple[RedParse, RedBuild] | None:
    """RFC 2198 audio RED from ``cbcs.media.rtp``: ``(parse, build)`` or None.

    ``parse(payload) -> [(timestamp_offset, data), ...]`` oldest first, primary last (None
    when malformed); ``build(pt, [(offset, data), ..., (0, primary)]) -> payload``.
    """
    rtp = _media("rtp")
    if rtp is None or not hasattr(rtp, "parse_red"):
        return None

    def parse(payload: bytes) -> list[tuple[int, bytes]] | None:
        blocks = rtp.parse_red(payload)
        if not blocks:
            return None
        return [(int(b.timestamp_offset), bytes(b.data)) for b in blocks]

    def build(pt: int, blocks: list[tuple[int, bytes]]) -> bytes:
        redundant = [rtp.RedBlock(pt, off, data) for off, data in blocks[:-1]]
        return bytes(rtp.build_red(redundant, pt, blocks[-1][1]))

    return parse, build


def congestion_control() -> tuple[Any, Any] | None:
    """``(FeedbackGenerator, SendSideBwe)`` from ``cbcs.media.cc`` or None."""
    generator, bwe = _media("FeedbackGenerator"), _media("SendSideBwe")
    if generator is None or bwe is None:
        return None
    return generator, bwe


def denoiser() -> Any:
    """``cbcs.media.Denoiser`` or None."""
    return _media("Denoiser")
