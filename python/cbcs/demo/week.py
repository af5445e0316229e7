"""A simulated week at Casa Lumen, for agent analytics (``cbcs demo-shop --simulate-week``).

Customers of six markets write by their own local hours; each conversation goes through the
real contact centre (:class:`~cbcs.services.conversations.ContactCentre`), dispatcher and
store on a simulated clock: started, the customer's message stored, escalated to a queue,
offered to the demo's agents by the routing engine (their shifts in their own time zones),
accepted, answered, and then either closed with a resolution or passed on to another agent.

What is simulated, and stated here so the figures can be read:
- each agent has a working style (:data:`STYLES`): how fast they accept and first reply,
  how long they handle a conversation (log-normal around a median), how often what they
  close is resolved, how often they pass a conversation on, and how warm they are;
- the customer's sentiment score (-1, 0, 1) is drawn from whether it was resolved and the
  agent's warmth, and stored on the conversation as the AI tier's sentiment classifier
  would (SIMULATED: the classifier is not run, to keep the week fast);
- an agent never takes back a conversation they passed on (they refuse the offer);
- the week is seeded: the same ``start``, ``seed`` and volume give the same figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cbcs.bus import MemoryBus
from cbcs.contact import ConversationState, Presence
from cbcs.demo.shop import build, put_into
from cbcs.services.conversations import ContactCentre
from cbcs.services.dispatch import Dispatcher
from cbcs.store.errors import Conflict, NotFound
from cbcs.store.sql import SqlStore

WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Style:
    """How one agent works in the simulation."""

    accept_s: float        # typical seconds to accept an offer
    first_reply_s: float   # median seconds from accepting to the first reply
    handle_s: float        # median seconds from accepting to the end of their part
    resolve: float         # chance that what they close is resolved
    transfer: float        # chance that they pass a conversation on
    warmth: float          # raises (or lowers) the chance the customer ends positive


STYLES: dict[str, Style] = {
    "maria": Style(4, 20, 360, 0.90, 0.03, 0.20),
    "jose": Style(8, 45, 540, 0.80, 0.06, 0.00),
    "andi": Style(6, 30, 420, 0.85, 0.05, 0.10),
    "ana": Style(5, 25, 480, 0.92, 0.02, 0.15),
    "rafael": Style(12, 75, 720, 0.68, 0.12, -0.10),
    "lucia": Style(6, 35, 420, 0.87, 0.04, 0.10),
    "diego": Style(14, 90, 600, 0.72, 0.10, -0.05),
    "wei": Style(9, 50, 660, 0.78, 0.15, 0.00),
    "nong": Style(6, 30, 360, 0.84, 0.05, 0.10),
    "linh": Style(7, 40, 480, 0.80, 0.06, 0.05),
}
DEFAULT_STYLE = Style(8, 45, 540, 0.80, 0.06, 0.0)

#: market: (customers' time zone, share of conversations, {language: share})
MARKETS: dict[str, tuple[str, float, dict[str, float]]] = {
    "PH": ("Asia/Manila", 0.22, {"en": 0.6, "tl": 0.4}),
    "ID": ("Asia/Jakarta", 0.18, {"id": 1.0}),
    "TH": ("Asia/Bangkok", 0.14, {"th": 1.0}),
    "VN": ("Asia/Ho_Chi_Minh", 0.12, {"vi": 1.0}),
    "BR": ("America/Sao_Paulo", 0.18, {"pt-BR": 1.0}),
    "MX": ("America/Mexico_City", 0.16, {"es": 1.0}),
}
#: customers' local hour -> relative rate (a working-day curve with an evening bump)
HOURLY = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.4, 1.3,
          1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.9, 1.0, 1.0, 0.8, 0.5, 0.2]
ASK = {"en": "Hi, where is my order? It was due yesterday.",
       "tl": "Hello po, nasaan na ang order ko? Kahapon pa dapat dumating.",
       "id": "Halo, pesanan saya di mana? Harusnya kemarin sampai.",
       "th": "สวัสดีค่ะ พัสดุของฉันอยู่ที่ไหน ควรถึงเมื่อวานแล้ว",
       "vi": "Chào shop, đơn hàng của mình đâu rồi? Lẽ ra hôm qua phải tới.",
       "pt-BR": "Oi, cadê meu pedido? Era para chegar ontem.",
       "es": "Hola, ¿dónde está mi pedido? Debía llegar ayer."}
ANSWER = {"en": "Let me check that for you.", "tl": "Sandali lang po, titingnan ko.",
          "id": "Saya cek dulu ya.", "th": "ขอตรวจสอบสักครู่นะคะ",
          "vi": "Để mình kiểm tra nhé.", "pt-BR": "Vou verificar para você.",
          "es": "Déjame revisarlo."}
RESOLVED = ("resolved", "refunded", "replaced", "answered: courier on its way")
UNRESOLVED = ("unresolved", "not resolved: waiting for the courier", "customer left")


@dataclass
class WeekSummary:
    """What the simulated week did."""

    start: float
    end: float
    conversations: int = 0
    accepted: int = 0
    closed: int = 0
    transferred: int = 0
    overflowed: int = 0
    seconds: float = 0.0   # wall-clock time the simulation took


@dataclass(frozen=True)
class _Arrival:
    at: float
    customer: str
    market: str
    language: str


def arrivals(start: float, days: float, per_day: float, seed: int) -> list[_Arrival]:
    """The week's customers: a Poisson count per market and day, spread by local hour."""
    rng = random.Random(seed)
    out: list[_Arrival] = []
    weights = [w / sum(HOURLY) for w in HOURLY]
    for day in range(math.ceil(days)):
        for market, (zone, share, languages) in MARKETS.items():
            tz = ZoneInfo(zone)
            expected = per_day * share
            count = _poisson(rng, expected)
            for _ in range(count):
                hour = rng.choices(range(24), weights)[0]
                local_day = dt.datetime.fromtimestamp(start + day * 86400, tz).date()
                local = dt.datetime.combine(local_day, dt.time(hour), tz)
                at = local.timestamp() + rng.uniform(0, 3600)
                if not start + 3600 <= at < start + days * 86400 - 1800:
                    continue
                language = rng.choices(list(languages), list(languages.values()))[0]
                out.append(_Arrival(at, "", market, language))
    out.sort(key=lambda a: a.at)
    return [dataclasses.replace(a, customer=f"sim-{a.market.lower()}-{i:05d}")
            for i, a in enumerate(out)]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def load_shop(store: SqlStore, now: float) -> None:
    """The demo seller's agents, queues, articles, customers and orders into ``store``."""
    await put_into(store, build(now), now)


async def simulate_week(store: SqlStore, start: float, *, days: float = 7.0,
                        per_day: float = 110.0, seed: int = 7,
                        progress: Callable[[str], None] | None = None) -> WeekSummary:
    """Run ``days`` of conversations from ``start`` (UNIX time) into ``store``, in which the
    demo seller (:func:`load_shop`) is loaded."""
    began = time.monotonic()
    end = start + days * 86400
    rng = random.Random(seed + 1)
    clock = _Clock(start)
    summary = WeekSummary(start, end)
    bus = MemoryBus(clock=clock)
    disp = Dispatcher(store, bus, node="sim", clock=clock, presence_ttl_s=10 ** 9)
    centre = ContactCentre(store, bus, disp, clock=clock)
    overflowed: list[str] = []

    async def hook(event: dict[str, Any]) -> None:
        if event.get("type") == "overflow":
            overflowed.append(str(event.get("task")))
        await centre.on_routing(event)

    disp.hook = hook
    await disp.start(background=False)
    for queue in await store.list_queues():
        await disp.put_queue(queue)
    for agent, _ in await store.list_agents():
        await disp.connect(agent.id)
        await disp.set_presence(agent.id, Presence.AVAILABLE)

    events: list[tuple[float, int, str, Any]] = []
    seq = 0

    def later(at: float, kind: str, what: Any) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, what))

    for a in arrivals(start, days, per_day, seed):
        later(a.at, "arrive", a)
    passed_on: dict[str, set[str]] = {}   # conversation -> agents who passed it on
    day_told = -1
    while events:
        now, _, kind, what = heapq.heappop(events)
        if now > end:
            break
        clock.now = max(clock.now, now)
        if kind == "arrive":
            summary.conversations += 1
            await _arrive(centre, store, what, rng)
        elif kind == "offer":
            res, task = what
            if res.agent_id in passed_on.get(task.conversation_id or "", ()):
                await _quietly(disp.reject(res.id, res.agent_id))
            else:
                try:
                    await disp.accept(res.id, res.agent_id)
                except (Conflict, NotFound):
                    continue   # timed out or canceled meanwhile
                summary.accepted += 1
                style = STYLES.get(res.agent_id, DEFAULT_STYLE)
                reply = clock.now + _lognormal(rng, style.first_reply_s, 0.6)
                handle = max(reply + 60, clock.now + _lognormal(rng, style.handle_s, 0.5))
                later(reply, "reply", (task, res.agent_id))
                later(handle, "end", (task, res.agent_id))
        elif kind == "reply":
            task, agent_id = what
            conversation = await store.get_conversation(task.conversation_id)
            if conversation.agent_id == agent_id and \
                    conversation.state is ConversationState.ASSIGNED:
                await centre.post(conversation, "agent", agent_id, None,
                                  ANSWER.get(conversation.language, ANSWER["en"]),
                                  lang=conversation.language)
        elif kind == "end":
            task, agent_id = what
            done = await _end(centre, disp, store, task, agent_id, rng)
            if done == "transferred":
                summary.transferred += 1
                passed_on.setdefault(task.conversation_id, set()).add(agent_id)
            elif done == "closed":
                summary.closed += 1
        await disp.sweep()
        for res in await disp.route():
            task = await store.get_task(res.task_id)
            style = STYLES.get(res.agent_id, DEFAULT_STYLE)
            later(clock.now + min(15.0, rng.uniform(0.5, 1.5) * style.accept_s), "offer",
                  (res, task))
        wake = disp.router.next_change(clock.now)
        if wake is not None and (not events or wake < events[0][0]):
            later(wake + 1e-3, "tick", None)
        elif disp.router.tasks and not events:
            later(clock.now + 60, "tick", None)
        day = int((clock.now - start) // 86400)
        if progress and day != day_told:
            day_told = day
            when = dt.datetime.fromtimestamp(clock.now, dt.timezone.utc)
            progress(f"  day {day + 1} of {math.ceil(days)} ({when:%a %d %b} UTC): "
                     f"{summary.conversations} conversations so far")
    summary.overflowed = len(overflowed)
    for agent_id in sorted(disp.hosted):   # the week is over: nobody is at a console
        await disp.disconnect(agent_id)
    await disp.stop()
    summary.seconds = time.monotonic() - began
    return summary


async def _quietly(call: Any) -> None:
    try:
        await call
    except (Conflict, NotFound):
        pass


async def _arrive(centre: ContactCentre, store: SqlStore, a: _Arrival,
                  rng: random.Random) -> None:
    conversation = await centre.start(a.customer, "chat", a.language, a.market)
    await centre.post(conversation, "customer", a.customer, "m1", ASK[a.language])
    # what the AI tier's classifiers would store before handing over (SIMULATED)
    scored = dataclasses.replace(conversation, intent="order_status",
                                 sentiment=rng.choice((-1.0, 0.0, 0.0)),
                                 updated_at=centre.clock())
    await store.update_conversation(scored, ConversationState.BOT)
    await centre.escalate(scored, "the customer asked for a person")


async def _end(centre: ContactCentre, disp: Dispatcher, store: SqlStore, task: Any,
               agent_id: str, rng: random.Random) -> str | None:
    """The agent's part ends: passed on, or closed with a resolution and the customer's
    sentiment at the end."""
    conversation = await store.get_conversation(task.conversation_id)
    if conversation.agent_id != agent_id or conversation.state is not ConversationState.ASSIGNED:
        return None
    style = STYLES.get(agent_id, DEFAULT_STYLE)
    if rng.random() < style.transfer:
        await centre.escalate(conversation, "needs another person")
        # the first agent's part is over: their slot is freed after wrap-up
        await _quietly(disp.complete(task.id, agent_id))
        return "transferred"
    resolved = rng.random() < style.resolve
    if resolved:
        p_pos, p_neg = min(0.95, 0.55 + style.warmth), 0.08
    else:
        p_pos, p_neg = 0.05, max(0.05, 0.55 - style.warmth)
    draw = rng.random()
    mood = 1.0 if draw < p_pos else -1.0 if draw < p_pos + p_neg else 0.0
    scored = dataclasses.replace(conversation, sentiment=mood, updated_at=centre.clock())
    await store.update_conversation(scored, ConversationState.ASSIGNED)
    resolution = rng.choice(RESOLVED if resolved else UNRESOLVED)
    await centre.close(scored, agent_id, resolution)
    return "closed"


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))
