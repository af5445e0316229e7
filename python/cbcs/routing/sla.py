"""SLA statistics per queue, language and market: waiting, service level, abandon rate,
wait percentiles, agents by state. A pure function of task records and agent states."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cbcs.contact.task import Task, TaskStatus
from cbcs.routing.engine import AgentState

_WAITING = (TaskStatus.PENDING, TaskStatus.RESERVED)
_ANSWERED = (TaskStatus.ASSIGNED, TaskStatus.WRAPPING, TaskStatus.COMPLETED)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) by nearest rank, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class QueueStats:
    """One row of the statistics: a queue, or a queue's language or market."""

    queue: str
    language: str | None = None
    market: str | None = None
    waiting: int = 0
    answered: int = 0
    answered_in_time: int = 0
    abandoned: int = 0       # the customer left before a human answered
    overflowed: int = 0      # back to the AI with a callback ticket
    waits: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        finished = self.answered + self.abandoned + self.overflowed
        return {
            "queue": self.queue, "language": self.language, "market": self.market,
            "waiting": self.waiting, "answered": self.answered, "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "service_level": round(self.answered_in_time / finished, 4) if finished else None,
            "abandon_rate": round(self.abandoned / finished, 4) if finished else None,
            "wait_s": {name: (None if (v := percentile(self.waits, q)) is None else round(v, 3))
                       for name, q in (("p50", .5), ("p90", .9), ("p99", .99))},
        }


def agent_state(state: AgentState, now: float) -> str:
    """available (room for work), busy, away, offline (or off shift)."""
    if state.presence.value != "available" or not state.online:
        return "offline" if not state.online else state.presence.value
    if not state.on_duty(now):
        return "off_shift"
    return "busy" if state.busy and not state.routable(now) else "available"


def queue_stats(tasks: Iterable[Task], agents: Iterable[AgentState], now: float,
                service_level_s: Mapping[str, float], default_level_s: float = 60.0
                ) -> dict[str, object]:
    """Statistics over ``tasks`` (any status, typically those of the last day).

    A task counts as answered in time when a human accepted it within its queue's
    ``service_level_s``; service level and abandon rate are over tasks that stopped waiting.
    """
    rows: dict[tuple[str, str | None, str | None], QueueStats] = {}

    def rows_of(task: Task) -> list[QueueStats]:
        keys = [(task.queue, None, None), (task.queue, task.language, None),
                (task.queue, None, task.market)]
        return [rows.setdefault(k, QueueStats(*k)) for k in keys]

    for task in tasks:
        level = service_level_s.get(task.queue, default_level_s)
        for row in rows_of(task):
            if task.status in _WAITING:
                row.waiting += 1
            elif task.status in _ANSWERED and task.answered_at is not None:
                wait = task.answered_at - task.created_at
                row.answered += 1
                row.answered_in_time += wait <= level
                row.waits.append(wait)
            elif task.status in (TaskStatus.CANCELED, TaskStatus.OVERFLOWED):
                wait = (task.ended_at or now) - task.created_at
                if task.status is TaskStatus.CANCELED:
                    row.abandoned += 1
                else:
                    row.overflowed += 1
                row.waits.append(wait)
    by_state: dict[str, int] = {}
    for state in agents:
        name = agent_state(state, now)
        by_state[name] = by_state.get(name, 0) + 1
    ordered = sorted(rows.values(), key=lambda r: (r.queue, r.language or "", r.market or ""))
    return {"queues": [r.as_dict() for r in ordered], "agents": by_state}
