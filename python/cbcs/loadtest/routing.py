"""Scenario ``routing``: agents churning presence while customers keep asking for people.

Each agent flips between available and away every ``churn_interval`` seconds (on
average), accepts every offer and closes each conversation ``hold`` seconds after it was
assigned. Each customer, again and again: starts a conversation, asks for a person and
waits for the assignment (``routing.wait``: from the escalation until the ``assigned``
frame), then for the close. ``offers_while_away`` counts offers that reached an agent more
than a second after its ``away`` had been acknowledged: the router should make none.
``offers_gone`` counts accepts answered 409 because going away had handed the offer back
(expected under churn, not a failure).
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from typing import Any

from locust import FastHttpUser, between, constant, events, task

from cbcs.loadtest.common import (admin_call, bearer, counts, fire, param, put_agent,
                                  token, write_summary, ws_url)
from cbcs.loadtest.wire import WireError, WireSocket

CUSTOMERS = int(param("customers", 100))
AGENTS = int(param("agents", 50))
CHURN_S = param("churn_interval", 3.0)
HOLD_S = param("hold", 2.0)
MARKET, LANGUAGE = "MX", "es"
WAIT_S = 120.0
_numbers = itertools.count()
for _key in ("assigned", "not_assigned", "closed", "status_changes", "offers_accepted",
             "offers_gone", "offers_while_away"):
    counts[_key] = 0


class RoutingCustomer(FastHttpUser):
    fixed_count = CUSTOMERS
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.id = f"customer-{next(_numbers)}"
        self.headers = bearer("customer", self.id)
        self.ws = WireSocket(ws_url(), token("customer", self.id))

    def _until(self, kind: str, conversation: str, within_s: float) -> bool:
        deadline = time.perf_counter() + within_s
        while True:
            frame = self.ws.receive(deadline - time.perf_counter())
            if frame is None:
                return False
            if frame.get("type") == kind and frame.get("conversation") == conversation:
                return True

    @task
    def ask_for_a_person(self) -> None:
        answer = self.client.post("/api/v1/conversations", name="/api/v1/conversations",
                                  json={"channel": "chat", "language": LANGUAGE,
                                        "market": MARKET}, headers=self.headers)
        if not answer.ok:
            return
        conversation = answer.json()["id"]
        try:
            self.ws.send_json({"type": "resume", "conversation": conversation,
                               "after_seq": 0})
            asked = time.perf_counter()
            self.client.post(f"/api/v1/conversations/{conversation}/escalate",
                             name="/api/v1/conversations/{id}/escalate",
                             json={"reason": "a refund"}, headers=self.headers)
            if not self._until("assigned", conversation, WAIT_S):
                counts["not_assigned"] += 1
                fire(self.environment, "WS", "routing.wait", WAIT_S * 1e3,
                     TimeoutError("no agent was assigned"))
                return
            counts["assigned"] += 1
            fire(self.environment, "WS", "routing.wait", (time.perf_counter() - asked) * 1e3)
            if self._until("closed", conversation, WAIT_S):
                counts["closed"] += 1
        except WireError as exc:
            fire(self.environment, "WS", "routing.connection", 0, exc)
            self.stop()

    def on_stop(self) -> None:
        self.ws.close()


class ChurningAgent(FastHttpUser):
    fixed_count = AGENTS
    wait_time = constant(0)

    def on_start(self) -> None:
        self.id = f"agent-{next(_numbers)}"
        self.headers = bearer("agent", self.id)
        put_agent(self.id, LANGUAGE, MARKET, 2)
        self.ws = WireSocket(ws_url(), token("agent", self.id))
        self.away_since: float | None = None
        self._status("available")
        self.closing: list[tuple[float, str]] = []   # (when, conversation)
        self.held: set[str] = set()

    def _status(self, status: str) -> None:
        answer = self.client.post(f"/api/v1/agents/{self.id}/status",
                                  name="/api/v1/agents/{id}/status",
                                  json={"status": status}, headers=self.headers)
        if answer.ok:
            counts["status_changes"] += 1
            self.away_since = time.perf_counter() if status == "away" else None
        self.flip_at = time.perf_counter() + random.uniform(0.5, 1.5) * CHURN_S

    @task
    def work(self) -> None:
        now = time.perf_counter()
        if now >= self.flip_at:
            self._status("available" if self.away_since is not None else "away")
        while self.closing and self.closing[0][0] <= now:
            _, conversation = heapq.heappop(self.closing)
            self.held.discard(conversation)
            self.client.post(f"/api/v1/conversations/{conversation}/close",
                             name="/api/v1/conversations/{id}/close",
                             json={"resolution": "sorted"}, headers=self.headers)
        wake = min([self.flip_at] + [c[0] for c in self.closing[:1]])
        try:
            frame = self.ws.receive(max(0.01, min(1.0, wake - time.perf_counter())))
        except WireError as exc:
            fire(self.environment, "WS", "agent.connection", 0, exc)
            self.stop()
            return
        if frame is None:
            return
        kind = frame.get("type")
        if kind == "reservation":
            if self.away_since is not None and time.perf_counter() - self.away_since > 1.0:
                counts["offers_while_away"] += 1
            with self.client.post(f"/api/v1/reservations/{frame['id']}/accept",
                                  name="/api/v1/reservations/{id}/accept",
                                  headers=self.headers, catch_response=True) as answer:
                if answer.status_code == 409:   # handed back when this agent went away
                    answer.success()
                    counts["offers_gone"] += 1
                elif answer.ok:
                    counts["offers_accepted"] += 1
        elif kind == "assigned" and frame.get("agent") == self.id \
                and frame["conversation"] not in self.held:
            self.held.add(frame["conversation"])
            heapq.heappush(self.closing, (time.perf_counter() + HOLD_S,
                                          str(frame["conversation"])))

    def on_stop(self) -> None:
        self.ws.close()


def _setup(environment: object, **_: object) -> None:
    admin_call("PUT", f"/api/v1/queues/{MARKET}-{LANGUAGE}", {"offer_timeout_s": 15,
                                                             "wrap_up_s": 0})


def _summary(environment: object, **_: object) -> None:
    write_summary({"scenario": "routing", "customers": CUSTOMERS, "agents": AGENTS,
                   "churn_interval_s": CHURN_S, "hold_s": HOLD_S})


events.test_start.add_listener(_setup)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_summary)  # type: ignore[no-untyped-call]
