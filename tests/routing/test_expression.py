"""Target expressions: which agent and task pairs match, which sources fail and where."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs.routing.expression import (
    ANY,
    ExpressionError,
    ExpressionSyntaxError,
    Target,
    UnknownAttributeError,
    compile_target,
)

MARIA: dict[str, object] = {
    "id": "a1", "name": "María", "kind": "human",
    "languages": {"es": 5, "en": 3, "pt-BR": 2}, "skills": {"returns": 2, "billing": 4},
    "markets": ["mx", "es"], "time_zone": "America/Mexico_City", "channels": ["chat", "voice"],
}
BOT: dict[str, object] = {
    "id": "b1", "name": "Bot", "kind": "ai", "languages": {"en": 5}, "skills": {},
    "markets": [], "channels": ["chat"],
}
RETURN_ES: dict[str, object] = {
    "id": "t1", "language": "es", "market": "mx", "channel": "chat", "priority": 2,
    "tier": "gold", "skill": "returns", "queue": "returns", "intent": "refund",
    "sentiment": -0.4, "wait_s": 12.5,
}
BILLING_EN: dict[str, object] = {**RETURN_ES, "language": "en", "market": "ar", "skill": "billing"}
QUOTED: dict[str, object] = {**RETURN_ES, "intent": "it's \"urgent\" \\ now"}
NOTHING: dict[str, object] = {}  # every field absent
ODD_AGENT: dict[str, object] = {"languages": ["es"], "markets": "mx es", "skills": None}

EXAMPLE = "agent.languages.es >= 4 and agent.skills.returns >= 2 and task.market in agent.markets"

MATCHES = [
    # literals and blank sources
    ("true", BOT, NOTHING, True),
    ("false", MARIA, RETURN_ES, False),
    ("", NOTHING, NOTHING, True),
    ("  \n\t", NOTHING, NOTHING, True),
    # every comparison operator
    ("agent.kind == 'human'", MARIA, RETURN_ES, True),
    ("agent.kind == 'human'", BOT, RETURN_ES, False),
    ('agent.kind == "ai"', BOT, RETURN_ES, True),
    ("task.tier != 'gold'", MARIA, RETURN_ES, False),
    ("task.tier != 'silver'", MARIA, RETURN_ES, True),
    ("task.priority < 3", MARIA, RETURN_ES, True),
    ("task.priority < 2", MARIA, RETURN_ES, False),
    ("task.priority <= 2", MARIA, RETURN_ES, True),
    ("task.priority > 2", MARIA, RETURN_ES, False),
    ("task.priority >= 2", MARIA, RETURN_ES, True),
    ("task.priority == 2.0", MARIA, RETURN_ES, True),
    ("task.sentiment < -0.3", MARIA, RETURN_ES, True),
    ("task.wait_s > 12", MARIA, RETURN_ES, True),
    ("-1 < 0", NOTHING, NOTHING, True),
    ("task.language < 'fr'", MARIA, RETURN_ES, True),
    ("task.intent == 'it\\'s \"urgent\" \\\\ now'", MARIA, QUOTED, True),
    ('task.intent == "it\'s \\"urgent\\" \\\\ now"', MARIA, QUOTED, True),
    # maps: by name, by quoted key, by another field; a missing key is 0
    ("agent.languages.es >= 4", MARIA, RETURN_ES, True),
    ("agent.languages.es >= 4", BOT, RETURN_ES, False),
    ("agent.languages.es == 0", BOT, RETURN_ES, True),
    ("agent.skills.returns >= 2", MARIA, RETURN_ES, True),
    ("agent.skills.repairs == 0", MARIA, RETURN_ES, True),
    ("agent.languages['pt-BR'] >= 2", MARIA, RETURN_ES, True),
    ("agent['languages']['es'] == 5", MARIA, RETURN_ES, True),
    ("agent.languages[task.language] >= 4", MARIA, RETURN_ES, True),
    ("agent.languages[task.language] >= 4", MARIA, BILLING_EN, False),
    ("agent.skills[task.skill] >= 4", MARIA, BILLING_EN, True),
    ("agent.languages.es >= 4", NOTHING, RETURN_ES, False),
    # lists and membership
    ("task.market in agent.markets", MARIA, RETURN_ES, True),
    ("task.market in agent.markets", BOT, RETURN_ES, False),
    ("task.market not in agent.markets", MARIA, RETURN_ES, False),
    ("task.market not in agent.markets", BOT, RETURN_ES, True),
    ("task.language in ['es', 'pt']", MARIA, RETURN_ES, True),
    ("task.language in ['en', 'pt']", MARIA, RETURN_ES, False),
    ("task.language in []", MARIA, RETURN_ES, False),
    ("task.priority in [1, 2, 3]", MARIA, RETURN_ES, True),
    ("agent.markets == ['mx', 'es']", MARIA, RETURN_ES, True),
    ("agent.channels has 'voice'", MARIA, RETURN_ES, True),
    ("agent.channels has 'voice'", BOT, RETURN_ES, False),
    ("'voice' in agent.channels", MARIA, RETURN_ES, True),
    ("agent.languages has 'en'", MARIA, RETURN_ES, True),
    ("agent.languages has 'fr'", MARIA, RETURN_ES, False),
    ("[task.market, 'ar'] has 'mx'", MARIA, RETURN_ES, True),
    ("agent.languages has 'es'", NOTHING, RETURN_ES, False),
    ("'es' not in agent.languages", NOTHING, RETURN_ES, True),
    # precedence: not, then and, then or; parentheses override
    ("not true or true", MARIA, RETURN_ES, True),
    ("not true and false", MARIA, RETURN_ES, False),
    ("true or false and false", MARIA, RETURN_ES, True),
    ("not (true and false)", MARIA, RETURN_ES, True),
    ("(true or false) and false", MARIA, RETURN_ES, False),
    ("not task.tier == 'gold'", MARIA, RETURN_ES, False),
    ("not not agent.skills.returns", MARIA, RETURN_ES, True),
    ("(task.priority) == 2", MARIA, RETURN_ES, True),
    ("(agent.languages.es >= 4) == true", MARIA, RETURN_ES, True),
    # a bare value is tested for truth
    ("agent.skills.returns", MARIA, RETURN_ES, True),
    ("agent.skills.repairs", MARIA, RETURN_ES, False),
    ("agent.markets", BOT, RETURN_ES, False),
    ("task.customer", MARIA, RETURN_ES, False),
    ("not task.customer", MARIA, RETURN_ES, True),
    # the example rule of the routing docs
    (EXAMPLE, MARIA, RETURN_ES, True),
    (EXAMPLE, MARIA, BILLING_EN, False),
    (EXAMPLE, {**MARIA, "languages": {"es": 3}}, RETURN_ES, False),
    (EXAMPLE, BOT, RETURN_ES, False),
    # absent fields and mismatched types compare false, whatever the operator
    ("task.tier == 'gold'", MARIA, NOTHING, False),
    ("task.tier != 'gold'", MARIA, NOTHING, False),
    ("task.priority < 3", MARIA, NOTHING, False),
    ("task.priority > 'high'", MARIA, RETURN_ES, False),
    ("task.language < 3", MARIA, RETURN_ES, False),
    ("task.market in agent.markets", NOTHING, RETURN_ES, False),
    ("task.market not in agent.markets", NOTHING, RETURN_ES, False),
    ("task.market in agent.kind", {"kind": "mx-team"}, RETURN_ES, False),
    ("task.market in agent.markets", ODD_AGENT, RETURN_ES, False),
    ("agent.languages.es >= 4", ODD_AGENT, RETURN_ES, False),
    ("agent.skills.returns == 0", ODD_AGENT, RETURN_ES, True),
    ("agent.languages[agent.markets] == 0", MARIA, RETURN_ES, True),
]


@pytest.mark.parametrize(("source", "agent", "task", "expected"), MATCHES)
def test_matches(source: str, agent: dict[str, object], task: dict[str, object],
                 expected: bool) -> None:
    assert compile_target(source).matches(agent, task) is expected


LONG = "true or " * 375 + "true"

FAILURES = [
    ("agent.languages.es >=", ExpressionSyntaxError, 21),
    ("agent.languages.es >= 4 and", ExpressionSyntaxError, 27),
    ("agent.lang == 'x'", UnknownAttributeError, 0),
    ("task.lang == 'x'", UnknownAttributeError, 0),
    ("agent['lang'] == 'x'", UnknownAttributeError, 0),
    ("true and agent.langs.es", UnknownAttributeError, 9),
    ("foo.bar", UnknownAttributeError, 0),
    ("True", UnknownAttributeError, 0),
    ("agent.markets.x", UnknownAttributeError, 13),
    ("agent.markets[0]", UnknownAttributeError, 13),
    ("agent.languages.es.x", UnknownAttributeError, 18),
    ("task.priority.high", UnknownAttributeError, 13),
    ("'unterminated", ExpressionSyntaxError, 0),
    ("task.intent == 'a\\n'", ExpressionSyntaxError, 17),
    ("1 +", ExpressionSyntaxError, 2),
    ("task.language = 'es'", ExpressionSyntaxError, 14),
    ("agent.languages.pt-BR >= 2", ExpressionSyntaxError, 18),
    ("task.queue == 'a')", ExpressionSyntaxError, 17),
    ("task.language == 'es' AND true", ExpressionSyntaxError, 22),
    ("1 < 2 < 3", ExpressionSyntaxError, 6),
    ("(true", ExpressionSyntaxError, 5),
    ("[1, 2", ExpressionSyntaxError, 5),
    ("[1,]", ExpressionSyntaxError, 3),
    ("task.language in", ExpressionSyntaxError, 16),
    ("not in agent.markets", ExpressionSyntaxError, 4),
    ("and", ExpressionSyntaxError, 0),
    ("agent", ExpressionSyntaxError, 5),
    ("agent.", ExpressionSyntaxError, 6),
    ("agent[1]", ExpressionSyntaxError, 6),
    ("agent[task.id]", ExpressionSyntaxError, 6),
    ("agent.skills[[1]]", ExpressionSyntaxError, 13),
    ("(" * 100, ExpressionSyntaxError, 50),
    ("not " * 60 + "true", ExpressionSyntaxError, 200),
    ("[" * 60 + "]" * 60, ExpressionSyntaxError, 50),
    ("agent.skills[" * 60, ExpressionSyntaxError, 13 * 50 + 12),
    (LONG, ExpressionSyntaxError, 2000),
]


@pytest.mark.parametrize(("source", "error", "position"), FAILURES)
def test_bad_sources_say_what_and_where(source: str, error: type[ExpressionError],
                                        position: int) -> None:
    with pytest.raises(error) as caught:
        compile_target(source)
    assert caught.value.position == position
    assert caught.value.expression == source
    assert caught.value.expected
    assert f"at position {position}" in str(caught.value)


def test_the_message_points_at_the_problem() -> None:
    with pytest.raises(ValueError) as caught:
        compile_target("agent.languages.es >= 4 and")
    assert str(caught.value) == ("target: expected a value after 'and' at position 27\n"
                                 "  agent.languages.es >= 4 and\n"
                                 "                             ^")


def test_an_unknown_attribute_lists_the_known_ones() -> None:
    with pytest.raises(UnknownAttributeError, match="agent has id, name, kind, languages, "
                                                    "skills, markets, time_zone, channels"):
        compile_target("agent.lang == 'x'")
    with pytest.raises(UnknownAttributeError, match="agent.markets is a list; it cannot be"):
        compile_target("agent.markets.x")


@pytest.mark.parametrize("source", [
    "(" * 50 + "true" + ")" * 50,
    "not " * 50 + "true",
    "true" + " " * 1996,
    " and ".join(["agent.skills.returns >= 1"] * 60),
])
def test_limits_are_inclusive(source: str) -> None:
    assert compile_target(source).matches(MARIA, RETURN_ES)


@pytest.mark.parametrize(("source", "agent_fields", "task_fields"), [
    ("", set(), set()),
    ("true", set(), set()),
    ("agent.languages.es >= 4", {"languages"}, set()),
    ("task.priority > 1 or task.tier == 'gold'", set(), {"priority", "tier"}),
    (EXAMPLE, {"languages", "skills", "markets"}, {"market"}),
    ("agent.languages[task.language] >= 3 and agent['kind'] == 'ai'",
     {"languages", "kind"}, {"language"}),
])
def test_reports_the_fields_it_reads(source: str, agent_fields: set[str],
                                     task_fields: set[str]) -> None:
    target = compile_target(source)
    assert target.agent_fields == agent_fields
    assert target.task_fields == task_fields


def test_conjunction_needs_both_and_reads_both_fields() -> None:
    spanish = compile_target("agent.languages.es >= 4")
    local = compile_target("task.market in agent.markets")
    both = spanish & local
    assert both.source == "(agent.languages.es >= 4) and (task.market in agent.markets)"
    assert both.agent_fields == {"languages", "markets"}
    assert both.task_fields == {"market"}
    for agent in (MARIA, BOT, {**MARIA, "markets": ["ar"]}):
        for task in (RETURN_ES, BILLING_EN):
            expected = spanish.matches(agent, task) and local.matches(agent, task)
            assert both.matches(agent, task) is expected


def test_any_matches_everything_and_is_neutral_in_a_conjunction() -> None:
    spanish = compile_target("agent.languages.es >= 4")
    assert ANY.matches(NOTHING, NOTHING)
    assert (ANY & spanish).source == spanish.source
    assert (spanish & compile_target(" ")).source == spanish.source
    assert not (ANY & spanish).matches(BOT, RETURN_ES)


# -- properties: any text compiles or raises ExpressionError; evaluation never raises -----

AGENT_FIELDS = ["id", "name", "kind", "languages", "skills", "markets", "time_zone", "channels"]
TASK_FIELDS = ["id", "language", "market", "channel", "priority", "tier", "skill", "queue",
               "customer", "intent", "sentiment", "wait_s"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=8)
LANGS = st.sampled_from(["es", "en", "pt"])
AGENTS = st.one_of(
    st.dictionaries(st.sampled_from(AGENT_FIELDS), JSON),
    st.fixed_dictionaries({
        "kind": st.sampled_from(["human", "ai"]),
        "languages": st.dictionaries(LANGS, st.integers(0, 5)),
        "skills": st.dictionaries(st.sampled_from(["returns", "billing"]), st.integers(0, 5)),
        "markets": st.lists(st.sampled_from(["mx", "es", "ar"]), max_size=3),
        "channels": st.lists(st.sampled_from(["chat", "voice"]), max_size=2)}))
TASKS = st.one_of(
    st.dictionaries(st.sampled_from(TASK_FIELDS), JSON),
    st.fixed_dictionaries({
        "language": LANGS, "market": st.sampled_from(["mx", "es", "ar"]),
        "skill": st.sampled_from(["returns", "billing"]), "priority": st.integers(0, 5),
        "sentiment": st.floats(-1, 1), "tier": st.sampled_from(["gold", "silver"])}))

TOKENS = [
    "agent", "task", ".", "[", "]", "(", ")", ",", "==", "!=", "<", "<=", ">", ">=", "and",
    "or", "not", "in", "has", "true", "false", "'es'", '"mx"', "4", "-1.5", "0", "es",
    "languages", "markets", "language", "x", "agent.languages", "agent.skills",
    "agent.markets", "agent.channels", "agent.kind", "task.language", "task.market",
    "task.priority", "task.skill", "agent.languages.es", "'", '"', "\\", "+", "-", "\n",
]
ALPHABET = "agentskl.[]()'\"=!<>, 0123456789-_\\\n"


@given(st.text(max_size=120) | st.text(alphabet=ALPHABET, max_size=80))
def test_any_text_compiles_or_raises_an_expression_error(source: str) -> None:
    try:
        target = compile_target(source)
    except ExpressionError:
        return
    assert isinstance(target, Target)


@settings(deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=14), st.sampled_from([" ", ""]),
       AGENTS, TASKS)
def test_token_soup_never_raises_anything_else(tokens: list[str], separator: str,
                                               agent: dict[str, object],
                                               task: dict[str, object]) -> None:
    try:
        target = compile_target(separator.join(tokens))
    except ExpressionError:
        return
    assert isinstance(target.matches(agent, task), bool)


VALUES = st.sampled_from([
    "agent.languages.es", "agent.languages[task.language]", "agent.skills.returns",
    "agent.skills[task.skill]", "agent.markets", "agent.channels", "agent.kind",
    "task.market", "task.language", "task.priority", "task.sentiment", "task.tier", "'es'",
    '"mx"', "3", "-1.5", "true", "false", "[]", "['es', 'mx']", "[1, task.priority]",
])
OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "has",
                             "and", "or"])
EXPRESSIONS = st.recursive(
    VALUES,
    # every level joins two parts, so twelve leaves stay far below the nesting limit
    lambda inner: st.builds(lambda no, a, op, b: f"{no}(({a}) {op} ({b}))",
                            st.sampled_from(["", "not "]), inner, OPERATORS, inner),
    max_leaves=12)


@settings(deadline=None)
@given(EXPRESSIONS, EXPRESSIONS, AGENTS, TASKS)
def test_grammatical_sources_compile_and_combine_like_logic(
        first: str, second: str, agent: dict[str, object], task: dict[str, object]) -> None:
    one, other = compile_target(first), compile_target(second)
    a, b = one.matches(agent, task), other.matches(agent, task)
    assert isinstance(a, bool) and isinstance(b, bool)
    assert compile_target(f"({first}) and ({second})").matches(agent, task) is (a and b)
    assert compile_target(f"({first}) or ({second})").matches(agent, task) is (a or b)
    assert compile_target(f"not ({first})").matches(agent, task) is (not a)
    assert (one & other).matches(agent, task) is (a and b)
