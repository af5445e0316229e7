"""Agent analytics: per agent, language and market, how many conversations were handled, how
fast the first reply came, how long handling took, how many were resolved, how the customer
felt at the end and how many were passed on. A pure function of stored records, time passed in.

Definitions (one agent's *part* of a conversation is a routing task that agent accepted):

- **conversations**: parts that started (were accepted) in the window.
- **first response**: from the assignment (the agent accepting the offer) to the agent's first
  text message in the conversation after it, before the part ended. Parts the agent ended
  without writing count in ``no_reply``, not in the times. The customer's wait before the
  assignment is the queue's (``GET /api/v1/stats/queues``), not the agent's.
- **handling**: from the assignment to the end of the agent's part: the close of the
  conversation, or the moment it was handed on (asked for another person again).
- **resolution**: of the parts that ended with a close, the share whose resolution (the
  ``{resolution}`` of ``POST .../close``, kept in the close event ``Closed: <resolution>``)
  begins with one of :data:`RESOLVED_WORDS` and is not negated (``not resolved``).
- **sentiment at the end**: the conversation's stored sentiment score (-1 negative, 0
  neutral, 1 positive: what the AI tier last computed from a customer message), counted for
  the part that closed a conversation which is still closed (a reopened one has no end yet).
- **transfer**: a part that ended because the conversation went back to a queue (the
  agent, the customer or a supervisor asked for another person) instead of being closed;
  the rate is over the parts that ended.

Times are reported as a median and a 90th percentile (nearest rank), in seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cbcs.contact.conversation import Conversation, ConversationState
from cbcs.contact.message import AuthorRole, Message, MessageKind
from cbcs.contact.task import Task
from cbcs.errors import ConfigError
from cbcs.routing.sla import percentile

#: The prefix of the event a close leaves in the conversation (cbcs.services.conversations).
CLOSED_PREFIX = "Closed: "
#: A resolution counts as resolved when its first word is one of these (any case).
RESOLVED_WORDS = frozenset({"resolved", "solved", "sorted", "fixed", "answered", "refunded",
                            "replaced", "done", "completed"})
_NEGATIONS = frozenset({"not", "un", "no", "never"})
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def is_resolved(resolution: str) -> bool:
    """Whether a close's resolution text means the customer's problem was solved."""
    words = re.findall(r"[a-z]+", resolution.lower())
    if not words:
        return False
    if words[0] in _NEGATIONS:
        return False
    return words[0] in RESOLVED_WORDS


def parse_since(text: str, now: float) -> float:
    """The UNIX time meant by ``7d`` (also ``30m``, ``12h``, ``2w``: that long before
    ``now``), an ISO 8601 date or date-time (UTC when it names no zone), or a UNIX time.
    :class:`ConfigError` says what was expected."""
    raw = text.strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhdw])", raw)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2)]
    if re.fullmatch(r"\d{9,}(\.\d+)?", raw):
        return float(raw)
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"since: expected a span such as 7d, 12h, 30m or 2w, an ISO date "
                          f"such as 2026-12-01T08:00Z, or a UNIX time; got {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


@dataclass(frozen=True)
class Reply:
    """An agent's text message in a conversation (its text is not needed)."""

    conversation_id: str
    agent_id: str
    at: float


@dataclass(frozen=True)
class Close:
    """A conversation's close, with its resolution and who closed it."""

    conversation_id: str
    at: float
    resolution: str
    by: str = ""


def marks(messages: Iterable[Message]) -> tuple[list[Reply], list[Close]]:
    """The agents' replies and the closes among stored ``messages``."""
    replies: list[Reply] = []
    closes: list[Close] = []
    for m in messages:
        if m.author_role is AuthorRole.AGENT and m.kind is MessageKind.TEXT:
            replies.append(Reply(m.conversation_id, m.author_id, m.created_at))
        elif m.kind is MessageKind.EVENT and m.text.startswith(CLOSED_PREFIX):
            closes.append(Close(m.conversation_id, m.created_at,
                                m.text[len(CLOSED_PREFIX):].strip(), m.author_id))
    return replies, closes


@dataclass(frozen=True)
class AgentActivity:
    """What the statistics are computed from: the store's ``agent_activity`` query.

    ``tasks``: every routing task of the conversations in which some agent accepted a task
    since ``since`` (earlier and later ones too, to see hand-overs); ``conversations`` by
    id; ``replies`` and ``closes`` of those conversations (see :func:`marks`)."""

    since: float
    tasks: Sequence[Task]
    conversations: Mapping[str, Conversation]
    replies: Sequence[Reply]
    closes: Sequence[Close]


@dataclass(frozen=True)
class Part:
    """One agent's part of one conversation."""

    agent_id: str
    conversation_id: str
    language: str
    market: str
    assigned_at: float
    ended_at: float | None         # None: still going
    outcome: str                   # closed | transferred | open
    first_reply_at: float | None
    resolution: str | None = None  # of a closed part
    sentiment: float | None = None  # at the end of a closed part, when known

    @property
    def first_response_s(self) -> float | None:
        return None if self.first_reply_at is None else self.first_reply_at - self.assigned_at

    @property
    def handling_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.assigned_at


def parts(activity: AgentActivity) -> list[Part]:
    """Each accepted task since ``activity.since`` as an agent's part, with how it ended."""
    tasks_of: dict[str, list[Task]] = {}
    for task in activity.tasks:
        if task.conversation_id:
            tasks_of.setdefault(task.conversation_id, []).append(task)
    replies: dict[str, list[Reply]] = {}
    closes: dict[str, list[Close]] = {}
    for reply in activity.replies:
        replies.setdefault(reply.conversation_id, []).append(reply)
    for ended in activity.closes:
        closes.setdefault(ended.conversation_id, []).append(ended)
    for listed in replies.values():
        listed.sort(key=lambda r: r.at)
    for ends in closes.values():
        ends.sort(key=lambda c: c.at)
    out: list[Part] = []
    for conv_id, tasks in tasks_of.items():
        conversation = activity.conversations.get(conv_id)
        conv_closes = closes.get(conv_id, [])
        last_close = conv_closes[-1] if conv_closes else None
        for task in tasks:
            start = task.answered_at
            if task.agent_id is None or start is None or start < activity.since:
                continue
            handed_on = min((t.created_at for t in tasks
                             if t.id != task.id and t.created_at >= start), default=None)
            close = next((c for c in conv_closes if c.at >= start), None)
            if close is not None and (handed_on is None or close.at <= handed_on):
                resolution: str | None = close.resolution
                final = (close is last_close and conversation is not None
                         and conversation.state is ConversationState.CLOSED)
                end: float | None = close.at
                outcome = "closed"
                sentiment = conversation.sentiment if final and conversation else None
            elif handed_on is not None:
                end, outcome, resolution, sentiment = handed_on, "transferred", None, None
            else:
                end, outcome, resolution, sentiment = None, "open", None, None
            first = next((r.at for r in replies.get(conv_id, [])
                          if r.agent_id == task.agent_id and r.at >= start
                          and (end is None or r.at <= end)), None)
            out.append(Part(task.agent_id, conv_id, task.language, task.market, start, end,
                            outcome, first, resolution, sentiment))
    out.sort(key=lambda p: (p.assigned_at, p.conversation_id, p.agent_id))
    return out


def _times(values: list[float]) -> dict[str, float | int | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 1)
    return {"p50": r(percentile(values, 0.5)), "p90": r(percentile(values, 0.9)),
            "n": len(values)}


@dataclass
class AgentRow:
    """One row of the analytics: an agent, a language or a market."""

    key: str
    name: str | None = None
    conversations: int = 0
    first_response: list[float] = field(default_factory=list)
    no_reply: int = 0
    handling: list[float] = field(default_factory=list)
    closed: int = 0
    resolved: int = 0
    transferred: int = 0
    open: int = 0
    sentiments: list[float] = field(default_factory=list)

    def add(self, part: Part) -> None:
        self.conversations += 1
        if part.first_response_s is not None:
            self.first_response.append(part.first_response_s)
        elif part.outcome != "open":
            self.no_reply += 1
        if part.handling_s is not None:
            self.handling.append(part.handling_s)
        if part.outcome == "closed":
            self.closed += 1
            self.resolved += bool(part.resolution) and is_resolved(part.resolution or "")
            if part.sentiment is not None:
                self.sentiments.append(part.sentiment)
        elif part.outcome == "transferred":
            self.transferred += 1
        else:
            self.open += 1

    def as_dict(self, key_name: str) -> dict[str, object]:
        ended = self.closed + self.transferred
        s = self.sentiments
        row: dict[str, object] = {key_name: self.key}
        if key_name == "agent":
            row["name"] = self.name
        row.update({
            "conversations": self.conversations, "closed": self.closed,
            "transferred": self.transferred, "open": self.open,
            "first_response_s": _times(self.first_response), "no_reply": self.no_reply,
            "handling_s": _times(self.handling),
            "resolved": self.resolved,
            "resolution_rate": round(self.resolved / self.closed, 4) if self.closed else None,
            "transfer_rate": round(self.transferred / ended, 4) if ended else None,
            "sentiment_end": {
                "mean": round(sum(s) / len(s), 3) if s else None,
                "negative": round(sum(v < 0 for v in s) / len(s), 4) if s else None,
                "positive": round(sum(v > 0 for v in s) / len(s), 4) if s else None,
                "n": len(s)},
        })
        return row


def agent_stats(activity: AgentActivity, now: float,
                names: Mapping[str, str] | None = None,
                only_agent: str | None = None) -> dict[str, object]:
    """The analytics over ``activity``: rows per agent, per language and per market
    (``only_agent``: that agent's parts only). ``names``: agent id -> display name."""
    chosen = [p for p in parts(activity) if only_agent is None or p.agent_id == only_agent]
    return summarise(chosen, activity.since, now, names)


def summarise(chosen: Iterable[Part], since: float, now: float,
              names: Mapping[str, str] | None = None) -> dict[str, object]:
    """Rows per agent, language and market over ``chosen`` parts."""
    groups: dict[str, dict[str, AgentRow]] = {"agent": {}, "language": {}, "market": {}}
    total = AgentRow("all")
    for part in chosen:
        total.add(part)
        for key_name, key in (("agent", part.agent_id), ("language", part.language),
                              ("market", part.market)):
            row = groups[key_name].setdefault(key, AgentRow(key))
            row.add(part)
    for agent_id, row in groups["agent"].items():
        row.name = (names or {}).get(agent_id) or agent_id
    return {
        "since": since, "now": now,
        "agents": [r.as_dict("agent") for _, r in sorted(groups["agent"].items())],
        "languages": [r.as_dict("language") for _, r in sorted(groups["language"].items())],
        "markets": [r.as_dict("market") for _, r in sorted(groups["market"].items())],
        "total": total.as_dict("scope"),
        "definitions": DEFINITIONS,
    }


#: What each figure means, sent with the answer (the module's docstring has the details).
DEFINITIONS = {
    "conversations": "agents' parts of conversations (accepted tasks) started in the window",
    "first_response_s": "assignment (offer accepted) to the agent's first message",
    "handling_s": "assignment to the close, or to the hand-over for a transfer",
    "resolution_rate": "closed parts whose resolution starts with "
                       + "/".join(sorted(RESOLVED_WORDS)),
    "sentiment_end": "the conversation's stored sentiment (-1..1) when it was closed",
    "transfer_rate": "parts that ended by going back to a queue, of those that ended",
}
