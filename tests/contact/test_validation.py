"""Bad profiles, queues and tickets: a ConfigError saying which field and what was expected."""

from __future__ import annotations

from typing import Any

import pytest

from cbcs.contact import (Agent, Article, Customer, Order, Queue, Task, Ticket,
                          WeeklyShift)
from cbcs.errors import ConfigError


def _order(**changes: Any) -> Order:
    fields: dict[str, Any] = dict(id="PH-1", customer_id="c1", market="PH", status="paid",
                                  items=[("s1", "Sofa", 1, "10.00")], currency="PHP",
                                  total="10.00", placed_at=100.0, updated_at=200.0)
    return Order(**{**fields, **changes})


@pytest.mark.parametrize("make, message", [
    (lambda: Agent("a1", capacity={"chat": -1}), "capacity.chat: expected a whole number from 0"),
    (lambda: Agent("a1", capacity={"fax": 1}), "capacity: expected channels chat, voice, video"),
    (lambda: Agent("a1", time_zone="Asia/Manilla"), "expected an IANA time zone"),
    (lambda: Agent("a1", time_zone="Mars/Olympus"), "'Mars/Olympus'"),
    (lambda: Agent("a1", languages={"es": 6}), "languages.es: expected a level from 1 to 5"),
    (lambda: Agent("a1", languages={"es": "native"}), "languages.es: expected a level"),
    (lambda: Agent("a1", languages={"e s": 3}), "expected a language tag"),
    (lambda: Agent("a1", markets=("mexico",)), "expected a two-letter market code"),
    (lambda: Agent("a1", markets="MX"), "markets: expected a list"),
    (lambda: Agent("a1", kind="robot"), "agent.kind: expected human or ai"),
    (lambda: Agent("", name="x"), "agent.id: expected a non-empty id"),
    (lambda: Agent("a1", shift={"mon-fri": "9-17"}), "expected a time HH:MM"),
    (lambda: Agent("a1", shift={"weekdays": "09:00-17:00"}), "expected a day or a range"),
    (lambda: Agent("a1", shift={"mon": "09:00-09:00"}), "is empty"),
    (lambda: Agent("a1", shift={"mon": "25:00-26:00"}), "between 00:00 and 24:00"),
    (lambda: Customer("c1", market="XX1"), "two-letter market"),
    (lambda: Customer("c1", tier="platinum"), "customer.tier: expected one of standard"),
    (lambda: Queue("q", max_wait_s=0), "max_wait_s: expected seconds from 1"),
    (lambda: Queue("q", steps=[{"target": "", "timeout_s": -5}]), "step.timeout_s"),
    (lambda: Queue("bad name"), "queue.name"),
    (lambda: Task("t1", "q", channel="fax"), "channel: expected one of chat, voice, video"),
    (lambda: Ticket("k1", "c1", "lost-dog", "x"), "category: expected one of order"),
    (lambda: Article("MX", "es", "returns", "", "body"), "title: expected 1 to 300"),
    (lambda: _order(total=19.99), "order.total: expected an amount such as '19.99'"),
    (lambda: _order(total="19.999"), "PHP amounts have at most 2 decimals"),
    (lambda: _order(currency="VND", total="10.5"), "VND amounts have at most 0 decimals"),
    (lambda: _order(total="-1"), "order.total: expected an amount from 0"),
    (lambda: _order(currency="peso"), "order.currency: expected an ISO 4217 code"),
    (lambda: _order(items=[]), "order.items: expected a non-empty list"),
    (lambda: _order(items=[("s1", "Sofa", 0, "1")]), r"order.items\[0\].qty"),
    (lambda: _order(items=[{"sku": "s1", "qty": 1}]), "missing 'name'"),
    (lambda: _order(status="lost"), "order.status: expected one of placed"),
    (lambda: _order(status="delivered"), "a delivered order needs the time"),
    (lambda: _order(delivered_at=150.0), "expected none while the order is paid"),
    (lambda: _order(updated_at=50.0), "order.updated_at: expected at least placed_at"),
])
def test_bad_values_say_what_was_expected(make: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        make()


def test_defaults_are_the_documented_ones() -> None:
    agent = Agent("a1")
    assert dict(agent.capacity) == {"chat": 3, "voice": 1, "video": 1}
    assert agent.calls_block_chat and agent.shift.always
    queue = Queue("q")
    assert queue.offer_timeout_s == 20.0


@pytest.mark.parametrize("load, channel, room", [
    ({"chat": 2}, "chat", True), ({"chat": 3}, "chat", False),
    ({"voice": 1}, "chat", False),                  # a call blocks chat by default
    ({"chat": 2}, "voice", True),                   # a call may come while chats wait
    ({"voice": 1}, "video", False),                 # one call at a time
    ({"video": 1}, "video", False),
])
def test_capacity_per_channel(load: dict[str, int], channel: str, room: bool) -> None:
    assert Agent("a1").has_room(load, channel) is room


def test_a_call_can_leave_chat_open_when_configured() -> None:
    assert Agent("a1", calls_block_chat=False).has_room({"voice": 1}, "chat")


def test_overnight_and_sunday_night_shifts() -> None:
    import datetime as dt
    shift = WeeklyShift.parse({"sun": "22:00-06:00", "fri": ["09:00-12:00", "13:00-17:00"]})
    monday_5am = dt.datetime(2026, 11, 30, 5, 0)
    monday_7am = dt.datetime(2026, 11, 30, 7, 0)
    friday_noon = dt.datetime(2026, 12, 4, 12, 30)
    friday_3pm = dt.datetime(2026, 12, 4, 15, 0)
    assert [shift.contains(t) for t in (monday_5am, monday_7am, friday_noon, friday_3pm)] == [
        True, False, False, True]
