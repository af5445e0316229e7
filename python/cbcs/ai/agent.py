"""The first-tier agent: one customer turn in, a checked reply (or a handoff) out.

For each turn, on chat and voice alike, :meth:`Agent.respond` finds the language, the
intent, the entities (order, product, amount) and the sentiment; answers from the sources
only (the customer's orders as the connector reports them, the knowledge base of their
market in their language, the ticket it opens); remembers across turns and channels what
order is being discussed, what was asked and what was promised (:class:`Memory`, kept per
customer by the caller); and decides whether a person should take over, with the reason,
a ticket and a summary in the human agent's language.

Replies are composed from :mod:`cbcs.ai.phrases` with facts filled in. A language model
(``writer``) may rephrase them where there is time (chat); its text is sent only when it
passes :func:`check_reply` (the customer's language, no refusal, no number, code or date
that is not in the sources), else the composed text goes. Plain Python: time and the
customer's data come in through :class:`Context`; no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cbcs.ai import phrases
from cbcs.ai.entities import Entities, extract
from cbcs.ai.escalation import Decision, decide
from cbcs.ai.knowledge import KnowledgeIndex
from cbcs.ai.langid import LanguageId
from cbcs.ai.nearest import Example
from cbcs.ai.providers import ChatMessage, ChatModel
from cbcs.contact import Customer
from cbcs.contact.example import LabelledExample
from cbcs.contact.knowledge import Article
from cbcs.contact.order import Order, OrderStatus


class Classifier(Protocol):
    def classify(self, text: str) -> Any:
        """An object with ``label`` and ``confidence``."""

    def add(self, examples: Iterable[Any]) -> None:
        """Learn from more labelled examples."""


@dataclass
class Memory:
    """What the agent remembers of one customer, across turns and channels."""

    order_id: str | None = None
    asked: list[str] = field(default_factory=list)       # intents, in order
    promised: list[str] = field(default_factory=list)    # what was promised, with tickets
    language: str | None = None
    turns: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "asked": self.asked[-20:],
                "promised": self.promised[-20:], "language": self.language,
                "turns": self.turns}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Memory:
        data = data or {}
        return cls(data.get("order_id"), list(data.get("asked", [])),
                   list(data.get("promised", [])), data.get("language"),
                   int(data.get("turns", 0)))


@dataclass(frozen=True)
class Context:
    """What the caller looked up for this turn: the customer, their orders (newest first),
    their market's articles, the time, and the id a ticket would get."""

    customer: Customer
    orders: Sequence[Order]
    articles: Sequence[Article]
    now: float
    ticket_id: str
    channel: str = "chat"
    agent_language: str = "en"        # for the handoff summary
    voice_emotion: str | None = None  # calm | frustrated | angry, from the call's audio


@dataclass(frozen=True)
class TicketDraft:
    id: str
    category: str
    priority: str
    summary: str
    order_ref: str | None


@dataclass(frozen=True)
class Turn:
    """Everything the agent decided about one turn."""

    lang: str
    intent: str
    intent_confidence: float
    sentiment: str
    emotion: str
    entities: Entities
    reply: str
    sources: tuple[str, ...]           # "order:PH-1001", "kb:PH/en/returns", "ticket:T1"
    escalation: Decision
    ticket: TicketDraft | None
    summary: str | None                # for the human agent, in their language
    written_by: str                    # "phrases" or the writer model's name
    memory: Memory


@dataclass(frozen=True)
class Check:
    ok: bool
    problems: tuple[str, ...] = ()


_REFUSAL = re.compile(
    r"as an ai|i('m| am) (just )?an ai|language model|i can(no|')t (help|assist)|"
    r"no puedo ayudar|não posso ajudar|nao posso ajudar|saya tidak bisa membantu|"
    r"作为(一个)?(ai|人工智能|语言模型)|我无法(帮助|协助)|ไม่สามารถช่วย|không thể giúp|"
    r"hindi kita matutulungan", re.IGNORECASE)
_FACT = re.compile(r"\d{4}-\d{2}-\d{2}|[A-Z]{2,}[A-Z0-9-]*\d[A-Z0-9-]*|\d+(?:[.,]\d+)*")


def _digits(token: str) -> str:
    return re.sub(r"[.,\s]", "", token)


def check_reply(reply: str, lang: str, sources: str, langid: LanguageId | None) -> Check:
    """Whether ``reply`` may be sent: in ``lang``, no refusal, and every number, code and
    date in it also in ``sources`` (the text of the facts it was given)."""
    problems = []
    if not reply.strip():
        problems.append("empty")
    if _REFUSAL.search(reply):
        problems.append("refuses or leaves its role")
    known = {_digits(t) for t in _FACT.findall(sources)} | {t for t in _FACT.findall(sources)}
    for token in _FACT.findall(reply):
        if token not in known and _digits(token) not in known:
            problems.append(f"states {token!r}, which is in no source")
    if langid is not None:
        found = langid.detect(reply, hint=lang)
        if found.lang != lang and not found.guessed and found.confidence >= 0.5:
            problems.append(f"written in {found.lang}, not {lang}")
    return Check(not problems, tuple(problems))


_CATEGORY = {"order_status": "order", "shipping_time": "delivery", "cancel_order": "order",
             "change_address": "delivery", "return_request": "return",
             "damaged_item": "return", "wrong_item": "return", "refund_status": "refund",
             "payment_methods": "payment", "coupon_discount": "payment",
             "product_question": "product", "account_login": "account",
             "complaint": "complaint", "speak_to_human": "callback",
             "thanks_goodbye": "other"}
_OPEN = (OrderStatus.PLACED, OrderStatus.PAID)
_KB_INTENTS = ("shipping_time", "payment_methods", "product_question", "coupon_discount",
               "account_login")
_ORDER_INTENTS = ("order_status", "refund_status", "cancel_order", "change_address",
                  "return_request", "damaged_item", "wrong_item")


class Agent:
    """The first-tier agent over its providers (see the module docstring)."""

    def __init__(self, langid: LanguageId, intents: Classifier, sentiments: Classifier,
                 knowledge: KnowledgeIndex, *, escalations: Any = None,
                 writer: ChatModel | None = None, repeat_limit: int = 3) -> None:
        self.langid, self.intents, self.sentiments = langid, intents, sentiments
        self.escalations = escalations   # a TextClassifier over ESCALATION_LABELS, or None
        self.knowledge, self.writer, self.repeat_limit = knowledge, writer, repeat_limit

    # --- one turn -------------------------------------------------------------------
    def respond(self, text: str, memory: Memory, ctx: Context) -> Turn:
        memory = replace(memory, asked=list(memory.asked), promised=list(memory.promised))
        hint = memory.language or ctx.customer.language
        found = self.langid.detect(text, hint=hint)
        # a short text close to a neighbour language (pt-BR and es) does not switch the
        # conversation's language; a clear one does
        lang = found.lang if found.lang == hint or found.confidence >= SWITCH_CONFIDENCE \
            else hint
        intent = self.intents.classify(text)
        sentiment = self.sentiments.classify(text).label
        entities = extract(text, ctx.orders, ctx.customer.market)
        reference_only = _only_a_reference(text, entities)
        if reference_only and memory.asked:
            # "it's 1001" answers the last question: the intent carries on
            intent = _Carried(memory.asked[-1])
        if entities.order_id:
            memory.order_id = entities.order_id
        emotion = _emotion(sentiment, intent.label, ctx.voice_emotion)
        decision = decide(text, intent.label, sentiment,
                          None if reference_only else self._learned(text))
        if not decision.escalate and ctx.voice_emotion == "angry":
            decision = Decision(True, "angry (voice)")
        carried = isinstance(intent, _Carried)
        if not decision.escalate and not carried and memory.asked.count(intent.label) + 1 \
                >= self.repeat_limit and intent.label != "thanks_goodbye":
            decision = Decision(True, f"asked about {intent.label.replace('_', ' ')} "
                                      f"{self.repeat_limit} times")
        if not carried:
            memory.asked.append(intent.label)
        memory.language, memory.turns = lang, memory.turns + 1

        parts: list[str] = []
        sources: list[str] = []
        facts: list[str] = [f"ticket {ctx.ticket_id}"]
        ticket_reason: str | None = None
        if not decision.escalate:
            ticket_reason = self._answer(text, intent.label, lang, entities, memory, ctx,
                                         parts, sources, facts)
            if not parts:
                decision = Decision(True, "no answer in the sources")
        ticket: TicketDraft | None = None
        summary = None
        order = self._order(memory, ctx)
        if decision.escalate:
            summary = self._summary(text, intent.label, lang, emotion, decision.reason,
                                    order, ctx)
            ticket = TicketDraft(ctx.ticket_id, _CATEGORY[intent.label],
                                 _priority(decision.reason, emotion),
                                 summary, order.id if order else None)
            parts = [phrases.say("sorry", lang)] if sentiment == "negative" else []
            if decision.reason == "no answer in the sources":
                parts += [phrases.say("no_answer", lang),
                          phrases.say("ticket", lang, ticket=ctx.ticket_id)]
            else:
                parts.append(phrases.say("handoff", lang, ticket=ctx.ticket_id))
            sources.append(f"ticket:{ctx.ticket_id}")
            memory.promised.append(f"a person will continue (ticket {ctx.ticket_id})")
        elif ticket_reason is not None:
            ticket = TicketDraft(ctx.ticket_id, _CATEGORY[intent.label],
                                 "high" if intent.label in ("damaged_item", "wrong_item")
                                 else "normal", ticket_reason, order.id if order else None)
            sources.append(f"ticket:{ctx.ticket_id}")
            memory.promised.append(f"{ticket_reason} (ticket {ctx.ticket_id})")
        composed = " ".join(parts)
        reply, written_by = composed, "phrases"
        if self.writer is not None and ctx.channel == "chat" and not decision.escalate:
            rewritten = self._rewrite(composed, lang, text)
            if rewritten and check_reply(rewritten, lang, " ".join(facts) + " " + composed,
                                         self.langid).ok:
                reply, written_by = rewritten, self.writer.name
        return Turn(lang, intent.label, float(intent.confidence), sentiment, emotion,
                    entities, reply, tuple(sources), decision, ticket, summary, written_by,
                    memory)

    def _learned(self, text: str) -> dict[str, float] | None:
        if self.escalations is None:
            return None
        labels, matrix = self.escalations.probabilities([text])
        return dict(zip(labels, (float(p) for p in matrix[0])))

    def learn(self, example: LabelledExample) -> None:
        """A person's label for a text (an intent corrected, a conversation resolved)."""
        target = self.intents if example.kind == "intent" else self.sentiments
        target.add([Example(example.text, example.language, example.label, example.market)])

    def summary(self, text: str, memory: Memory, ctx: Context) -> str:
        """The handoff summary of a customer's last message, in ``ctx.agent_language``."""
        lang = self.langid.detect(text, hint=memory.language or ctx.customer.language).lang
        intent = self.intents.classify(text).label
        sentiment = self.sentiments.classify(text).label
        decision = decide(text, intent, sentiment, self._learned(text))
        emotion = _emotion(sentiment, intent, ctx.voice_emotion)
        return self._summary(text, intent, lang, emotion,
                             decision.reason or "asked for a person", self._order(memory, ctx),
                             ctx)

    # --- answers from the sources ---------------------------------------------------
    def _order(self, memory: Memory, ctx: Context) -> Order | None:
        for o in ctx.orders:
            if o.id == memory.order_id:
                return o
        return None

    def _answer(self, text: str, intent: str, lang: str, entities: Entities, memory: Memory,
                ctx: Context, parts: list[str], sources: list[str],
                facts: list[str]) -> str | None:
        """Fill ``parts`` with the reply's sentences; returns a ticket's summary when the
        answer opens one."""
        if intent == "thanks_goodbye":
            parts.append(phrases.say("hello" if phrases.is_greeting(text) else "goodbye", lang))
            return None
        if intent == "complaint":
            parts += [phrases.say("sorry", lang), phrases.say("ticket", lang,
                                                               ticket=ctx.ticket_id)]
            return f"complaint: {text[:300]}"
        order = self._order(memory, ctx)
        if intent in _ORDER_INTENTS and order is None:
            if entities.unknown_order:
                parts.append(phrases.say("no_such_order", lang, order=entities.unknown_order))
            elif len(ctx.orders) == 1 and intent in ("order_status", "refund_status"):
                order = ctx.orders[0]
                memory.order_id = order.id
            elif ctx.orders and intent in ("order_status", "refund_status", "cancel_order",
                                           "change_address"):
                parts.append(phrases.say("which_order", lang, orders=", ".join(
                    o.id for o in ctx.orders[:5])))
            elif intent not in ("return_request", "damaged_item", "wrong_item"):
                parts.append(phrases.say("ask_order", lang))
            if order is None and parts:
                return None
        if order is not None and intent in ("order_status", "refund_status", "shipping_time"):
            self._order_facts(order, lang, ctx, parts, facts)
            sources.append(f"order:{order.id}")
        if intent in ("cancel_order", "change_address") and order is not None:
            sources.append(f"order:{order.id}")
            facts.append(order.id)
            if order.status in _OPEN:
                parts.append(phrases.say("ticket", lang, ticket=ctx.ticket_id))
                return f"{intent.replace('_', ' ')} of {order.id} ({order.status.value})"
            if intent == "cancel_order" or order.status is not OrderStatus.SHIPPED:
                self._order_facts(order, lang, ctx, parts, facts)
                self._kb(text, "return_request", lang, ctx, parts, sources, facts)
                return None
            parts += [phrases.say("already_shipped", lang, order=order.id),
                      phrases.say("ticket", lang, ticket=ctx.ticket_id)]
            return f"change address of shipped order {order.id}"
        if intent in ("damaged_item", "wrong_item"):
            parts += [phrases.say("photo", lang), phrases.say("ticket", lang,
                                                               ticket=ctx.ticket_id)]
            if order is not None:
                sources.append(f"order:{order.id}")
            return f"{intent.replace('_', ' ')}" + (f" in {order.id}" if order else "")
        if intent == "return_request":
            self._kb(text, intent, lang, ctx, parts, sources, facts)
            if parts and order is not None:
                parts.append(phrases.say("ticket", lang, ticket=ctx.ticket_id))
                sources.append(f"order:{order.id}")
                return f"return of {order.id}"
            if parts:
                parts.append(phrases.say("ask_order", lang))
            return None
        if intent == "refund_status" or intent in _KB_INTENTS:
            self._kb(text, intent, lang, ctx, parts, sources, facts)
        return None

    def _order_facts(self, order: Order, lang: str, ctx: Context, parts: list[str],
                     facts: list[str]) -> None:
        items = ", ".join(f"{i.qty} x {i.name}" if i.qty > 1 else i.name for i in order.items)
        parts.append(phrases.say("order", lang, order=order.id, items=items,
                                 status=phrases.say(f"status.{order.status.value}", lang)))
        facts += [order.id, items]
        if order.tracking and order.status is OrderStatus.SHIPPED:
            parts.append(phrases.say("tracking", lang, tracking=order.tracking))
            facts.append(order.tracking)
        if order.delivered_at is not None and order.status is OrderStatus.DELIVERED:
            day = _date(order.delivered_at, ctx.customer.time_zone)
            parts.append(phrases.say("delivered_on", lang, date=day))
            facts.append(day)

    def _kb(self, text: str, intent: str, lang: str, ctx: Context, parts: list[str],
            sources: list[str], facts: list[str]) -> None:
        hit = self.knowledge.search(text, ctx.articles, ctx.customer.market, lang, intent)
        if hit is not None:
            parts.append(hit.article.body)
            facts.append(hit.article.body)
            sources.append(f"kb:{hit.article.market}/{hit.article.language}/"
                           f"{hit.article.slug}")

    # --- handoff --------------------------------------------------------------------
    def _summary(self, text: str, intent: str, lang: str, emotion: str, reason: str,
                 order: Order | None, ctx: Context) -> str:
        to = ctx.agent_language
        order_part = phrases.say("summary.order", to, order=order.id, status=phrases.say(
            f"status.{order.status.value}", to)) if order else ""
        customer = ctx.customer.name or ctx.customer.id
        return phrases.say("summary", to, customer=customer, market=ctx.customer.market,
                           lang=lang, intent=intent.replace("_", " "), order=order_part,
                           emotion=emotion, reason=reason, text=text[:500])

    def _rewrite(self, composed: str, lang: str, question: str) -> str | None:
        assert self.writer is not None
        prompt = (f"Rewrite the support reply below as one friendly message in the "
                  f"language with code {lang}. Keep every fact, number and code exactly; "
                  f"add no fact.\nCustomer: {question}\nReply: {composed}")
        try:
            return self.writer.complete([ChatMessage("user", prompt)], max_tokens=200).strip()
        except Exception:   # a writer's failure costs only the rephrasing
            return None


#: how sure language id must be to move a conversation to another language
SWITCH_CONFIDENCE = 0.8


@dataclass(frozen=True)
class _Carried:
    """An intent carried over from the previous turn."""

    label: str
    confidence: float = 1.0


def _only_a_reference(text: str, entities: Entities) -> bool:
    """Whether ``text`` is little more than an order number ("it's 1001", "#PH-1001")."""
    if not (entities.order_id or entities.unknown_order):
        return False
    words = re.findall(r"\w+", text)
    return len(words) <= 4


def _emotion(sentiment: str, intent: str, voice: str | None) -> str:
    if voice in ("angry", "frustrated"):
        return voice
    if sentiment == "negative":
        return "angry" if intent == "complaint" else "frustrated"
    return "calm"


def _priority(reason: str, emotion: str) -> str:
    if reason.startswith("threatens"):
        return "urgent"
    if emotion == "angry" or "refused" in reason or "high-value" in reason:
        return "high"
    return "normal"


def _date(when: float, time_zone: str | None) -> str:
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(time_zone) if time_zone else dt.timezone.utc
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return dt.datetime.fromtimestamp(when, zone).date().isoformat()
