"""Routing with machine translation: a free speaker of the customer's language first, then
an agent whom translation covers, and an agent on an untranslated pair only as a last
resort (or never, when the router is told so)."""

from __future__ import annotations

from typing import Any

from cbcs.contact import Agent, Presence, Queue, Step, Task
from cbcs.routing.engine import SPEAKS, TRANSLATED, UNTRANSLATED, AgentState, Covers, Router
from cbcs.routing.workflow import Workflow

T0 = 1_764_000_000.0
ANYONE = Queue("support", steps=[Step("", None, translate=True)])
# what Bergamot covers in cbcs.translation (en <-> pt-BR), as a plain predicate
EN_PT = {("en", "pt-BR"), ("pt-BR", "en")}


def covers(source: str, target: str) -> bool:
    return source == target or (source, target) in EN_PT


def router(covers: Covers | None = covers, **options: Any) -> Router:
    r = Router(covers, **options)
    r.set_workflow(Workflow.compile(ANYONE))
    return r


def agent(r: Router, ident: str, languages: dict[str, int], idle_since: float,
          chat_load: int = 0) -> AgentState:
    state = AgentState(Agent(ident, languages=languages, capacity={"chat": 1}),
                       Presence.AVAILABLE, True, {"chat": chat_load, "voice": 0, "video": 0},
                       idle_since)
    r.upsert_agent(state)
    return state


def customer(r: Router, ident: str, language: str = "pt-BR", at: float = T0) -> None:
    r.add_task(Task(ident, "support", language=language, created_at=at))


def offers(r: Router, now: float) -> list[tuple[str, str, bool]]:
    return [(o.task_id, o.agent_id, o.translate) for o in r.match(now)]


def team(r: Router) -> None:
    # the agent on the untranslated pair has waited longest: idle time alone would pick them
    agent(r, "wei-zh", {"zh": 5}, idle_since=T0 - 3000)
    agent(r, "bob-en", {"en": 5}, idle_since=T0 - 2000)
    agent(r, "lia-pt", {"pt-BR": 5, "en": 3}, idle_since=T0 - 10)


def test_a_free_speaker_first_then_a_covered_agent_then_the_untranslated_pair() -> None:
    r = router()
    team(r)
    for i in range(3):
        customer(r, f"c{i}", at=T0 + i)
    assert offers(r, T0 + 5) == [("c0", "lia-pt", False), ("c1", "bob-en", True),
                                 ("c2", "wei-zh", True)]


def test_routing_avoids_an_untranslated_pair_while_a_speaker_is_free() -> None:
    r = router()
    team(r)
    customer(r, "c0", language="es")     # nobody speaks Spanish; no model covers es here
    agent(r, "eva-es", {"es": 4}, idle_since=T0, chat_load=1)   # busy for now
    assert offers(r, T0 + 1) == [("c0", "wei-zh", True)]        # the last resort, at once
    r2 = router()
    team(r2)
    agent(r2, "eva-es", {"es": 4}, idle_since=T0)              # free: she gets it
    customer(r2, "c0", language="es")
    assert offers(r2, T0 + 1) == [("c0", "eva-es", False)]


def test_without_the_fallback_an_untranslated_pair_is_never_offered() -> None:
    r = router(uncovered_fallback=False)
    agent(r, "wei-zh", {"zh": 5}, idle_since=T0 - 3000)
    customer(r, "c0")
    assert offers(r, T0 + 1) == []
    agent(r, "bob-en", {"en": 5}, idle_since=T0)
    assert offers(r, T0 + 2) == [("c0", "bob-en", True)]


def test_reach_and_a_router_without_translation() -> None:
    r = router()
    lia, bob, wei = (agent(r, "lia", {"pt-BR": 5}, 0.0), agent(r, "bob", {"en": 5}, 0.0),
                     agent(r, "wei", {"zh": 5}, 0.0))
    assert [r.reach("pt-BR", a) for a in (lia, bob, wei)] == [SPEAKS, TRANSLATED,
                                                              UNTRANSLATED]
    plain = router(covers=None)      # nothing covered: idle time decides among non-speakers
    team(plain)
    customer(plain, "c0", language="th")
    assert offers(plain, T0 + 1) == [("c0", "wei-zh", True)]
    plain.covers = covers            # told later (a node wires its models after start)
    assert plain.reach("pt-BR", plain.agents["bob-en"]) == TRANSLATED
