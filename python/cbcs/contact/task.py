"""A routing task (a conversation waiting for a human) and a reservation (an offer to one
agent), each with its state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from cbcs.contact.agent import CHANNELS
from cbcs.contact.errors import InvalidTransition, check, check_id


class TaskStatus(str, enum.Enum):
    PENDING = "pending"        # waiting in its queue
    RESERVED = "reserved"      # offered to one agent
    ASSIGNED = "assigned"
    WRAPPING = "wrapping"      # closed; the agent's slot is held for wrap-up
    COMPLETED = "completed"
    CANCELED = "canceled"      # the customer left
    OVERFLOWED = "overflowed"  # nobody in time: back to the AI with a callback ticket


class ReservationStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"      # the task went away or the agent's node died


T, R = TaskStatus, ReservationStatus
TASK_TRANSITIONS: dict[tuple[TaskStatus, str], TaskStatus] = {
    (T.PENDING, "reserve"): T.RESERVED,
    (T.PENDING, "cancel"): T.CANCELED,
    (T.PENDING, "overflow"): T.OVERFLOWED,
    (T.RESERVED, "accept"): T.ASSIGNED,
    (T.RESERVED, "release"): T.PENDING,   # rejected, timed out, or the agent vanished
    (T.RESERVED, "cancel"): T.CANCELED,
    (T.ASSIGNED, "complete"): T.WRAPPING,
    (T.WRAPPING, "wrapped"): T.COMPLETED,
}
RESERVATION_TRANSITIONS: dict[tuple[ReservationStatus, str], ReservationStatus] = {
    (R.PENDING, "accept"): R.ACCEPTED,
    (R.PENDING, "reject"): R.REJECTED,
    (R.PENDING, "timeout"): R.TIMED_OUT,
    (R.PENDING, "cancel"): R.CANCELED,
}


def next_task_status(status: TaskStatus, event: str) -> TaskStatus:
    try:
        return TASK_TRANSITIONS[(status, event)]
    except KeyError:
        allowed = [e for (s, e) in TASK_TRANSITIONS if s == status]
        raise InvalidTransition("task", status.value, event, allowed) from None


def next_reservation_status(status: ReservationStatus, event: str) -> ReservationStatus:
    try:
        return RESERVATION_TRANSITIONS[(status, event)]
    except KeyError:
        allowed = [e for (s, e) in RESERVATION_TRANSITIONS if s == status]
        raise InvalidTransition("reservation", status.value, event, allowed) from None


@dataclass(frozen=True)
class Task:
    """What the router places: a conversation's need for a human, with its attributes."""

    id: str
    queue: str
    channel: str = "chat"
    language: str = "en"
    market: str = "US"
    skill: str | None = None
    priority: int = 0
    tier: str = "standard"
    conversation_id: str | None = None
    customer_id: str | None = None
    intent: str | None = None
    sentiment: float | None = None
    preferred_agent: str | None = None
    created_at: float = 0.0
    status: TaskStatus = T.PENDING
    agent_id: str | None = None
    rejected_by: frozenset[str] = field(default_factory=frozenset)
    translate: bool = False         # assigned to an agent who lacks the customer's language
    answered_at: float | None = None
    ended_at: float | None = None

    def __post_init__(self) -> None:
        check_id("task.id", self.id)
        check(self.channel in CHANNELS,
              f"channel: expected one of {', '.join(CHANNELS)}, got {self.channel!r}")
        object.__setattr__(self, "status", TaskStatus(self.status))
        object.__setattr__(self, "rejected_by", frozenset(self.rejected_by))

    def attributes(self, now: float) -> dict[str, object]:
        """What target expressions see as ``task.*``."""
        return {"id": self.id, "queue": self.queue, "channel": self.channel,
                "language": self.language, "market": self.market, "skill": self.skill,
                "priority": self.priority, "tier": self.tier, "customer": self.customer_id,
                "intent": self.intent, "sentiment": self.sentiment,
                "wait_s": max(0.0, now - self.created_at)}

    def apply(self, event: str, **changes: object) -> Task:
        return replace(self, status=next_task_status(self.status, event),
                       **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Reservation:
    """An offer of one task to one agent, pending until accepted, rejected or expired."""

    id: str
    task_id: str
    agent_id: str
    created_at: float
    expires_at: float
    status: ReservationStatus = R.PENDING
    translate: bool = False
    node: str = ""
    decided_at: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ReservationStatus(self.status))

    def apply(self, event: str) -> Reservation:
        return replace(self, status=next_reservation_status(self.status, event))
