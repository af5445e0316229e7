"""The routing engine: which waiting task goes to which free agent, now. Pure and in memory;
the dispatcher keeps it in step with the store, which has the last word on every offer."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cbcs.contact.agent import CHANNELS, Agent, AgentLive, Presence
from cbcs.contact.customer import tier_rank
from cbcs.contact.task import Task
from cbcs.routing.workflow import Workflow

_PER_TASK = frozenset({"id", "wait_s", "customer", "sentiment"})

#: ``covers(source, target)``: whether machine translation covers the language pair
Covers = Callable[[str, str], bool]

# how an agent reaches a customer, best first (the second field of an offer's rank)
SPEAKS, TRANSLATED, UNTRANSLATED = 0, 1, 2


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
        self.rooms = self._rooms()

    def _rooms(self) -> frozenset[str]:
        return frozenset(c for c in CHANNELS if self.agent.has_room(self.load, c))

    def take(self, channel: str) -> None:
        """One more task held on ``channel`` (the engine's optimistic view)."""
        self.load[channel] = self.load.get(channel, 0) + 1
        self.rooms = self._rooms()

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
        return (self.presence is Presence.AVAILABLE and self.online and bool(self.rooms)
                and self.on_duty(now))

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
    agent goes first, then speakers of the customer's language, then agents whom machine
    translation covers (``covers`` both ways between the customer's language and one of
    theirs), then the least loaded, then the longest idle.

    An agent who neither speaks the customer's language nor is covered by translation
    (an untranslated pair) is admitted only by a step with ``translate`` and only gets the
    task when no speaker and no covered agent it admits is free at that moment: a person
    who can read the order, the ticket and the AI's handoff summary (written in their own
    language) and transfer the conversation serves a dispute better than a wait until the
    queue overflows. ``uncovered_fallback=False`` admits such agents never; ``covers``
    None (the default) counts no pair as covered.

    Like tasks (same queue, step and the attributes its targets read) form a group; which
    agents a group's step admits is worked out once and kept until a profile or a queue
    changes, so a pass costs about one set intersection per group, not one test per task
    and agent."""

    def __init__(self, covers: Covers | None = None, *, uncovered_fallback: bool = True) -> None:
        self._covers = covers
        self.uncovered_fallback = uncovered_fallback
        self._reaches: dict[tuple[str, str], int] = {}   # (language, agent) -> SPEAKS...
        self.workflows: dict[str, Workflow] = {}
        self.agents: dict[str, AgentState] = {}
        self.tasks: dict[str, Task] = {}
        self._order: list[tuple[int, int, float, str]] = []       # every waiting task
        self._keys: dict[str, tuple[int, int, float, str]] = {}
        self._attrs: dict[str, dict[str, object]] = {}
        # where each task sits: (group, step index, when the step ends); None: no group
        self._place: dict[str, tuple[tuple[object, ...], int, float] | None] = {}
        self._buckets: dict[tuple[object, ...], list[tuple[int, int, float, str]]] = {}
        self._due: list[tuple[float, str]] = []          # step ends, soonest first
        self._overdue: set[str] = set()                  # past their queue's max wait
        self._members: dict[tuple[object, ...], frozenset[str]] = {}
        self._now = 0.0

    # --- keeping in step -------------------------------------------------------------
    @property
    def covers(self) -> Covers | None:
        """Which language pairs machine translation covers (None: none)."""
        return self._covers

    @covers.setter
    def covers(self, covers: Covers | None) -> None:
        self._covers = covers
        self._reaches.clear()
        self._members.clear()

    def reach(self, language: str, state: AgentState) -> int:
        """How ``state``'s agent would talk with a customer of ``language``:
        :data:`SPEAKS`, :data:`TRANSLATED` (both ways, from one of their languages) or
        :data:`UNTRANSLATED`."""
        key = (language, state.agent.id)
        found = self._reaches.get(key)
        if found is None:
            covers = self._covers
            if language in state.agent.languages:
                found = SPEAKS
            elif covers is not None and any(covers(language, own) and covers(own, language)
                                            for own in state.agent.languages):
                found = TRANSLATED
            else:
                found = UNTRANSLATED
            self._reaches[key] = found
        return found

    def set_workflow(self, workflow: Workflow) -> None:
        self.workflows[workflow.queue.name] = workflow
        self._members.clear()
        for task in list(self.tasks.values()):   # the queue's priority and steps may differ
            self.add_task(task)

    def upsert_agent(self, state: AgentState) -> None:
        old = self.agents.get(state.agent.id)
        if old is None or old.agent != state.agent:
            self._members.clear()
            self._reaches.clear()
        self.agents[state.agent.id] = state

    def remove_agent(self, agent_id: str) -> None:
        if self.agents.pop(agent_id, None) is not None:
            self._members.clear()
            self._reaches.clear()

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
        self._put(task, max(self._now, task.created_at))

    def remove_task(self, task_id: str) -> None:
        key = self._keys.pop(task_id, None)
        if key is None:
            return
        _remove_sorted(self._order, key)
        self._take(task_id, key)
        del self.tasks[task_id]
        del self._attrs[task_id]

    def waiting(self) -> list[Task]:
        """Waiting tasks, first to be served first."""
        return [self.tasks[key[3]] for key in self._order]

    def _put(self, task: Task, now: float) -> None:
        workflow = self.workflows.get(task.queue)
        self._place[task.id] = None
        if workflow is None:
            return   # no such queue (yet): it waits unrouted
        index = workflow.step_at(now - task.created_at)
        if index is None:
            self._overdue.add(task.id)
            return
        if workflow.task_fields & _PER_TASK:
            group: tuple[object, ...] = (task.id,)   # the target reads per-task fields
        else:
            attrs = self._attrs[task.id]
            group = (task.queue, index, task.language, task.channel,
                     *(repr(attrs.get(f)) for f in sorted(workflow.task_fields)))
        ends = task.created_at + workflow.steps[index].ends_at_s
        bisect.insort(self._buckets.setdefault(group, []), self._keys[task.id])
        self._place[task.id] = (group, index, ends)
        heapq.heappush(self._due, (ends, task.id))

    def _take(self, task_id: str, key: tuple[int, int, float, str]) -> None:
        place = self._place.pop(task_id, None)
        self._overdue.discard(task_id)
        if place is not None:
            bucket = self._buckets[place[0]]
            _remove_sorted(bucket, key)
            if not bucket:
                del self._buckets[place[0]]
                if len(place[0]) == 1:
                    self._members.pop(place[0], None)

    def _advance(self, now: float) -> None:
        """Move tasks whose step has ended to their next step (or to overdue)."""
        self._now = max(self._now, now)
        while self._due and self._due[0][0] <= now:
            ends, task_id = heapq.heappop(self._due)
            place = self._place.get(task_id)
            if place is None or place[2] != ends:
                continue   # stale: the task left or moved already
            self._take(task_id, self._keys[task_id])
            self._put(self.tasks[task_id], now)

    # --- deciding -------------------------------------------------------------------
    def _check(self, task: Task, workflow: Workflow, index: int, state: AgentState,
               now: float) -> bool:
        step = workflow.steps[index]
        attrs = self._attrs[task.id]
        if workflow.task_fields & _PER_TASK:
            attrs = dict(attrs, wait_s=now - task.created_at)
        return self._may_reach(task.language, state, step.translate) \
            and step.target.matches(state.attrs, attrs)

    def _may_reach(self, language: str, state: AgentState, translate: bool) -> bool:
        """Speakers always; others on a ``translate`` step (uncovered ones only with
        ``uncovered_fallback``)."""
        if language in state.agent.languages:
            return True
        if not translate:
            return False
        return self.uncovered_fallback or self.reach(language, state) != UNTRANSLATED

    def _admitted(self, group: tuple[object, ...], task: Task, index: int,
                  now: float) -> frozenset[str]:
        members = self._members.get(group) if len(group) > 1 else None
        if members is None:
            workflow = self.workflows[task.queue]
            members = frozenset(a for a, st in self.agents.items()
                                if self._check(task, workflow, index, st, now))
            if len(group) > 1:
                self._members[group] = members
        return members

    def eligible(self, task: Task, state: AgentState, now: float) -> bool:
        """Whether the queue's workflow lets ``state``'s agent take ``task`` now (ignoring
        presence, load and past rejections)."""
        workflow = self.workflows.get(task.queue)
        index = workflow.step_at(now - task.created_at) if workflow else None
        return index is not None and self._check(task, workflow, index, state, now)  # type: ignore[arg-type]

    def match(self, now: float) -> list[Offer]:
        """Offers for as many waiting tasks as free agents allow, in the tasks' order. The
        chosen agents' load and the offered tasks are taken out here at once (optimistic:
        the dispatcher puts back what the store refuses)."""
        self._advance(now)
        # who has room for one more task, per channel (a full chat can still take a call)
        free: dict[str, set[str]] = {c: set() for c in CHANNELS}
        available = Presence.AVAILABLE
        for agent_id, state in self.agents.items():   # routable(), inlined: the hot loop
            if state.presence is available and state.online and state.rooms \
                    and state.on_duty(now):
                for channel in state.rooms:
                    free[channel].add(agent_id)
        offers: list[Offer] = []
        if not any(free.values()) or not self._buckets:
            return offers
        heads: list[tuple[tuple[int, int, float, str], tuple[object, ...], int]] = []
        members = self._members
        for group, keys in self._buckets.items():
            admitted = members.get(group) if len(group) > 1 else None
            task = self.tasks[keys[0][3]]
            if admitted is None:
                place = self._place[task.id]
                assert place is not None
                admitted = self._admitted(group, task, place[1], now)
            if not admitted.isdisjoint(free[task.channel]):
                heads.append((keys[0], group, 0))
        heapq.heapify(heads)
        taken: list[str] = []
        while heads:
            key, group, pos = heapq.heappop(heads)
            task = self.tasks[key[3]]
            place = self._place[task.id]
            assert place is not None
            candidates = self._admitted(group, task, place[1], now) & free[task.channel]
            if not candidates:
                continue   # everyone this group admits is full now: skip the rest of it
            best: AgentState | None = None
            best_rank: tuple[object, ...] = ()
            for agent_id in candidates:
                if agent_id in task.rejected_by:
                    continue
                state = self.agents[agent_id]
                rank = (agent_id != task.preferred_agent,
                        self.reach(task.language, state),
                        state.busy, state.idle_since, agent_id)
                if best is None or rank < best_rank:
                    best, best_rank = state, rank
            if best is not None:
                offers.append(Offer(task, best.agent.id, place[1],
                                    task.language not in best.agent.languages))
                taken.append(task.id)
                best.take(task.channel)
                for channel in CHANNELS:
                    if channel not in best.rooms:
                        free[channel].discard(best.agent.id)
            keys = self._buckets[group]
            if pos + 1 < len(keys):
                heapq.heappush(heads, (keys[pos + 1], group, pos + 1))
        for task_id in taken:
            self.remove_task(task_id)
        return offers

    def overflowing(self, now: float) -> list[Task]:
        """Waiting tasks past their queue's max wait, first come first."""
        self._advance(now)
        return sorted((self.tasks[t] for t in self._overdue), key=lambda t: self._keys[t.id])

    def next_change(self, now: float) -> float | None:
        """The next instant a waiting task changes step or overflows (a timer for the loop)."""
        while self._due:
            ends, task_id = self._due[0]
            place = self._place.get(task_id)
            if place is not None and place[2] == ends:
                return ends
            heapq.heappop(self._due)
        return None

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
            if not (self._may_reach(task.language, state, step.translate)
                    and step.target.matches(state.attrs, attrs)):
                continue
            start = state.agent.shift.next_start(state.agent.time_zone, now)
            if start is not None and (best is None or start < best):
                best = start
        return best


def _remove_sorted(items: list[tuple[int, int, float, str]],
                   key: tuple[int, int, float, str]) -> None:
    i = bisect.bisect_left(items, key)
    if i < len(items) and items[i] == key:
        del items[i]
