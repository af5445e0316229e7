"""A ticket: what is left to do for a customer (a refund, a callback), with its status."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from cbcs.contact.errors import InvalidTransition, check, check_id


class TicketPriority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(str, enum.Enum):
    OPEN = "open"
    PENDING = "pending"    # waiting on the customer or the seller
    SOLVED = "solved"
    CLOSED = "closed"


CATEGORIES = ("order", "delivery", "return", "refund", "payment", "product", "account",
              "complaint", "callback", "other")
TICKET_TRANSITIONS: dict[tuple[TicketStatus, str], TicketStatus] = {
    (TicketStatus.OPEN, "wait"): TicketStatus.PENDING,
    (TicketStatus.OPEN, "solve"): TicketStatus.SOLVED,
    (TicketStatus.PENDING, "resume"): TicketStatus.OPEN,
    (TicketStatus.PENDING, "solve"): TicketStatus.SOLVED,
    (TicketStatus.SOLVED, "reopen"): TicketStatus.OPEN,
    (TicketStatus.SOLVED, "close"): TicketStatus.CLOSED,
}


@dataclass(frozen=True)
class Ticket:
    id: str
    customer_id: str
    category: str
    summary: str
    priority: TicketPriority = TicketPriority.NORMAL
    status: TicketStatus = TicketStatus.OPEN
    conversation_id: str | None = None
    order_ref: str | None = None
    due_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        check_id("ticket.id", self.id)
        check_id("ticket.customer_id", self.customer_id)
        check(self.category in CATEGORIES,
              f"category: expected one of {', '.join(CATEGORIES)}, got {self.category!r}")
        check(isinstance(self.summary, str) and 0 < len(self.summary) <= 4000,
              "summary: expected 1 to 4000 characters")
        object.__setattr__(self, "priority", TicketPriority(self.priority))
        object.__setattr__(self, "status", TicketStatus(self.status))

    def apply(self, event: str, now: float) -> Ticket:
        try:
            status = TICKET_TRANSITIONS[(self.status, event)]
        except KeyError:
            allowed = [e for (s, e) in TICKET_TRANSITIONS if s == self.status]
            raise InvalidTransition("ticket", self.status.value, event, allowed) from None
        return replace(self, status=status, updated_at=now)
