"""Scenario ``chat``: customers open conversations and talk, agents accept and answer.

Each customer starts a conversation, asks for a person and follows it over the WebSocket;
once an agent is assigned it writes a message every ``message_interval`` seconds (on
average). Two figures per message, both timed by the customer: ``chat.ack`` (sent until
the service acknowledged it, i.e. stored it) and ``chat.reply`` (sent until the agent's
answer arrived: customer, service, agent, service, customer). Agents accept every offer
over REST and answer every customer message at once. Every client checks the order of
the sequence numbers it receives: a number that goes back is a failure.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from locust import FastHttpUser, between, constant, events, task

from cbcs.loadtest.common import (admin_call, bearer, counts, fire, param, put_agent,
                                  token, write_summary, ws_url)
from cbcs.loadtest.wire import WireError, WireSocket

CUSTOMERS = int(param("customers", 500))
AGENTS = int(param("agents", 50))
INTERVAL = param("message_interval", 10.0)
MARKET, LANGUAGE = "PH", "en"
WAIT_S = 10.0        # longer than this for an ack or a reply is a failure
ASSIGN_WAIT_S = 120.0
_numbers = itertools.count()
for _key in ("assigned", "not_assigned", "order_violations", "messages_sent", "replies_sent",
             "offers_accepted"):
    counts[_key] = 0


class _Ordered:
    """Checks that the message numbers of each conversation only go up."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.last: dict[str, int] = {}

    def check(self, frame: dict[str, Any]) -> bool:
        conversation, seq = frame["conversation"], int(frame["seq"])
        if seq <= self.last.get(conversation, 0):
            counts["order_violations"] += 1
            fire(self.environment, "WS", "chat.order", 0, ValueError("a message out of order"))
            return False
        self.last[conversation] = seq
        return True


class ChatCustomer(FastHttpUser):
    fixed_count = CUSTOMERS
    wait_time = between(0.5 * INTERVAL, 1.5 * INTERVAL)

    def on_start(self) -> None:
        self.id = f"customer-{next(_numbers)}"
        self.headers = bearer("customer", self.id)
        self.order = _Ordered(self.environment)
        self.k = 0
        self.ws = WireSocket(ws_url(), token("customer", self.id))
        answer = self.client.post("/api/v1/conversations", name="/api/v1/conversations",
                                  json={"channel": "chat", "language": LANGUAGE,
                                        "market": MARKET}, headers=self.headers)
        self.conversation = answer.json()["id"]
        self.client.post(f"/api/v1/conversations/{self.conversation}/escalate",
                         name="/api/v1/conversations/{id}/escalate",
                         json={"reason": "where is my order"}, headers=self.headers)
        self.ws.send_json({"type": "resume", "conversation": self.conversation,
                           "after_seq": 0})
        started = time.perf_counter()
        self.assigned = self._until(lambda f: f.get("type") == "assigned", ASSIGN_WAIT_S)
        if self.assigned:
            counts["assigned"] += 1
            fire(self.environment, "WS", "chat.assigned", (time.perf_counter() - started) * 1e3)
        else:
            counts["not_assigned"] += 1
            fire(self.environment, "WS", "chat.assigned", ASSIGN_WAIT_S * 1e3,
                 TimeoutError("no agent was assigned"))

    def _until(self, wanted: Any, within_s: float) -> dict[str, Any] | None:
        deadline = time.perf_counter() + within_s
        while True:
            frame = self.ws.receive(deadline - time.perf_counter())
            if frame is None:
                return None
            if frame.get("type") == "message":
                self.order.check(frame)
            elif frame.get("type") == "error":
                fire(self.environment, "WS", "chat.error", 0,
                     RuntimeError(f"{frame.get('code')}: {frame.get('message')}"))
            if wanted(frame):
                return dict(frame)

    @task
    def talk(self) -> None:
        if not self.assigned:
            self.stop()
            return
        self.k += 1
        client_id = f"{self.id}-{self.k}"
        sent = time.perf_counter()
        try:
            self.ws.send_json({"type": "message", "conversation": self.conversation,
                               "client_id": client_id,
                               "text": f"has my order shipped yet? {client_id}"})
            counts["messages_sent"] += 1
            acked = replied = False
            deadline = sent + WAIT_S
            while not (acked and replied):
                frame = self._until(lambda f: f.get("type") in ("ack", "message"),
                                    deadline - time.perf_counter())
                if frame is None:
                    missing = "ack" if not acked else "reply"
                    fire(self.environment, "WS", f"chat.{missing}", WAIT_S * 1e3,
                         TimeoutError(f"no {missing} within {WAIT_S:.0f} s"))
                    return
                ms = (time.perf_counter() - sent) * 1e3
                if frame["type"] == "ack" and frame.get("client_id") == client_id:
                    acked = True
                    fire(self.environment, "WS", "chat.ack", ms)
                elif (frame["type"] == "message" and frame["author"]["role"] == "agent"
                      and frame["text"].endswith(client_id)):
                    replied = True
                    fire(self.environment, "WS", "chat.reply", ms)
        except WireError as exc:
            fire(self.environment, "WS", "chat.connection", 0, exc)
            self.stop()

    def on_stop(self) -> None:
        self.ws.close()


class ChatAgent(FastHttpUser):
    fixed_count = AGENTS
    wait_time = constant(0)

    def on_start(self) -> None:
        self.id = f"agent-{next(_numbers)}"
        self.headers = bearer("agent", self.id)
        self.order = _Ordered(self.environment)
        capacity = -(-CUSTOMERS // max(AGENTS, 1)) + 2
        put_agent(self.id, LANGUAGE, MARKET, min(capacity, 100))
        self.ws = WireSocket(ws_url(), token("agent", self.id))
        self.client.post(f"/api/v1/agents/{self.id}/status",
                         name="/api/v1/agents/{id}/status", json={"status": "available"},
                         headers=self.headers)

    @task
    def serve(self) -> None:
        try:
            frame = self.ws.receive(1.0)
        except WireError as exc:
            fire(self.environment, "WS", "agent.connection", 0, exc)
            self.stop()
            return
        if frame is None:
            return
        kind = frame.get("type")
        if kind == "reservation":
            self.client.post(f"/api/v1/reservations/{frame['id']}/accept",
                             name="/api/v1/reservations/{id}/accept", headers=self.headers)
            counts["offers_accepted"] += 1
        elif kind == "message" and self.order.check(frame) \
                and frame["author"]["role"] == "customer":
            asked = frame["text"].rsplit(" ", 1)[-1]
            self.ws.send_json({"type": "message", "conversation": frame["conversation"],
                               "client_id": f"re-{asked}",
                               "text": f"Let me look that up for you. {asked}"})
            counts["replies_sent"] += 1
        elif kind == "error":
            fire(self.environment, "WS", "agent.error", 0,
                 RuntimeError(f"{frame.get('code')}: {frame.get('message')}"))

    def on_stop(self) -> None:
        self.ws.close()


def _setup(environment: object, **_: object) -> None:
    admin_call("PUT", "/api/v1/queues/default", {"offer_timeout_s": 30})


def _summary(environment: object, **_: object) -> None:
    write_summary({"scenario": "chat", "customers": CUSTOMERS, "agents": AGENTS,
                   "message_interval_s": INTERVAL})


events.test_start.add_listener(_setup)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_summary)  # type: ignore[no-untyped-call]
