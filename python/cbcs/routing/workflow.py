"""A queue compiled for routing: its base target and the steps that relax it as a task waits."""

from __future__ import annotations

from dataclasses import dataclass

from cbcs.contact.queue import Queue
from cbcs.routing.expression import ExpressionError, Target, compile_target


@dataclass(frozen=True)
class CompiledStep:
    target: Target       # the queue's target and the step's, both
    ends_at_s: float     # wait at which the next step starts (or the queue overflows)
    translate: bool


def _compile(field: str, source: str) -> Target:
    try:
        return compile_target(source)
    except ExpressionError as error:
        error.args = (f"{field}: {str(error).removeprefix('target: ')}",)  # which target
        raise


@dataclass(frozen=True)
class Workflow:
    """Which agents may take a task of ``queue`` after waiting ``wait_s`` seconds.

    Steps are tried in order, each for its ``timeout_s``; the last step lasts until the
    queue's ``max_wait_s``, after which the task overflows. A queue without steps has one
    step: its base target, for the whole max wait.
    """

    queue: Queue
    steps: tuple[CompiledStep, ...]
    task_fields: frozenset[str]

    @classmethod
    def compile(cls, queue: Queue) -> Workflow:
        """Compile every target of ``queue``; :class:`ExpressionError` names the bad one."""
        base = _compile(f"queue {queue.name} target", queue.target)
        steps: list[CompiledStep] = []
        elapsed = 0.0
        specs = list(queue.steps) or []
        for i, step in enumerate(specs):
            target = base & _compile(f"queue {queue.name} steps[{i}].target", step.target)
            last = i == len(specs) - 1
            if last or step.timeout_s is None:
                end = queue.max_wait_s
            else:
                end = min(queue.max_wait_s, elapsed + step.timeout_s)
            steps.append(CompiledStep(target, end, step.translate))
            elapsed = end
            if end >= queue.max_wait_s:
                break
        if not steps:
            steps.append(CompiledStep(base, queue.max_wait_s, False))
        fields = frozenset().union(*(s.target.task_fields for s in steps))
        return cls(queue, tuple(steps), fields)

    def step_at(self, wait_s: float) -> int | None:
        """Index of the step in force after ``wait_s`` seconds, None once past the max wait."""
        for i, step in enumerate(self.steps):
            if wait_s < step.ends_at_s:
                return i
        return None
