"""The state machines of conversations, tasks, reservations and tickets: every allowed step,
and a typed error naming what is allowed for a step that makes no sense."""

from __future__ import annotations

import pytest

from cbcs.contact import Conversation, ConversationState, InvalidTransition, Reservation, Task
from cbcs.contact.conversation import TRANSITIONS, next_state
from cbcs.contact.task import next_reservation_status, next_task_status
from cbcs.contact.ticket import Ticket

C = ConversationState


@pytest.mark.parametrize("state, event, after", [
    (C.BOT, "escalate", C.QUEUED), (C.QUEUED, "offer", C.OFFERED),
    (C.OFFERED, "accept", C.ASSIGNED), (C.OFFERED, "timeout", C.QUEUED),
    (C.OFFERED, "reject", C.QUEUED), (C.ASSIGNED, "transfer", C.QUEUED),
    (C.ASSIGNED, "close", C.WRAP_UP), (C.WRAP_UP, "wrapped", C.CLOSED),
    (C.QUEUED, "overflow", C.BOT), (C.QUEUED, "abandon", C.CLOSED), (C.CLOSED, "reopen", C.BOT),
])
def test_conversation_steps(state: ConversationState, event: str, after: ConversationState) -> None:
    assert next_state(state, event) is after


@pytest.mark.parametrize("state, event", [
    (C.BOT, "accept"), (C.CLOSED, "close"), (C.WRAP_UP, "escalate"), (C.QUEUED, "accept"),
    (C.ASSIGNED, "offer"), (C.BOT, "teleport"),
])
def test_conversation_refuses_steps_that_make_no_sense(state: ConversationState,
                                                       event: str) -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_state(state, event)
    message = str(caught.value)
    assert f"cannot {event} when {state.value}" in message
    assert caught.value.allowed == sorted(e for (s, e) in TRANSITIONS if s is state)


def test_a_conversation_change_returns_a_new_value() -> None:
    conv = Conversation("c1", "cust1")
    queued = conv.apply("escalate", 10.0, queue="returns")
    assert (conv.state, queued.state, queued.queue, queued.updated_at) == (
        C.BOT, C.QUEUED, "returns", 10.0)
    with pytest.raises(InvalidTransition, match="cannot wrapped when queued"):
        queued.apply("wrapped", 11.0)


@pytest.mark.parametrize("status, event, after", [
    ("pending", "reserve", "reserved"), ("reserved", "accept", "assigned"),
    ("reserved", "release", "pending"), ("assigned", "complete", "wrapping"),
    ("wrapping", "wrapped", "completed"), ("pending", "overflow", "overflowed"),
    ("pending", "cancel", "canceled"),
])
def test_task_steps(status: str, event: str, after: str) -> None:
    task = Task("t1", "q", status=status)  # type: ignore[arg-type]
    assert task.apply(event).status.value == after


@pytest.mark.parametrize("status, event", [
    ("completed", "reserve"), ("pending", "accept"), ("assigned", "release"),
    ("overflowed", "reserve"),
])
def test_task_refuses(status: str, event: str) -> None:
    with pytest.raises(InvalidTransition, match=f"task: cannot {event} when {status}"):
        next_task_status(Task("t1", "q", status=status).status, event)  # type: ignore[arg-type]


def test_a_reservation_is_decided_once() -> None:
    res = Reservation("r1", "t1", "a1", 0.0, 20.0)
    accepted = res.apply("accept")
    assert accepted.status.value == "accepted"
    for event in ("accept", "reject", "timeout"):
        with pytest.raises(InvalidTransition, match="final"):
            next_reservation_status(accepted.status, event)


def test_ticket_lifecycle() -> None:
    ticket = Ticket("k1", "cust1", "refund", "Refund the broken lamp")
    solved = ticket.apply("solve", 5.0)
    assert solved.status.value == "solved" and solved.updated_at == 5.0
    with pytest.raises(InvalidTransition, match="ticket: cannot wait when solved"):
        solved.apply("wait", 6.0)
