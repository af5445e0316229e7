"""A message in a conversation: ordered by a per-conversation sequence number."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from cbcs.contact.errors import check

MAX_TEXT = 4000


class AuthorRole(str, enum.Enum):
    CUSTOMER = "customer"
    AGENT = "agent"
    AI = "ai"
    SYSTEM = "system"


class MessageKind(str, enum.Enum):
    TEXT = "text"
    EVENT = "event"      # joined, left, transferred, call started
    CAPTION = "caption"  # speech in a call, as text
    SYSTEM = "system"    # what the service tells the customer ("a human will be back at 09:00")


@dataclass(frozen=True)
class Message:
    """One stored message; ``seq`` is given by the store inside the transaction that stores it.

    ``text`` is as written (in ``lang``); ``translations`` holds it in the other party's
    language, and ``translated_by`` names, for each language asked for, the model that
    made it or why there is none (``untranslated``: no model covers the pair; ``failed``).
    """

    conversation_id: str
    author_role: AuthorRole
    author_id: str
    text: str
    kind: MessageKind = MessageKind.TEXT
    lang: str | None = None
    translations: Mapping[str, str] = field(default_factory=dict)
    translated_by: Mapping[str, str] = field(default_factory=dict)
    client_id: str | None = None
    seq: int = 0
    created_at: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "author_role", AuthorRole(self.author_role))
        object.__setattr__(self, "kind", MessageKind(self.kind))
        check(isinstance(self.text, str) and 0 < len(self.text) <= MAX_TEXT,
              f"text: expected 1 to {MAX_TEXT} characters, got {len(self.text)}")
