"""A queue and its workflow: a base target, steps that relax it as the wait grows, a max wait."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cbcs.contact.errors import check, check_id


@dataclass(frozen=True)
class Step:
    """One workflow step: offer to agents matching ``target`` for ``timeout_s`` seconds of
    waiting (None: until the queue's max wait). ``translate``: agents who lack the
    customer's language may take it, with live translation."""

    target: str = ""
    timeout_s: float | None = None
    translate: bool = False

    def __post_init__(self) -> None:
        check(isinstance(self.target, str) and len(self.target) <= 2000,
              f"step.target: expected an expression of at most 2000 characters")
        check(self.timeout_s is None or (isinstance(self.timeout_s, (int, float))
                                         and 0 < self.timeout_s <= 86400),
              f"step.timeout_s: expected seconds between 0 and 86400, got {self.timeout_s!r}")


@dataclass(frozen=True)
class Queue:
    """Routing rules as data. Targets are expressions (see :mod:`cbcs.routing.expression`),
    compiled and checked by the router before a queue is stored."""

    name: str
    target: str = ""
    priority: int = 0
    steps: Sequence[Step] = field(default_factory=tuple)
    max_wait_s: float = 300.0
    service_level_s: float = 60.0   # "answered within X s" of the SLA statistics
    wrap_up_s: float = 30.0
    offer_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        check_id("queue.name", self.name, 64)
        object.__setattr__(self, "steps", tuple(
            s if isinstance(s, Step) else Step(**s) for s in self.steps))
        for name, value, low, high in (("max_wait_s", self.max_wait_s, 1, 7 * 86400),
                                       ("service_level_s", self.service_level_s, 1, 86400),
                                       ("wrap_up_s", self.wrap_up_s, 0, 3600),
                                       ("offer_timeout_s", self.offer_timeout_s, 1, 600)):
            check(isinstance(value, (int, float)) and not isinstance(value, bool)
                  and low <= value <= high,
                  f"{name}: expected seconds from {low} to {high}, got {value!r}")
        check(isinstance(self.priority, int) and -100 <= self.priority <= 100,
              f"priority: expected a whole number from -100 to 100, got {self.priority!r}")
