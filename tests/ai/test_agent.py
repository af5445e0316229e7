"""The first-tier agent on the demo shop: replies state only what the orders, the articles
and its own tickets say (fifty turns in the eight languages); it keeps the order being
discussed across turns; it hands over with a ticket and a summary in the person's
language; a rewritten reply that invents a fact is not sent."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence
from typing import Any

import pytest

from cbcs.ai import classifier, phrases
from cbcs.ai.agent import Agent, Context, Memory, Turn, check_reply
from cbcs.ai.embeddings import E5Embeddings
from cbcs.ai.knowledge import KnowledgeIndex
from cbcs.ai.langid import LinguaLanguageId
from cbcs.ai.providers import ChatMessage
from cbcs.demo.shop import Shop, build

NOW = 1_796_000_000.0


@pytest.fixture(scope="module")
def shop() -> Shop:
    return build(NOW)


@pytest.fixture(scope="module")
def agent() -> Agent:
    e5 = E5Embeddings()
    return Agent(LinguaLanguageId(), classifier.intents(e5), classifier.sentiments(e5),
                 KnowledgeIndex(e5), escalations=classifier.escalations(e5))


def _ctx(shop: Shop, customer_id: str, ticket: str = "T100", **extra: Any) -> Context:
    customer = next(c for c in shop.customers if c.id == customer_id)
    return Context(customer, [o for o in shop.orders if o.customer_id == customer_id],
                   [a for a in shop.articles if a.market == customer.market], NOW, ticket,
                   **extra)


def _talk(agent: Agent, shop: Shop, customer_id: str, texts: Sequence[str],
          **extra: Any) -> list[Turn]:
    memory, turns = Memory(), []
    for i, text in enumerate(texts):
        turn = agent.respond(text, memory, _ctx(shop, customer_id, f"T{i}{customer_id[-4:]}",
                                                **extra))
        memory = turn.memory
        turns.append(turn)
    return turns


# (customer, what they write): the kinds of turns the tier meets, in every market language
CONVERSATIONS = [
    ("cust-ph-1", ["hi where is my order 1001?", "can I pay cash on delivery?",
                   "how do returns work for the lamp from order 0950?", "thanks!",
                   "do you sell outdoor furniture?", "my account password isn't working"]),
    ("cust-ph-2", ["nasaan na po yung order ko?", "pwede po ba COD?",
                   "paano po mag-return?", "salamat po", "may discount po ba kayo?",
                   "gusto ko pong i-cancel yung order 1002", "may tracking number na po ba?",
                   "sira po yung rug pagdating"]),
    ("cust-id-1", ["kak pesanan 1003 udah sampai belum?", "berapa lama pengiriman ke Medan?",
                   "mau retur kursinya kak", "refund saya kapan masuk?",
                   "makasih kak", "ada voucher gak?"]),
    ("cust-th-1", ["พัสดุของฉันอยู่ไหนคะ", "ส่งกี่วันคะ", "ขอคืนสินค้าได้ไหมคะ",
                   "ขอบคุณค่ะ", "มีโค้ดส่วนลดไหมคะ", "ชั้นวางรับน้ำหนักได้กี่กิโล"]),
    ("cust-vn-1", ["đơn hàng 1005 của tôi đâu rồi", "co the tra hang khong shop",
                   "toi muon doi dia chi giao hang", "cảm ơn shop", "giuong nay bao nhieu cm",
                   "thanh toan khi nhan hang duoc khong"]),
    ("cust-br-1", ["cadê meu pedido 1006?", "posso pagar com boleto?",
                   "quero devolver o sofá", "obrigada!", "vocês têm cupom?",
                   "quanto tempo demora o reembolso?"]),
    ("cust-br-2", ["e o reembolso do pedido 1007?", "como faço uma devolução?",
                   "meu reembolso já caiu?", "obrigado pela ajuda", "vocês entregam em Recife?",
                   "posso pagar no pix?"]),
    ("cust-mx-1", ["hola, ¿dónde está mi pedido?", "¿cuánto tarda el envío a Monterrey?",
                   "quiero devolver la lámpara", "gracias", "¿puedo pagar en OXXO?",
                   "¿tienen cupones de descuento?"]),
]
_FACT = re.compile(r"\d{4}-\d{2}-\d{2}|[A-Z]{2,}[A-Z0-9-]*\d[A-Z0-9-]*|\d+(?:[.,]\d+)*")


def _source_text(turn: Turn, shop: Shop) -> str:
    """What the sources a reply names say, written out independently of the agent."""
    parts = []
    for source in turn.sources:
        kind, _, ref = source.partition(":")
        if kind == "order":
            o = next(o for o in shop.orders if o.id == ref)
            parts += [o.id, o.tracking or "", str(o.total), o.currency,
                      *(f"{i.qty} {i.name} {i.unit_price}" for i in o.items)]
            if o.delivered_at is not None:
                zone = next(c.time_zone for c in shop.customers if c.id == o.customer_id)
                parts.append(dt.datetime.fromtimestamp(
                    o.delivered_at, zoneinfo.ZoneInfo(zone)).date().isoformat())
        elif kind == "kb":
            market, language, slug = ref.split("/")
            parts.append(next(a.body for a in shop.articles if (a.market, a.language, a.slug)
                              == (market, language, slug)))
        elif kind == "ticket":
            parts.append(ref)
    return " ".join(parts)


def test_fifty_replies_state_nothing_that_is_not_in_their_sources(agent: Agent,
                                                                  shop: Shop) -> None:
    turns = [(customer, turn) for customer, texts in CONVERSATIONS
             for turn in _talk(agent, shop, customer, texts)]
    assert len(turns) == 50
    langid = LinguaLanguageId()
    answered = 0
    for customer, turn in turns:
        sources = _source_text(turn, shop)
        for fact in _FACT.findall(turn.reply):
            assert fact in sources or fact.replace(",", "") in sources.replace(",", ""), (
                f"{customer}: {turn.reply!r} states {fact!r}, not in {turn.sources}")
        language = next(c.language for c in shop.customers if c.id == customer)
        if len(turn.reply) > 25:
            assert langid.detect(turn.reply, hint=language).lang == language, turn.reply
        answered += not turn.escalation.escalate
    # most turns are answered by the tier itself; the rest are handed over, never guessed
    assert answered >= 35


def test_the_order_being_discussed_is_kept_across_turns(agent: Agent, shop: Shop) -> None:
    which, status, returns = _talk(agent, shop, "cust-ph-1", [
        "where is my order?", "it's 1001", "ok and can I return it if I don't like it?"])
    assert "PH-1001" in which.reply and "PH-0950" in which.reply   # asks which one
    assert "on its way" in status.reply and "CLPH100100" in status.reply
    assert returns.memory.order_id == "PH-1001"
    assert returns.ticket is not None and returns.ticket.order_ref == "PH-1001"
    assert "30 days" in returns.reply
    assert returns.memory.asked == ["order_status", "return_request"]  # "it's 1001" carried on
    assert any("PH-1001" in p for p in returns.memory.promised)


@pytest.mark.parametrize("customer, text, lang", [
    ("cust-ph-1", "Hi", "en"), ("cust-mx-1", "Buenas tardes", "es"),
    ("cust-br-1", "Olá, boa noite", "pt-BR"), ("cust-th-1", "สวัสดีค่ะ", "th")])
def test_a_lone_greeting_is_greeted_back_and_thanks_get_a_goodbye(
        agent: Agent, shop: Shop, customer: str, text: str, lang: str) -> None:
    hello, thanks = _talk(agent, shop, customer, [text, {"en": "thanks, bye", "es": "gracias",
                                                        "pt-BR": "obrigada!",
                                                        "th": "ขอบคุณค่ะ"}[lang]])
    assert hello.reply == phrases.say("hello", lang) and not hello.escalation.escalate
    assert thanks.reply == phrases.say("goodbye", lang)


def test_a_threat_goes_to_a_person_with_an_urgent_ticket_and_a_summary_in_their_language(
        agent: Agent, shop: Shop) -> None:
    [turn] = _talk(agent, shop, "cust-br-1", [
        "já pedi o reembolso do sofá duas vezes e nada. vou abrir reclamação no PROCON"],
        agent_language="zh")
    assert turn.escalation.escalate and "procon" in turn.escalation.reason
    assert turn.ticket is not None and turn.ticket.priority == "urgent"
    assert turn.summary is not None and "转人工原因" in turn.summary
    assert "colega" in turn.reply          # told in Portuguese that a person continues


def test_asking_the_same_thing_three_times_goes_to_a_person(agent: Agent,
                                                           shop: Shop) -> None:
    turns = _talk(agent, shop, "cust-mx-1", ["¿dónde está mi pedido?"] * 3)
    assert [t.escalation.escalate for t in turns] == [False, False, True]
    assert "3 times" in turns[-1].escalation.reason


class _Writer:
    """A stand-in for a language model (the real one is cbcs.ai.llm): rewrites replies
    with a fixed edit, to show what the reply check lets through."""

    name = "stand-in writer"

    def __init__(self, edit: Any) -> None:
        self.edit = edit

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
                 json_schema: dict[str, Any] | None = None) -> str:
        reply = messages[-1].content.rsplit("Reply: ", 1)[1]
        return str(self.edit(reply))


def test_a_rewritten_reply_is_sent_only_when_it_invents_nothing(agent: Agent,
                                                              shop: Shop) -> None:
    ctx = _ctx(shop, "cust-ph-1")
    honest = Agent(agent.langid, agent.intents, agent.sentiments, agent.knowledge,
                   writer=_Writer(lambda r: "Hello! " + r))
    lying = Agent(agent.langid, agent.intents, agent.sentiments, agent.knowledge,
                  writer=_Writer(lambda r: r + " It arrives on 2026-12-24 with 20% off."))
    refusing = Agent(agent.langid, agent.intents, agent.sentiments, agent.knowledge,
                     writer=_Writer(lambda r: "As an AI language model I cannot help."))
    text = "where is my order 1001?"
    assert honest.respond(text, Memory(), ctx).written_by == "stand-in writer"
    for bad in (lying, refusing):
        turn = bad.respond(text, Memory(), ctx)
        assert turn.written_by == "phrases" and "2026-12-24" not in turn.reply
        assert "CLPH100100" in turn.reply


def test_the_reply_check_names_what_is_wrong() -> None:
    sources = "PH-1001 Lumen three-seat sofa CLPH100100"
    langid = LinguaLanguageId()
    ok = check_reply("Your order PH-1001 is on its way. Tracking number: CLPH100100.", "en",
                     sources, langid)
    assert ok.ok
    invented = check_reply("Your order PH-1001 arrives on 2026-12-09.", "en", sources, langid)
    assert not invented.ok and "2026-12-09" in invented.problems[0]
    refusal = check_reply("As an AI, I cannot help with orders.", "en", sources, langid)
    assert "refuses or leaves its role" in refusal.problems
    spanish = check_reply("Tu pedido está en camino y llegará pronto a tu casa.", "en", sources,
                          langid)
    assert any("written in es" in p for p in spanish.problems)

