"""Weekly shifts in an agent's own time zone, with daylight-saving time done by zoneinfo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cbcs.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZONES: dict[str, ZoneInfo] = {}


def check_time_zone(field_name: str, name: object) -> str:
    """An IANA time-zone name (``Asia/Manila``); anything else is a :class:`ConfigError`."""
    zone(field_name, name)
    return name  # type: ignore[return-value]


def zone(field_name: str, name: object) -> ZoneInfo:
    """The :class:`ZoneInfo` of an IANA name, cached; a clear error for an unknown one."""
    if isinstance(name, str) and name in _ZONES:
        return _ZONES[name]
    try:
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name:
            raise ValueError
        info = ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError, OSError):
        hint = ""
        if isinstance(name, str):
            close = sorted(z for z in available_timezones()
                           if z.lower().endswith(name.lower().split("/")[-1]))[:3]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"{field_name}: expected an IANA time zone such as 'Asia/Manila', "
                          f"got {name!r}{hint}") from None
    _ZONES[name] = info
    return info


def _minutes(text: str, where: str) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
        if not (0 <= int(minutes) < 60 and 0 <= value <= 24 * 60):
            raise ValueError
    except ValueError:
        raise ConfigError(f"{where}: expected a time HH:MM between 00:00 and 24:00, "
                          f"got {text!r}") from None
    return value


def _days(key: str, where: str) -> list[int]:
    if key in ("daily", "all"):
        return list(range(7))
    first, _, last = key.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ConfigError(f"{where}: expected a day or a range of days such as 'mon-fri' "
                          f"(days: {', '.join(DAYS)}; or 'daily'), got {key!r}")
    start, end = DAYS.index(first), DAYS.index(last or first)
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]


@dataclass(frozen=True)
class WeeklyShift:
    """When an agent works, in their local time: ``{"mon-fri": "09:00-18:00", "sat":
    ["10:00-13:00", "14:00-16:00"]}``. A range whose end is before its start runs past
    midnight into the next day. An empty shift means always on (an AI agent)."""

    spec: Mapping[str, object] = field(default_factory=dict)
    # minutes since Monday 00:00, local time: [start, end) intervals
    intervals: tuple[tuple[int, int], ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, object] | None) -> WeeklyShift:
        """Validate a shift description; raises :class:`ConfigError` saying what was wrong."""
        if spec is None or spec == {}:
            return cls({}, ())
        if not isinstance(spec, Mapping):
            raise ConfigError(f"shift: expected an object such as "
                              f"{{\"mon-fri\": \"09:00-18:00\"}}, got {spec!r}")
        out: list[tuple[int, int]] = []
        week = 7 * 24 * 60
        for key, value in spec.items():
            where = f"shift.{key}"
            ranges = [value] if isinstance(value, str) else value
            if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
                raise ConfigError(f"{where}: expected 'HH:MM-HH:MM' or a list of them, "
                                  f"got {value!r}")
            for text in ranges:
                start_s, sep, end_s = text.partition("-")
                if not sep:
                    raise ConfigError(f"{where}: expected 'HH:MM-HH:MM', got {text!r}")
                start, end = _minutes(start_s.strip(), where), _minutes(end_s.strip(), where)
                if start == end:
                    raise ConfigError(f"{where}: the range {text!r} is empty")
                length = end - start if end > start else end + 24 * 60 - start
                for day in _days(str(key), where):
                    begin = day * 24 * 60 + start
                    if begin + length <= week:
                        out.append((begin, begin + length))
                    else:  # Sunday night into Monday morning
                        out.append((begin, week))
                        out.append((0, begin + length - week))
        return cls(dict(spec), tuple(sorted(out)))

    @property
    def always(self) -> bool:
        """True when the shift has no hours: on duty all week."""
        return not self.intervals

    def contains(self, local: dt.datetime) -> bool:
        """Whether the local wall-clock time ``local`` is inside the shift."""
        if not self.intervals:
            return True
        minute = local.weekday() * 24 * 60 + local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.intervals)

    def on_duty(self, time_zone: str, now: float) -> bool:
        """Whether the shift covers the instant ``now`` (Unix seconds) in ``time_zone``."""
        if not self.intervals:
            return True
        local = dt.datetime.fromtimestamp(now, zone("time_zone", time_zone))
        return self.contains(local)

    def next_start(self, time_zone: str, after: float) -> float | None:
        """The first instant after ``after`` (Unix seconds) at which a shift period begins,
        or None for an always-on shift."""
        if not self.intervals:
            return None
        info = zone("time_zone", time_zone)
        local = dt.datetime.fromtimestamp(after, info)
        monday = (local - dt.timedelta(days=local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        best: float | None = None
        starts = {start for start, _ in self.intervals} - {end % (7 * 24 * 60)
                                                          for _, end in self.intervals}
        for week in (0, 1):
            for start in starts:
                wall = monday + dt.timedelta(weeks=week, minutes=start)
                instant = wall.replace(tzinfo=info).timestamp()
                if instant > after and (best is None or instant < best):
                    best = instant
        return best
