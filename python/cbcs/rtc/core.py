"""Which parts of the cbcs media core this build has, as the rtc layer needs them.

The media path is wired to each core piece when it is present and says so in the call's
stats (``CallStats.media_path``/``core``); nothing here emulates a missing piece.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RedParse = Callable[[bytes], list[tuple[int, bytes]] | None]
RedBuild = Callable[[int, list[tuple[int, bytes]]], bytes]


def jitter_buffer() -> Any:
    """``cbcs.media.JitterBuffer`` or None."""
    try:
        from cbcs.media import JitterBuffer  # type: ignore[attr-defined]
    except ImportError:
        return None
    return JitterBuffer


def red() -> tuple[RedParse, RedBuild] | None:
    """RFC 2198 audio RED from ``cbcs.media.rtp``: ``(parse, build)`` or None.

    ``parse(payload) -> [(timestamp_offset, data), ...]`` oldest first, primary last (None
    when malformed); ``build(pt, [(offset, data), ..., (0, primary)]) -> payload``.
    """
    try:
        from cbcs.media import rtp  # type: ignore[attr-defined]
        rtp.parse_red  # noqa: B018 - present in this build?
    except (ImportError, AttributeError):
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
    try:
        from cbcs.media import FeedbackGenerator, SendSideBwe  # type: ignore[attr-defined]
    except ImportError:
        return None
    return FeedbackGenerator, SendSideBwe


def denoiser() -> Any:
    """``cbcs.media.Denoiser`` or None."""
    try:
        from cbcs.media import Denoiser  # type: ignore[attr-defined]
    except ImportError:
        return None
    return Denoiser
