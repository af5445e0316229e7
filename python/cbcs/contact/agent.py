"""An agent, human or AI: languages, skills, markets, time zone and shift, capacity, presence."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cbcs.contact.errors import check, check_id, check_language, check_market
from cbcs.contact.shift import WeeklyShift, check_time_zone
from cbcs.errors import ConfigError

CHANNELS = ("chat", "voice", "video")
CALLS = ("voice", "video")
DEFAULT_CAPACITY: Mapping[str, int] = {"chat": 3, "voice": 1, "video": 1}


class AgentKind(str, enum.Enum):
    HUMAN = "human"
    AI = "ai"


class Presence(str, enum.Enum):
    """What the agent says about themselves; only ``available`` agents get offers."""

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


def _levels(field_name: str, value: object, low: int, high: int,
            key_check: object = None) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{field_name}: expected an object of name -> level {low}-{high}, "
                          f"got {value!r}")
    out: dict[str, int] = {}
    for key, level in value.items():
        if key_check is not None:
            check_language(f"{field_name} key", key)
        else:
            check_id(f"{field_name} key", key, 64)
        if isinstance(level, bool) or not isinstance(level, int) or not low <= level <= high:
            raise ConfigError(f"{field_name}.{key}: expected a level from {low} to {high}, "
                              f"got {level!r}")
        out[key] = level
    return out


def _capacity(value: Mapping[str, object]) -> dict[str, int]:
    out = dict(DEFAULT_CAPACITY)
    for channel, n in value.items():
        check(channel in CHANNELS, f"capacity: expected channels {', '.join(CHANNELS)}, "
                                   f"got {channel!r}")
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100:
            raise ConfigError(f"capacity.{channel}: expected a whole number from 0 to 100, "
                              f"got {n!r}")
        out[channel] = n
    return out


@dataclass
class AgentLive:
    """What changes from minute to minute: presence, tasks held per channel, idle since,
    offers missed in a row. The store keeps it beside the profile."""

    presence: Presence = Presence.OFFLINE
    load: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CHANNELS})
    idle_since: float = 0.0
    missed: int = 0

    def __post_init__(self) -> None:
        self.presence = Presence(self.presence)


@dataclass(frozen=True)
class Agent:
    """One agent's profile. Construction validates everything (a :class:`ConfigError` says
    which field and what it expected), so a bad profile is never stored."""

    id: str
    name: str = ""
    kind: AgentKind = AgentKind.HUMAN
    languages: Mapping[str, int] = field(default_factory=dict)   # proficiency 1-5
    skills: Mapping[str, int] = field(default_factory=dict)      # level 1-5
    markets: tuple[str, ...] = ()
    time_zone: str = "UTC"
    shift: WeeklyShift = field(default_factory=WeeklyShift)
    capacity: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    calls_block_chat: bool = True   # a call makes the agent busy for chat too

    def __post_init__(self) -> None:
        check_id("agent.id", self.id)
        check(isinstance(self.name, str) and len(self.name) <= 200,
              f"agent.name: expected text of at most 200 characters, got {self.name!r}")
        try:
            object.__setattr__(self, "kind", AgentKind(self.kind))
        except ValueError:
            raise ConfigError(f"agent.kind: expected human or ai, got {self.kind!r}") from None
        object.__setattr__(self, "languages", _levels("languages", self.languages, 1, 5, True))
        object.__setattr__(self, "skills", _levels("skills", self.skills, 1, 5))
        markets = self.markets
        if isinstance(markets, str) or not isinstance(markets, (list, tuple)):
            raise ConfigError(f"markets: expected a list of market codes, got {markets!r}")
        object.__setattr__(self, "markets", tuple(check_market("markets", m) for m in markets))
        check_time_zone("agent.time_zone", self.time_zone)
        if not isinstance(self.shift, WeeklyShift):
            object.__setattr__(self, "shift", WeeklyShift.parse(self.shift))
        if not isinstance(self.capacity, Mapping):
            raise ConfigError(f"capacity: expected an object such as {dict(DEFAULT_CAPACITY)}, "
                              f"got {self.capacity!r}")
        object.__setattr__(self, "capacity", _capacity(self.capacity))
        check(isinstance(self.calls_block_chat, bool),
              f"calls_block_chat: expected true or false, got {self.calls_block_chat!r}")

    def with_changes(self, **changes: object) -> Agent:
        """A copy with some fields changed, validated again."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def attributes(self) -> dict[str, object]:
        """What target expressions see as ``agent.*``."""
        return {"id": self.id, "name": self.name, "kind": self.kind.value,
                "languages": dict(self.languages), "skills": dict(self.skills),
                "markets": list(self.markets), "time_zone": self.time_zone,
                "channels": [c for c in CHANNELS if self.capacity.get(c, 0) > 0]}

    def has_room(self, load: Mapping[str, int], channel: str) -> bool:
        """Whether one more ``channel`` task fits beside ``load`` (tasks held per channel)."""
        if load.get(channel, 0) >= self.capacity.get(channel, 0):
            return False
        on_call = sum(load.get(c, 0) for c in CALLS)
        if channel in CALLS:
            # one call at a time; a call beside chats is allowed (chats wait), not two calls
            return on_call == 0
        return not (self.calls_block_chat and on_call)
