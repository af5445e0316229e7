"""Two routing nodes in two processes on one real PostgreSQL and one real Redis: no task
is taken twice or lost, no agent goes over capacity, and a node killed with SIGKILL while
holding offers hands them on within the offer timeout."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from cbcs.bus import open_bus
from cbcs.contact import Agent, Queue, Task
from cbcs.services.dispatch import Dispatcher
from cbcs.store import open_store

WORKER = Path(__file__).with_name("node_worker.py")
LANGS = ["en", "es", "pt", "th", "fil", "id", "vi", "zh"]


def start_node(store: str, bus: str, node: str, agents: list[str], **options: Any
               ) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(WORKER), "--store", store, "--bus", bus, "--node", node,
           "--agents", ",".join(agents)]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", f"node {node} did not start: {line!r}"
    return proc


def stop_node(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def setup(store_url: str, bus_url: str, agents: list[Agent], queue: Queue) -> None:
    store = await open_store(store_url)
    bus = await open_bus(bus_url)
    disp = Dispatcher(store, bus, node="setup")
    await disp.start(background=False)
    await disp.put_queue(queue)
    for agent in agents:
        await disp.put_agent(agent)
    await bus.close()
    await store.close()


async def submit(store_url: str, bus_url: str, tasks: list[Task]) -> None:
    store = await open_store(store_url)
    bus = await open_bus(bus_url)
    disp = Dispatcher(store, bus, node="customers")
    await disp.start(background=False)
    for task in tasks:
        await disp.submit(task)
    await bus.close()
    await store.close()


async def wait_until(store_url: str, done: Any, timeout: float) -> Any:
    store = await open_store(store_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            tasks = await store.list_tasks()
            if done(tasks) or time.monotonic() > deadline:
                return tasks
            await asyncio.sleep(0.25)
    finally:
        await store.close()


async def records(store_url: str) -> tuple[list[Any], list[Any], dict[str, Any]]:
    store = await open_store(store_url)
    try:
        return (await store.list_tasks(), await store.list_reservations(),
                {a.id: (a, live) for a, live in await store.list_agents()})
    finally:
        await store.close()


def most_held(reservations: list[Any], tasks: dict[str, Any]) -> dict[str, int]:
    """Per agent, the most offers and tasks held at one instant, from the stored times: an
    offer holds a slot from its creation until it is decided, an accepted one until its
    task ends (wrap-up is 0 here)."""
    marks: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for res in reservations:
        if res.status.value == "accepted":
            end = tasks[res.task_id].ended_at
            end = float("inf") if end is None else end
        else:
            end = res.decided_at if res.decided_at is not None else float("inf")
        marks[res.agent_id] += [(res.created_at, 1), (end, -1)]
    peak: dict[str, int] = {}
    for agent, points in marks.items():
        level = best = 0
        for _, step in sorted(points):   # at one instant, an end (-1) sorts before a start
            level += step
            best = max(best, level)
        peak[agent] = best
    return peak


def test_two_nodes_never_double_assign_lose_or_overfill(postgres_url: str, redis_url: str
                                                       ) -> None:
    agents = [Agent(f"ag{i:03d}", languages={"en": 3, LANGS[i % 8]: 5},
                    capacity={"chat": 1 + i % 3}) for i in range(100)]
    queue = Queue("support", offer_timeout_s=5, wrap_up_s=0, max_wait_s=3600)
    asyncio.run(setup(postgres_url, redis_url, agents, queue))
    ids = [a.id for a in agents]
    nodes = [start_node(postgres_url, redis_url, f"node-{n}", ids[n::2], seed=n + 1,
                        accept=0.7) for n in range(2)]
    try:
        t0 = time.time()
        tasks = [Task(f"task{i:03d}", "support", language=LANGS[i % 8], created_at=t0 + i * 1e-3)
                 for i in range(500)]
        asyncio.run(submit(postgres_url, redis_url, tasks))
        final = asyncio.run(wait_until(
            postgres_url, lambda ts: sum(t.status.value == "completed" for t in ts) == 500, 240))
    finally:
        for proc in nodes:
            stop_node(proc)
    tasks_done, reservations, live = asyncio.run(records(postgres_url))
    by_status: dict[str, int] = defaultdict(int)
    for task in final:
        by_status[task.status.value] += 1
    assert dict(by_status) == {"completed": 500}, "lost tasks"
    accepted: dict[str, int] = defaultdict(int)
    for res in reservations:
        accepted[res.task_id] += res.status.value == "accepted"
    assert set(accepted.values()) == {1}, "a task was assigned twice or never"
    assert {r.node for r in reservations} == {"node-0", "node-1"}, "both nodes made offers"
    assert any(r.status.value == "rejected" for r in reservations)
    peaks = most_held(reservations, {t.id: t for t in tasks_done})
    caps = {a.id: a.capacity["chat"] for a in agents}
    over = {a: (peaks[a], caps[a]) for a in peaks if peaks[a] > caps[a]}
    assert over == {}, f"agents over capacity (held, capacity): {over}"
    assert all(sum(l.load.values()) == 0 for _, l in live.values())


def test_a_killed_node_hands_its_offers_on(postgres_url: str, redis_url: str) -> None:
    timeout = 4.0
    silent = [Agent(f"dead{i}", languages={"en": 5}, capacity={"chat": 3}) for i in range(4)]
    alive = [Agent(f"live{i}", languages={"en": 5}, capacity={"chat": 2}) for i in range(4)]
    queue = Queue("support", offer_timeout_s=timeout, wrap_up_s=0, max_wait_s=3600)
    asyncio.run(setup(postgres_url, redis_url, silent + alive, queue))
    # the silent agents become available first: idle longest, they get the first offers
    doomed = start_node(postgres_url, redis_url, "doomed", [a.id for a in silent],
                        mode="silent", ttl=2.0)
    time.sleep(0.5)
    survivor = start_node(postgres_url, redis_url, "survivor", [a.id for a in alive],
                          accept=1.0, handle_min=0.2, handle_max=0.5, ttl=2.0)
    try:
        t0 = time.time()
        asyncio.run(submit(postgres_url, redis_url, [
            Task(f"t{i:02d}", "support", created_at=t0 + i * 1e-3) for i in range(30)]))

        def held_by_doomed(ts: list[Any]) -> bool:
            return sum(t.status.value == "reserved" and t.agent_id.startswith("dead")
                       for t in ts if t.agent_id) >= 4
        asyncio.run(wait_until(postgres_url, held_by_doomed, 30))
        _, before, _ = asyncio.run(records(postgres_url))
        held = {r.id for r in before if r.status.value == "pending"
                and r.agent_id.startswith("dead")}
        assert len(held) >= 4
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        killed_at = time.time()
        final = asyncio.run(wait_until(
            postgres_url, lambda ts: all(t.status.value == "completed" for t in ts), 120))
    finally:
        stop_node(survivor)
        if doomed.poll() is None:
            doomed.kill()
    _, after, _ = asyncio.run(records(postgres_url))
    assert [t.status.value for t in final] == ["completed"] * 30, "nothing is lost"
    ended = {r.id: r for r in after if r.id in held}
    assert all(r.status.value in ("canceled", "timed_out") for r in ended.values())
    assert max(r.decided_at for r in ended.values()) <= killed_at + timeout + 1.0
    assert all(t.agent_id.startswith("live") for t in final), "taken by the surviving agents"
