"""``cbcs bench routing``: the routing engine and the store together. Decision latency with
1,000 waiting tasks and 200 agents on SQLite, and a simulated day beside a round-robin
baseline on the same customers (the day is described in ``cbcs.bench._routing_day``)."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from cbcs.bench import _routing_day as day
from cbcs.bench.report import Report
from cbcs.bus import MemoryBus
from cbcs.commands._args import positive_int
from cbcs.contact import Agent, Presence, Queue, Step, Task, TaskStatus, WeeklyShift
from cbcs.routing.sla import percentile
from cbcs.services.dispatch import Dispatcher
from cbcs.store import open_store

DESCRIPTION = "routing decisions and a simulated day vs round robin over speakers"
DECISION_P99_MS = 5.0
ROUNDS = 3
LANGS = ["en", "es", "pt", "fil", "th", "id", "vi", "zh"]
MARKETS = ["US", "MX", "BR", "PH", "TH", "ID", "VN", "CN"]
ZONES = ["Asia/Manila", "America/Sao_Paulo", "America/Mexico_City", "Asia/Bangkok",
         "Asia/Shanghai"]
SKILLS = ["returns", "payments", "delivery", "product"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--decisions", type=positive_int, default=None,
                        help="agent-frees-up events to time (default 2000, 500 with --short)")
    parser.add_argument("--customers", type=positive_int, default=None,
                        help="customers in the simulated day (default 2500, 800 with --short)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the day's customers")


def run(args: argparse.Namespace, report: Report) -> None:
    decisions = args.decisions or (500 if args.short else 2000)
    people = args.customers or (800 if args.short else 2500)
    print(f"routing decisions: 1000 waiting tasks, 200 agents, SQLite; {decisions} events, "
          f"{ROUNDS} rounds", flush=True)
    # A p99 over a few hundred events moves with whatever else the machine is doing, so each
    # round starts afresh and the round with the median p99 is the one reported and gated.
    rounds = [asyncio.run(_decisions(decisions, random.Random(args.seed + i)))
              for i in range(ROUNDS)]
    rounds.sort(key=lambda t: percentile(t["agent frees up"], .99) or 0.0)
    print("  p99 per round (agent frees up): " + ", ".join(
        f"{percentile(t['agent frees up'], .99):.2f} ms" for t in rounds), flush=True)
    timing = rounds[len(rounds) // 2]
    report.table("routing decision (engine + store commit), ms", ["event", "n", "p50", "p99"], [
        [name, len(v), f"{percentile(v, .5):.2f}", f"{percentile(v, .99):.2f}"]
        for name, v in timing.items()])
    # the decision that places work: an agent frees up and gets the best waiting task
    offers, arrivals = timing["agent frees up"], timing["task arrives"]
    p50, p99 = percentile(offers, .5) or 0.0, percentile(offers, .99) or 0.0
    report.figures["decision_ms"] = {
        "p50": round(p50, 3), "p99": round(p99, 3), "events": len(offers),
        "arrival": {"p50": round(percentile(arrivals, .5) or 0.0, 3),
                    "p99": round(percentile(arrivals, .99) or 0.0, 3)}}
    report.check(f"decision p99 <= {DECISION_P99_MS} ms (1,000 waiting, 200 agents; median "
                 f"of {ROUNDS} rounds)",
                 p99 <= DECISION_P99_MS, f"p99 {p99:.2f} ms, p50 {p50:.2f} ms")

    print(f"\nsimulated day: {people} customers (target), 8 languages, 5 time zones", flush=True)
    roster, crowd = day.agents(), day.customers(people, args.seed)
    started = time.perf_counter()
    base = day.baseline(roster, crowd).figures()
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    ours, _ = asyncio.run(day.engine(roster, crowd, lambda line: print(line, flush=True)))
    ours_s = time.perf_counter() - started
    cbcs = ours.figures()
    keys = ["service_level", "mean_wait_s", "mean_wait_all_s", "p90_wait_s", "abandon_rate",
            "overflow_rate", "language_mismatch", "translated"]
    report.table(f"one day, {len(crowd)} customers, {len(roster)} agents (service level: "
                 f"answered within {day.SERVICE_LEVEL_S:.0f} s)", ["", "cbcs", "baseline"],
                 [[k, cbcs[k], base[k]] for k in keys]
                 + [["run time (s)", f"{ours_s:.1f}", f"{base_s:.1f}"]])
    report.figures["day"] = {"cbcs": cbcs, "baseline": base}
    report.check("no customer given a non-speaker while a speaker was free",
                 cbcs["language_mismatch"] == 0, f"{cbcs['language_mismatch']} customers")
    sys.stdout.flush()


def _roster(rng: random.Random) -> list[Agent]:
    out = []
    for i in range(200):
        langs = {LANGS[i % 8]: 5, "en": rng.randint(2, 5)}
        if rng.random() < 0.3:
            langs[rng.choice(LANGS)] = rng.randint(2, 4)
        start = rng.choice([0, 6, 12, 18])
        out.append(Agent(
            f"agent{i:03d}", languages=langs,
            skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))},
            markets=tuple(rng.sample(MARKETS, rng.randint(1, 3))),
            time_zone=ZONES[i % 5],
            shift=WeeklyShift.parse({"daily": f"{start:02d}:00-{(start + 10) % 24:02d}:00"}),
            capacity={"chat": rng.randint(1, 4)}))
    return out


QUEUES = [
    Queue("returns", target="agent.skills.returns >= 1", steps=[
        Step("agent.languages[task.language] >= 4 and task.market in agent.markets", 30),
        Step("agent.languages[task.language] >= 3", 60), Step("", None, translate=True)],
        max_wait_s=86400, wrap_up_s=0),
    Queue("payments", target="agent.skills.payments >= 2", priority=2, steps=[
        Step("agent.languages[task.language] >= 3", 60), Step("", None, translate=True)],
        max_wait_s=86400, wrap_up_s=0),
    Queue("general", steps=[Step("agent.languages[task.language] >= 2", None)],
          max_wait_s=86400, wrap_up_s=0),
]


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _decisions(events: int, rng: random.Random) -> dict[str, list[float]]:
    clock = _Clock(day.DAY_START + 9 * 3600)
    timing: dict[str, list[float]] = {"agent frees up": [], "task arrives": []}
    with tempfile.TemporaryDirectory(prefix="cbcs-bench-") as tmp:
        store = await open_store(f"sqlite:///{Path(tmp) / 'cbcs.db'}")
        disp = Dispatcher(store, MemoryBus(clock=clock), node="bench", clock=clock,
                          presence_ttl_s=10 ** 9)
        await disp.start(background=False)
        for queue in QUEUES:
            await disp.put_queue(queue)
        for agent in _roster(rng):
            await disp.put_agent(agent)
            await disp.connect(agent.id)
            await disp.set_presence(agent.id, Presence.AVAILABLE)
        count = 0

        async def arrive() -> None:
            nonlocal count
            count += 1
            await disp.submit(Task(f"task{count:06d}", rng.choice(QUEUES).name,
                                   language=rng.choice(LANGS), market=rng.choice(MARKETS),
                                   tier="gold" if rng.random() < 0.1 else "standard",
                                   customer_id=f"c{count}",
                                   # waiting for up to 3 minutes: tasks on every step
                                   created_at=clock.now - rng.uniform(0, 180)))

        async def accept_all() -> int:
            made = await disp.route()
            for res in made:
                await disp.accept(res.id, res.agent_id)
            return len(made)

        # fill every on-duty agent, then keep 1,000 tasks waiting
        while True:
            for _ in range(50):
                await arrive()
            clock.now += 0.01
            await accept_all()
            if len(disp.router.tasks) >= 1000:
                break
        assigned = [t for t in await store.list_tasks([TaskStatus.ASSIGNED])]
        for _ in range(events):
            clock.now += 0.05
            if not assigned:
                break
            task = assigned.pop(rng.randrange(len(assigned)))
            await disp.complete(task.id, task.agent_id or "")
            started = time.perf_counter()
            made = await disp.route()
            timing["agent frees up"].append((time.perf_counter() - started) * 1000)
            for res in made:
                assigned.append(await disp.accept(res.id, res.agent_id))
            await arrive()
            started = time.perf_counter()
            made = await disp.route()
            timing["task arrives"].append((time.perf_counter() - started) * 1000)
            for res in made:
                assigned.append(await disp.accept(res.id, res.agent_id))
        waiting = len(disp.router.tasks)
        await store.close()
    print(f"  {waiting} tasks waiting at the end; 200 agents", flush=True)
    return timing
