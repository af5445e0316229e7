"""A conversation: one customer's thread across chat, voice and video, and its state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from cbcs.contact.agent import CHANNELS
from cbcs.contact.errors import InvalidTransition, check, check_id


class ConversationState(str, enum.Enum):
    BOT = "bot"            # the AI tier answers
    QUEUED = "queued"      # waiting for a human
    OFFERED = "offered"    # a reservation is out to one agent
    ASSIGNED = "assigned"  # a human has it
    WRAP_UP = "wrap_up"    # the agent finishes notes; no new work for that slot
    CLOSED = "closed"


S = ConversationState
# (state, event) -> next state. Anything not here is an InvalidTransition.
TRANSITIONS: dict[tuple[ConversationState, str], ConversationState] = {
    (S.BOT, "escalate"): S.QUEUED,
    (S.BOT, "close"): S.CLOSED,
    (S.QUEUED, "offer"): S.OFFERED,
    (S.QUEUED, "overflow"): S.BOT,      # no human in time: back to the AI with a callback
    (S.QUEUED, "abandon"): S.CLOSED,
    (S.OFFERED, "accept"): S.ASSIGNED,
    (S.OFFERED, "reject"): S.QUEUED,
    (S.OFFERED, "timeout"): S.QUEUED,
    (S.OFFERED, "abandon"): S.CLOSED,
    (S.ASSIGNED, "transfer"): S.QUEUED,
    (S.ASSIGNED, "escalate"): S.QUEUED,  # "another human, please"
    (S.ASSIGNED, "close"): S.WRAP_UP,
    (S.WRAP_UP, "wrapped"): S.CLOSED,
    (S.CLOSED, "reopen"): S.BOT,         # the customer writes again: same history
}


def next_state(state: ConversationState, event: str) -> ConversationState:
    """The state after ``event``; :class:`InvalidTransition` if it makes no sense now."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        allowed = [e for (s, e) in TRANSITIONS if s == state]
        raise InvalidTransition("conversation", state.value, event, allowed) from None


@dataclass(frozen=True)
class Conversation:
    """State of one conversation; changes return a new value (the store compares and sets)."""

    id: str
    customer_id: str
    channel: str = "chat"
    state: ConversationState = S.BOT
    language: str = "en"
    market: str = "US"
    order_id: str | None = None
    queue: str | None = None
    agent_id: str | None = None
    ticket_id: str | None = None
    intent: str | None = None
    sentiment: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    last_seq: int = 0

    def __post_init__(self) -> None:
        check_id("conversation.id", self.id)
        check_id("conversation.customer_id", self.customer_id)
        check(self.channel in CHANNELS,
              f"channel: expected one of {', '.join(CHANNELS)}, got {self.channel!r}")

    def apply(self, event: str, now: float, **changes: object) -> Conversation:
        """The conversation after ``event`` at ``now``, with extra field changes."""
        return replace(self, state=next_state(self.state, event), updated_at=now,
                       **changes)  # type: ignore[arg-type]
