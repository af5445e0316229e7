"""The simulated contact-centre day of ``cbcs bench routing``: who calls when, how long
they talk, how long they wait before giving up; the cbcs dispatcher (engine and SQLite
store, on a simulated clock) beside a plain round-robin baseline on the same customers.

The day (stated here so the figures can be read):
- agents in five time zones (Manila, Bangkok, Shanghai, São Paulo, Mexico City), each on
  one of two daily shifts in local time (08:00-16:00 or 14:00-22:00), chat capacity 3;
- customers from eight markets speaking eight languages, arriving by their own local hour
  (a daytime curve peaking late morning and evening), 10 % of them gold tier;
- handling time log-normal, median 4 min (sigma 0.5); patience (time before a waiting
  customer leaves) log-normal, median 4 min (sigma 0.7); service level: answered in 60 s.
- agents accept offers at once (the engine's decisions, not agents' habits, are measured).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cbcs.bus import MemoryBus
from cbcs.contact import Agent, Presence, Queue, Step, Task, WeeklyShift
from cbcs.services.dispatch import Dispatcher
from cbcs.store import open_store

DAY_START = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.timezone.utc).timestamp()  # a Tuesday
SERVICE_LEVEL_S = 60.0
MARKETS = {  # market: (language, customers' time zone, share of the day's customers)
    "MX": ("es", "America/Mexico_City", 0.20), "BR": ("pt", "America/Sao_Paulo", 0.18),
    "PH": ("fil", "Asia/Manila", 0.16), "US": ("en", "America/Mexico_City", 0.10),
    "TH": ("th", "Asia/Bangkok", 0.12), "CN": ("zh", "Asia/Shanghai", 0.10),
    "ID": ("id", "Asia/Bangkok", 0.08), "VN": ("vi", "Asia/Bangkok", 0.06),
}
SITES = {  # time zone: (agents, languages each one speaks, with proficiency)
    "Asia/Manila": (16, [{"fil": 5, "en": 5}, {"fil": 5, "en": 4, "es": 2}]),
    "America/Mexico_City": (14, [{"es": 5, "en": 4}, {"es": 5, "en": 3, "pt": 2}]),
    "America/Sao_Paulo": (12, [{"pt": 5, "es": 3, "en": 3}, {"pt": 5, "en": 2}]),
    "Asia/Bangkok": (10, [{"th": 5, "en": 3}, {"th": 5, "vi": 3, "en": 3},
                          {"id": 4, "th": 3, "en": 3}]),
    "Asia/Shanghai": (8, [{"zh": 5, "en": 3}, {"zh": 5, "id": 2, "en": 4}]),
}
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.3, 1.5, 1.6,
          1.4, 1.2, 1.2, 1.3, 1.3, 1.2, 1.3, 1.5, 1.6, 1.3, 0.8, 0.4]
# The steps relax before the service-level deadline: the last one starts at 40 s.
QUEUE = Queue("support", steps=[
    Step("agent.languages[task.language] >= 4", 15),     # a native speaker first
    Step("agent.languages[task.language] >= 2", 25),     # then anyone who speaks it
    Step("", None, translate=True)],                     # then anyone, with translation
    max_wait_s=900, service_level_s=SERVICE_LEVEL_S, wrap_up_s=0)


@dataclass(frozen=True)
class Customer:
    id: str
    arrives: float
    language: str
    market: str
    tier: str
    handle_s: float
    patience_s: float


def agents() -> list[Agent]:
    out = []
    for zone, (count, profiles) in SITES.items():
        for i in range(count):
            shift = "08:00-16:00" if i % 2 == 0 else "14:00-22:00"
            out.append(Agent(f"{zone.split('/')[1].lower()}-{i:02d}",
                             languages=profiles[i % len(profiles)], time_zone=zone,
                             shift=WeeklyShift.parse({"daily": shift}),
                             capacity={"chat": 3}))
    return out


def customers(total: int, seed: int) -> list[Customer]:
    """``total`` customers over the day, each market by its own local hours."""
    rng = random.Random(seed)
    out: list[Customer] = []
    for market, (lang, zone, share) in MARKETS.items():
        info = ZoneInfo(zone)
        weights = []
        for hour in range(24):   # UTC hour -> the market's local hour
            local = dt.datetime.fromtimestamp(DAY_START + hour * 3600, info).hour
            weights.append(HOURLY[local])
        scale = sum(weights)
        for hour, weight in enumerate(weights):
            n = rng.gauss(total * share * weight / scale, 0.5)
            for _ in range(max(0, round(n))):
                out.append(Customer(
                    id=f"{market}-{len(out):05d}",
                    arrives=DAY_START + hour * 3600 + rng.random() * 3600,
                    language=lang, market=market,
                    tier="gold" if rng.random() < 0.1 else "standard",
                    handle_s=240 * math.exp(rng.gauss(0, 0.5)),
                    patience_s=240 * math.exp(rng.gauss(0, 0.7))))
    out.sort(key=lambda c: c.arrives)
    return out


@dataclass
class Outcome:
    """What happened to each customer, and the figures the benchmark prints."""

    waits: list[float]
    gave_up: list[float] = field(default_factory=list)   # how long those who left waited
    answered_in_time: int = 0
    abandoned: int = 0
    overflowed: int = 0
    mismatched: int = 0
    translated: int = 0
    total: int = 0

    def figures(self) -> dict[str, Any]:
        finished = max(1, self.total)
        ordered = sorted(self.waits)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else None
        return {"customers": self.total,
                "service_level": round(self.answered_in_time / finished, 4),
                "mean_wait_s": round(sum(self.waits) / len(self.waits), 1) if self.waits else None,
                # answered or not: time until answered, or until they gave up
                "mean_wait_all_s": round(sum(self.waits + self.gave_up)
                                         / max(1, len(self.waits) + len(self.gave_up)), 1),
                "p90_wait_s": round(p90, 1) if p90 is not None else None,
                "abandon_rate": round(self.abandoned / finished, 4),
                "overflow_rate": round(self.overflowed / finished, 4),
                "language_mismatch": self.mismatched, "translated": self.translated}

    def answered(self, wait: float) -> None:
        self.waits.append(wait)
        self.answered_in_time += wait <= SERVICE_LEVEL_S


def _on_duty(agent: Agent, now: float) -> bool:
    return agent.shift.on_duty(agent.time_zone, now)


def baseline(roster: list[Agent], people: list[Customer]) -> Outcome:
    """Round robin over on-shift agents whose languages contain the customer's, with
    capacity; a customer nobody can take waits (first come, first served) until a speaker
    has room, or leaves. No priorities, no steps, no translation."""
    outcome = Outcome([], total=len(people))
    load = {a.id: 0 for a in roster}
    turn = 0
    waiting: list[Customer] = []
    events: list[tuple[float, int, str, Any]] = []
    for i, c in enumerate(people):
        heapq.heappush(events, (c.arrives, i, "arrive", c))
    seq = len(people)

    def pick(c: Customer, now: float) -> Agent | None:
        nonlocal turn
        n = len(roster)
        for k in range(n):
            a = roster[(turn + k) % n]
            if c.language in a.languages and load[a.id] < 3 and _on_duty(a, now):
                turn = (turn + k + 1) % n
                return a
        return None

    def assign(c: Customer, a: Agent, now: float) -> None:
        nonlocal seq
        load[a.id] += 1
        outcome.answered(now - c.arrives)
        seq += 1
        heapq.heappush(events, (now + c.handle_s, seq, "done", a.id))

    minute = DAY_START
    while events or waiting:
        item: tuple[float, int, str, Any] = (heapq.heappop(events) if events
                                             else (minute, 0, "tick", None))
        now, _, kind, what = item
        if kind == "arrive":
            agent = pick(what, now)
            if agent:
                assign(what, agent, now)
            else:
                waiting.append(what)
                seq += 1
                heapq.heappush(events, (now + what.patience_s, seq, "leave", what))
            continue
        if kind == "leave":
            if what in waiting:
                waiting.remove(what)
                outcome.abandoned += 1
                outcome.gave_up.append(what.patience_s)
            continue
        if kind == "done":
            load[what] -= 1
        for c in list(waiting):   # first come, first served
            agent = pick(c, now)
            if agent:
                waiting.remove(c)
                assign(c, agent, now)
        if not events and waiting:   # shifts may start later: look again in a minute
            minute = now + 60
            seq += 1
            heapq.heappush(events, (minute, seq, "tick", None))
    return outcome


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def engine(roster: list[Agent], people: list[Customer],
                 progress: Callable[[str], None] | None = None) -> tuple[Outcome, list[float]]:
    """The same customers through the cbcs dispatcher on an embedded SQLite store."""
    outcome = Outcome([], total=len(people))
    clock = _Clock(DAY_START)
    with tempfile.TemporaryDirectory(prefix="cbcs-bench-") as tmp:
        store = await open_store(f"sqlite:///{Path(tmp) / 'cbcs.db'}")
        told: list[dict[str, Any]] = []
        disp = Dispatcher(store, MemoryBus(clock=clock), node="bench", clock=clock,
                          presence_ttl_s=10 ** 9, hook=told.append)
        await disp.start(background=False)
        await disp.put_queue(QUEUE)
        for agent in roster:
            await disp.put_agent(agent)
            await disp.connect(agent.id)
            await disp.set_presence(agent.id, Presence.AVAILABLE)
        events: list[tuple[float, int, str, Any]] = []
        for i, c in enumerate(people):
            heapq.heappush(events, (c.arrives, i, "arrive", c))
        seq = len(people)
        by_task = {c.id: c for c in people}
        decisions: list[float] = []
        last_report = time.monotonic()
        while events:
            now, _, kind, what = heapq.heappop(events)
            clock.now = max(clock.now, now)
            if kind == "arrive":
                await disp.submit(Task(what.id, "support", language=what.language,
                                       market=what.market, tier=what.tier,
                                       customer_id=what.id, created_at=what.arrives))
                seq += 1
                heapq.heappush(events, (now + what.patience_s, seq, "leave", what))
            elif kind == "leave":
                if what.id in disp.router.tasks:
                    await disp.cancel(what.id)
                    outcome.abandoned += 1
                    outcome.gave_up.append(what.patience_s)
            elif kind == "done":
                await disp.complete(what[0], what[1])
            await disp.sweep()
            outcome.overflowed += sum(e["type"] == "overflow" for e in told)
            told.clear()
            started = time.perf_counter()
            made = await disp.route()
            decisions.append((time.perf_counter() - started) * 1000)
            still_free = _free_speakers(disp, clock.now)
            for res in made:
                task = await disp.accept(res.id, res.agent_id)
                c = by_task[task.id]
                outcome.answered(clock.now - c.arrives)
                if task.translate:
                    outcome.translated += 1
                    # given a non-speaker while a speaker of theirs is still free
                    outcome.mismatched += c.language in still_free
                seq += 1
                heapq.heappush(events, (clock.now + c.handle_s, seq, "done",
                                        (task.id, res.agent_id)))
            wake = disp.router.next_change(clock.now)
            if wake is not None and (not events or wake < events[0][0]):
                seq += 1
                heapq.heappush(events, (wake + 1e-3, seq, "tick", None))
            elif disp.router.tasks and not events:
                seq += 1
                heapq.heappush(events, (clock.now + 60, seq, "tick", None))
            if progress and time.monotonic() - last_report > 5:
                last_report = time.monotonic()
                progress(f"  simulated {dt.datetime.fromtimestamp(clock.now, dt.timezone.utc):%H:%M}"
                         f" UTC, {len(outcome.waits)} answered")
        await store.close()
    return outcome, decisions


def _free_speakers(disp: Dispatcher, now: float) -> set[str]:
    """Languages some free, on-duty, available agent speaks right now."""
    langs: set[str] = set()
    for state in disp.router.agents.values():
        if state.routable(now) and state.agent.has_room(state.load, "chat"):
            langs.update(state.agent.languages)
    return langs
