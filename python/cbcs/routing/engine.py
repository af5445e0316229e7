"""The routing engine: which waiting task goes to which free agent, now. Pure and in memory;
the dispatcher keeps it in step with the store, which has the last word on every offer."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from cbcs.contact.agent import CHANNELS, Agent, AgentLive, Presence
from cbcs.contact.customer import tier_rank
from cbcs.contact.task import Task
from cbcs.routing.workflow import Workflow

_PER_TASK = frozenset({"id", "wait_s", "customer", "sentiment"})


@dataclass
class AgentState:
    """An agent as routing sees them: profile, presence, what they hold, since when idle."""

    agent: Agent
    presence: Presence = Presence.OFFLINE
    online: bool = True          # the bus sees their heartbeat (their node is alive)
    load: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CHANNELS})
    idle_since: float = 0.0      # when they last had nothing to do: longest idle goes first
    missed: int = 0              # offers that timed out in a row
    attrs: dict[str, object] = field(default_factory=dict)
    _duty: tuple[int, bool] = (-1, False)

    def __post_init__(self) -> None:
        self.attrs = self.agent.attributes()
        self.presence = Presence(self.presence)

    @classmethod
    def of(cls, agent: Agent, live: AgentLive, online: bool = True) -> AgentState:
        return cls(agent, live.presence, online, dict(live.load), live.idle_since, live.missed)

    def on_duty(self, now: float) -> bool:
        minute = int(now // 60)   # shifts are in minutes: one zoneinfo look-up a minute
        if self._duty[0] != minute:
            self._duty = (minute, self.agent.shift.on_duty(self.agent.time_zone, minute * 60))
        return self._duty[1]

    def routable(self, now: float) -> bool:
        """Available, connected, inside their shift, and room for something."""
        return (self.presence is Presence.AVAILABLE and self.online and self.on_duty(now)
                and any(self.agent.has_room(self.load, c) for c in CHANNELS))

    @property
    def busy(self) -> int:
        return sum(self.load.values())


@dataclass(frozen=True)
class Offer:
    """The engine's proposal: reserve ``task_id`` for ``agent_id`` (the store confirms)."""

    task: Task
    agent_id: str
    step: int
    translate: bool   # the agent lacks the customer's language: live translation

    @property
    def task_id(self) -> str:
        return self.task.id


class Router:
    """Waiting tasks in order (queue and task priority, then customer tier, then FIFO) and
    agents; :meth:`match` pairs them. Among eligible free agents the task's preferred (last)
    agent goes first, then speakers of the customer's language, then the least loaded,
    then the longest idle."""

    def __init__(self) -> None:
        self.workflows: dict[str, Workflow] = {}
        self.agents: dict[str, AgentState] = {}
        self.tasks: dict[str, Task] = {}
        self._order: list[tuple[int, int, float, str]] = []
        self._keys: dict[str, tuple[int, int, float, str]] = {}
        self._attrs: dict[str, dict[str, object]] = {}
        self._groups: dict[str, tuple[float, int, tuple[object, ...]]] = {}
        self._eligible: dict[tuple[tuple[object, ...], str], bool] = {}

    # --- keeping in step -------------------------------------------------------------
    def set_workflow(self, workflow: Workflow) -> None:
        self.workflows[workflow.queue.name] = workflow
        self._eligible.clear()
        self._groups.clear()
        for task in list(self.tasks.values()):   # the queue's priority may have changed
            self.add_task(task)

    def upsert_agent(self, state: AgentState) -> None:
        old = self.agents.get(state.agent.id)
        if old is None or old.agent != state.agent:
            self._eligible = {k: v for k, v in self._eligible.items() if k[1] != state.agent.id}
        self.agents[state.agent.id] = state

    def remove_agent(self, agent_id: str) -> None:
        self.agents.pop(agent_id, None)

    def add_task(self, task: Task) -> None:
        """Add or replace a waiting task."""
        self.remove_task(task.id)
        workflow = self.workflows.get(task.queue)
        queue_priority = workflow.queue.priority if workflow else 0
        key = (-(queue_priority + task.priority), -tier_rank(task.tier), task.created_at, task.id)
        bisect.insort(self._order, key)
        self._keys[task.id] = key
        self.tasks[task.id] = task
        attrs = task.attributes(task.created_at)
        attrs.pop("wait_s")
        self._attrs[task.id] = attrs

    def remove_task(self, task_id: str) -> None:
        key = self._keys.pop(task_id, None)
        if key is not None:
            i = bisect.bisect_left(self._order, key)
            if i < len(self._order) and self._order[i] == key:
                del self._order[i]
        self.tasks.pop(task_id, None)
        self._attrs.pop(task_id, None)
        self._groups.pop(task_id, None)

    def waiting(self) -> list[Task]:
        """Waiting tasks, first to be served first."""
        return [self.tasks[key[3]] for key in self._order]

    # --- deciding -------------------------------------------------------------------
    def _group(self, task: Task, workflow: Workflow, now: float
               ) -> tuple[int, tuple[object, ...]] | None:
        wait = now - task.created_at
        cached = self._groups.get(task.id)
        if cached is not None and wait < cached[0]:   # time only moves on
            return cached[1], cached[2]
        index = workflow.step_at(wait)
        if index is None:
            return None
        attrs = self._attrs[task.id]
        if workflow.task_fields & _PER_TASK:
            group: tuple[object, ...] = (task.id,)   # the target reads per-task fields
        else:
            group = (task.queue, index, task.language, task.channel,
                     *(repr(attrs.get(f)) for f in sorted(workflow.task_fields)))
        self._groups[task.id] = (workflow.steps[index].ends_at_s, index, group)
        return index, group

    def eligible(self, task: Task, state: AgentState, now: float) -> bool:
        """Whether the queue's workflow lets ``state``'s agent take ``task`` now (ignoring
        presence, load and past rejections)."""
        workflow = self.workflows.get(task.queue)
        if workflow is None:
            return False
        found = self._group(task, workflow, now)
        return found is not None and self._check(task, workflow, found[0], found[1], state, now)

    def _check(self, task: Task, workflow: Workflow, index: int, group: tuple[object, ...],
               state: AgentState, now: float) -> bool:
        key = (group, state.agent.id)
        ok = self._eligible.get(key) if len(group) > 1 else None
        if ok is None:
            step = workflow.steps[index]
            attrs = self._attrs[task.id]
            if workflow.task_fields & _PER_TASK:
                attrs = dict(attrs, wait_s=now - task.created_at)
            speaks = task.language in state.agent.languages
            ok = (speaks or step.translate) and step.target.matches(state.attrs, attrs)
            if len(group) > 1:
                self._eligible[key] = ok
        return ok

    def match(self, now: float) -> list[Offer]:
        """Offers for as many waiting tasks as free agents allow, in the tasks' order. The
        chosen agents' load and the offered tasks are taken out here at once (optimistic:
        the dispatcher puts back what the store refuses)."""
        free = [s for s in self.agents.values() if s.routable(now)]
        offers: list[Offer] = []
        if not free or not self._order:
            return offers
        exhausted: set[tuple[object, ...]] = set()
        for key in list(self._order):
            task = self.tasks[key[3]]
            workflow = self.workflows.get(task.queue)
            if workflow is None:
                continue
            found = self._group(task, workflow, now)
            if found is None:
                continue   # past the max wait: the dispatcher overflows it
            index, group = found
            if group in exhausted:
                continue
            best: AgentState | None = None
            best_rank: tuple[object, ...] = ()
            anyone = False
            for state in free:
                if not state.agent.has_room(state.load, task.channel):
                    continue
                if not self._check(task, workflow, index, group, state, now):
                    continue
                anyone = True
                agent_id = state.agent.id
                if agent_id in task.rejected_by:
                    continue
                rank = (agent_id != task.preferred_agent,
                        task.language not in state.agent.languages,
                        state.busy, state.idle_since, agent_id)
                if best is None or rank < best_rank:
                    best, best_rank = state, rank
            if not anyone:
                exhausted.add(group)
                continue
            if best is None:
                continue
            offers.append(Offer(task, best.agent.id, index,
                                task.language not in best.agent.languages))
            best.load[task.channel] = best.load.get(task.channel, 0) + 1
            self.remove_task(task.id)
            if not any(best.agent.has_room(best.load, c) for c in CHANNELS):
                free.remove(best)
                if not free:
                    break
        return offers

    def overflowing(self, now: float) -> list[Task]:
        """Waiting tasks past their queue's max wait."""
        out = []
        for key in self._order:
            task = self.tasks[key[3]]
            workflow = self.workflows.get(task.queue)
            if workflow is not None and now - task.created_at >= workflow.queue.max_wait_s:
                out.append(task)
        return out

    def next_change(self, now: float) -> float | None:
        """The next instant a waiting task changes step or overflows (a timer for the loop)."""
        best: float | None = None
        for task in self.tasks.values():
            workflow = self.workflows.get(task.queue)
            if workflow is None:
                continue
            index = workflow.step_at(now - task.created_at)
            ends = workflow.steps[index].ends_at_s if index is not None else 0.0
            at = task.created_at + ends
            if best is None or at < best:
                best = at
        return best

    def human_back_at(self, task: Task, now: float,
                      agents: Iterable[AgentState] | None = None) -> float | None:
        """When the next shift starts of an agent who could take ``task`` (under its
        queue's widest step), after ``now``; None if no such agent has shift hours."""
        workflow = self.workflows.get(task.queue)
        if workflow is None:
            return None
        step = workflow.steps[-1]
        attrs = dict(self._attrs.get(task.id) or task.attributes(now), wait_s=0.0)
        best: float | None = None
        for state in agents if agents is not None else self.agents.values():
            if not ((task.language in state.agent.languages or step.translate)
                    and step.target.matches(state.attrs, attrs)):
                continue
            start = state.agent.shift.next_start(state.agent.time_zone, now)
            if start is not None and (best is None or start < best):
                best = start
        return best
