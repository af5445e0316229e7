"""What a node is started with (``cbcs serve`` options, or a builder's own code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cbcs.server.ratelimit import Rate


@dataclass(frozen=True)
class Limits:
    """Request sizes and rates; per node."""

    max_body_bytes: int = 64 * 1024
    max_frame_bytes: int = 64 * 1024
    ws_queue_frames: int = 256
    per_token: Rate = Rate(per_s=20.0, burst=40)
    per_ip: Rate = Rate(per_s=50.0, burst=100)
    #: refused credentials per IP (guessing tokens or the admin key); beyond it, 429
    login_per_ip: Rate = Rate(per_s=2.0, burst=10)
    room_comment: Rate = Rate(per_s=2.0, burst=4)
    room_comment_chars: int = 200
    #: a busy room's comments go out at most this often, batched (0: each at once)
    room_flush_s: float = 0.1
    messages_per_conversation: Rate = Rate(per_s=5.0, burst=10)
    call_offers: Rate = Rate(per_s=0.2, burst=3)


@dataclass(frozen=True)
class ServerConfig:
    """A node: where its data lives, which store and bus it uses, its limits."""

    data_dir: Path = Path("cbcs-data")
    store_url: str | None = None   # default: sqlite in data_dir
    bus_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8080
    limits: Limits = field(default_factory=Limits)
    node_id: str | None = None
    #: serve /metrics to anyone (True) or only to supervisors and admins
    public_metrics: bool = True
    #: the AI first tier: "offline" (cbcs[ai] models on this node) or "off" (conversations
    #: wait in the bot state until someone escalates them)
    ai: str = "off"
    #: the language of handoff summaries until a person is assigned
    ai_agent_language: str = "en"
    #: with ``ai="offline"``: the AI answers calls by voice too (Whisper and the offline
    #: voices, loaded on the first call)
    ai_voice: bool = True
    #: with ``ai="offline"``: calls are captioned (Whisper on each person's leg), final
    #: captions translated into the other party's language and kept in the conversation
    captions: bool = True
    #: chat translation between a customer and the human who has their conversation:
    #: "bergamot" (en <-> pt-BR offline, from cbcs[ai]), "llm" (that and the offline LLM,
    #: cbcs[llm], for es and zh with English), or "off"
    translation: str = "bergamot"
    #: keep the original of each message or caption whose card, phone or e-mail numbers
    #: were redacted, readable by admins only (GET /conversations/{id}/originals, audited);
    #: off by default: only the redacted text is stored
    keep_originals: bool = False
    #: the host addresses call legs offer (None: every interface; "127.0.0.1" on one host)
    call_addresses: tuple[str, ...] | None = None
