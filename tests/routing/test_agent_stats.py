"""Agent analytics on a small hand-made week: what a supervisor reads per agent, language and
market, with the expected figures worked out here from the fixture's own times."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cbcs.contact import Conversation, ConversationState, Task, TaskStatus
from cbcs.errors import ConfigError
from cbcs.routing.agent_stats import (AgentActivity, Close, Reply, agent_stats, is_resolved,
                                      parse_since, parts)

T0 = 1_800_000_000.0
SINCE = T0 - 3600


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def task(id: str, conv: str, agent: str | None, created: float, answered: float | None,
         language: str, market: str) -> Task:
    return Task(id, f"{market}-{language}", language=language, market=market,
                conversation_id=conv, created_at=created, agent_id=agent,
                answered_at=answered, status=TaskStatus.ASSIGNED if agent else TaskStatus.PENDING)


def conv(id: str, state: ConversationState, language: str, market: str,
         sentiment: float | None) -> Conversation:
    return Conversation(id, f"cust-{id}", state=state, language=language, market=market,
                        sentiment=sentiment)


# c1: ana takes it, replies, closes it resolved; the customer ends positive
C1 = dict(created=T0, accepted=T0 + 12, reply=T0 + 40, close=T0 + 340)
# c2: ana takes it, replies, passes it on; bruno takes it, replies, closes it unresolved
C2 = dict(created=T0 + 100, accepted=T0 + 105, reply=T0 + 165, handed=T0 + 500,
          accepted2=T0 + 530, reply2=T0 + 560, close=T0 + 1400)
# c3: bruno takes it and has not written yet (still going)
C3 = dict(created=T0 + 200, accepted=T0 + 210)
# c4: carla closes it "Refunded"; the customer wrote again since (reopened: no end mood)
C4 = dict(created=T0 + 300, accepted=T0 + 330, reply=T0 + 420, close=T0 + 900)
# c5: accepted before the window: not counted
C5 = dict(created=SINCE - 900, accepted=SINCE - 800, reply=SINCE - 700, close=SINCE - 100)


def fixture() -> AgentActivity:
    tasks = [
        task("t1", "c1", "ana", C1["created"], C1["accepted"], "es", "MX"),
        task("t2", "c2", "ana", C2["created"], C2["accepted"], "es", "MX"),
        task("t3", "c2", "bruno", C2["handed"], C2["accepted2"], "es", "MX"),
        task("t4", "c3", "bruno", C3["created"], C3["accepted"], "pt-BR", "BR"),
        task("t5", "c4", "carla", C4["created"], C4["accepted"], "pt-BR", "BR"),
        task("t6", "c5", "carla", C5["created"], C5["accepted"], "en", "PH"),
    ]
    conversations = {
        "c1": conv("c1", ConversationState.CLOSED, "es", "MX", 1.0),
        "c2": conv("c2", ConversationState.CLOSED, "es", "MX", -1.0),
        "c3": conv("c3", ConversationState.ASSIGNED, "pt-BR", "BR", 0.0),
        "c4": conv("c4", ConversationState.BOT, "pt-BR", "BR", -1.0),
        "c5": conv("c5", ConversationState.CLOSED, "en", "PH", 1.0),
    }
    replies = [Reply("c1", "ana", C1["reply"]), Reply("c1", "ana", C1["reply"] + 60),
               Reply("c2", "ana", C2["reply"]), Reply("c2", "bruno", C2["reply2"]),
               Reply("c4", "carla", C4["reply"]), Reply("c5", "carla", C5["reply"])]
    closes = [Close("c1", C1["close"], "resolved", "ana"),
              Close("c2", C2["close"], "unresolved", "bruno"),
              Close("c4", C4["close"], "Refunded in full", "carla"),
              Close("c5", C5["close"], "resolved", "carla")]
    return AgentActivity(SINCE, tasks, conversations, replies, closes)


def rows(stats: dict[str, object], key: str) -> dict[str, dict[str, object]]:
    listed = stats[key]
    assert isinstance(listed, list)
    name = key.rstrip("s")
    return {r[name]: r for r in listed}


def test_each_agents_part_ends_by_close_transfer_or_not_yet() -> None:
    got = {(p.agent_id, p.conversation_id): p for p in parts(fixture())}
    assert set(got) == {("ana", "c1"), ("ana", "c2"), ("bruno", "c2"), ("bruno", "c3"),
                        ("carla", "c4")}   # c5 began before the window
    assert got[("ana", "c2")].outcome == "transferred"
    assert got[("ana", "c2")].ended_at == C2["handed"]
    assert got[("bruno", "c2")].outcome == "closed"
    assert got[("bruno", "c3")].outcome == "open" and got[("bruno", "c3")].ended_at is None
    # the next agent's reply is not the first agent's
    assert got[("bruno", "c2")].first_reply_at == C2["reply2"]


def test_per_agent_figures_follow_from_the_fixture() -> None:
    stats = agent_stats(fixture(), T0 + 2000, {"ana": "Ana Lima"})
    agents = rows(stats, "agents")
    ana = agents["ana"]
    firsts = [C1["reply"] - C1["accepted"], C2["reply"] - C2["accepted"]]
    handling = [C1["close"] - C1["accepted"], C2["handed"] - C2["accepted"]]
    assert ana["name"] == "Ana Lima" and agents["bruno"]["name"] == "bruno"
    assert ana["conversations"] == 2
    assert ana["first_response_s"] == {"p50": nearest_rank(firsts, .5),
                                       "p90": nearest_rank(firsts, .9), "n": 2}
    assert ana["handling_s"]["p50"] == nearest_rank(handling, .5)
    assert ana["handling_s"]["p90"] == nearest_rank(handling, .9)
    assert (ana["closed"], ana["resolved"], ana["transferred"]) == (1, 1, 1)
    assert ana["resolution_rate"] == 1.0 and ana["transfer_rate"] == 0.5
    assert ana["sentiment_end"]["mean"] == 1.0

    bruno = agents["bruno"]
    assert bruno["conversations"] == 2 and bruno["open"] == 1
    assert bruno["first_response_s"]["n"] == 1          # c3: no reply yet, not a miss
    assert bruno["no_reply"] == 0
    assert bruno["handling_s"]["p50"] == C2["close"] - C2["accepted2"]
    assert bruno["resolution_rate"] == 0.0 and bruno["transfer_rate"] == 0.0
    assert bruno["sentiment_end"] == {"mean": -1.0, "negative": 1.0, "positive": 0.0, "n": 1}

    carla = agents["carla"]
    assert carla["conversations"] == 1                 # c5 is outside the window
    assert carla["resolution_rate"] == 1.0             # "Refunded in full" is resolved
    assert carla["sentiment_end"]["n"] == 0            # reopened: no end yet


def test_language_and_market_rows_group_the_same_parts() -> None:
    stats = agent_stats(fixture(), T0 + 2000)
    es, pt = rows(stats, "languages")["es"], rows(stats, "languages")["pt-BR"]
    assert es["conversations"] == 3 and pt["conversations"] == 2
    assert es["transfer_rate"] == round(1 / 3, 4)
    assert rows(stats, "markets")["MX"]["conversations"] == es["conversations"]
    assert stats["total"]["conversations"] == sum(
        r["conversations"] for r in rows(stats, "agents").values())


def test_one_agent_only() -> None:
    stats = agent_stats(fixture(), T0 + 2000, only_agent="bruno")
    assert list(rows(stats, "agents")) == ["bruno"]
    assert rows(stats, "languages")["es"]["conversations"] == 1


def test_a_part_closed_without_a_reply_counts_as_no_reply() -> None:
    activity = fixture()
    silent = AgentActivity(activity.since, activity.tasks, activity.conversations,
                           [r for r in activity.replies if r.agent_id != "carla"],
                           activity.closes)
    carla = rows(agent_stats(silent, T0 + 2000), "agents")["carla"]
    assert carla["no_reply"] == 1 and carla["first_response_s"]["n"] == 0


@pytest.mark.parametrize("text, resolved", [
    ("resolved", True), ("Refunded in full", True), ("sorted", True), ("answered: ok", True),
    ("unresolved", False), ("not resolved", False), ("no answer", False),
    ("customer left", False), ("", False), ("duplicate", False)])
def test_which_resolutions_count_as_resolved(text: str, resolved: bool) -> None:
    assert is_resolved(text) is resolved


def test_since_accepts_spans_dates_and_unix_times() -> None:
    now = T0
    assert parse_since("7d", now) == now - 7 * 86400
    assert parse_since("12h", now) == now - 12 * 3600
    assert parse_since("30m", now) == now - 1800
    assert parse_since("2w", now) == now - 14 * 86400
    day = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc).timestamp()
    assert parse_since("2026-12-01", now) == day
    assert parse_since("2026-12-01T08:00Z", now) == day + 8 * 3600
    assert parse_since("2026-12-01T08:00+08:00", now) == day
    assert parse_since(str(int(day)), now) == day
    for bad in ("yesterday", "7", "7y", "-7d", "2026-13-01", ""):
        with pytest.raises(ConfigError, match="since: expected"):
            parse_since(bad, now)


def test_replies_and_closes_are_read_from_stored_messages() -> None:
    from cbcs.contact import AuthorRole, Message, MessageKind
    from cbcs.routing.agent_stats import marks

    stored = [
        Message("c1", AuthorRole.CUSTOMER, "cust", "hola", created_at=T0),
        Message("c1", AuthorRole.AGENT, "ana", "Déjame revisarlo.", created_at=T0 + 30),
        Message("c1", AuthorRole.SYSTEM, "routing", "Asked for a person: x",
                kind=MessageKind.EVENT, created_at=T0 + 40),
        Message("c1", AuthorRole.SYSTEM, "ana", "Closed: replaced", kind=MessageKind.EVENT,
                created_at=T0 + 90),
    ]
    replies, closes = marks(stored)
    assert replies == [Reply("c1", "ana", T0 + 30)]
    assert closes == [Close("c1", T0 + 90, "replaced", "ana")]
