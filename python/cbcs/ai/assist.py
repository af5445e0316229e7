"""Agent assist: what the AI offers the person who handles a conversation.

While a human has a conversation, :class:`Assistant` reads it as the first tier would
(language, intent, entities, sentiment of the customer's latest message, over the same
models) and offers the agent:

- up to three **suggested replies**, each in the agent's language to read and in the
  customer's language to send. Both are composed from the same pieces: sentences of
  :mod:`cbcs.ai.phrases` with facts from the order connector, and the knowledge-base
  article of the customer's market in the customer's language. A piece is written
  directly in each language where it can be (the phrases cover the eight languages; the
  seller may keep the same article, same market and slug, in the agent's language too),
  which is better than machine translation; only the rest is translated, with the
  provider named, and what no model covers is reported ``untranslated``, never faked.
  Each version passes :func:`cbcs.ai.agent.check_reply`: every number, code and date in
  it is in the sources it cites (the articles, the order's fields, the ticket);
- the customer's **sentiment over time**, one point per customer message (with the
  voice's emotion where a call gave one);
- the **order** being discussed, as the connector reports it;
- a **summary** in the agent's language once the conversation was handed over or closed
  (the first tier's handoff summary, :meth:`cbcs.ai.agent.Agent.summary`).

Plain Python: the caller reads the store and passes time in; no I/O. The models run in the
caller's thread (the first tier's model thread in the service).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cbcs.ai import phrases
from cbcs.ai.agent import SWITCH_CONFIDENCE, Agent, Context, Memory, check_reply
from cbcs.ai.entities import Entities, extract
from cbcs.ai.langid import LanguageId
from cbcs.contact.knowledge import Article
from cbcs.contact.message import AuthorRole, Message, MessageKind
from cbcs.contact.order import Order, OrderStatus

#: how many suggestions an agent is offered at most
LIMIT = 3
#: ``provider`` of a version written directly in its language (phrases and articles)
COMPOSED = "composed"
#: ``provider`` of a version no model could translate
UNTRANSLATED = "untranslated"

_OPEN = (OrderStatus.PLACED, OrderStatus.PAID)
_ORDER_INTENTS = ("order_status", "refund_status", "cancel_order", "change_address",
                  "return_request", "damaged_item", "wrong_item", "shipping_time")
#: intents whose answer is the knowledge base first, the order second
_KB_FIRST = ("shipping_time", "payment_methods", "product_question", "coupon_discount",
             "account_login", "return_request", "refund_status")

#: the close summary's last sentence, in the agent's language
_RESOLUTION = {
    "en": "Resolution: {resolution}", "es": "Resolución: {resolution}",
    "pt-BR": "Resolução: {resolution}", "id": "Penyelesaian: {resolution}",
    "th": "ผลการดำเนินการ: {resolution}", "vi": "Kết quả xử lý: {resolution}",
    "tl": "Resolusyon: {resolution}", "zh": "处理结果：{resolution}"}


class Translated(Protocol):
    """What a translation service answers (:class:`cbcs.translation.Translation`)."""

    @property
    def text(self) -> str | None: ...

    @property
    def provider(self) -> str: ...


class Translates(Protocol):
    """A translation service (:class:`cbcs.translation.TranslationService`)."""

    def translate(self, text: str, source: str, target: str) -> Translated: ...


# --- what a suggestion is made of -------------------------------------------------------

@dataclass(frozen=True)
class Say:
    """A sentence of :mod:`cbcs.ai.phrases`; ``status``: an order status spelt out in it."""

    key: str
    facts: Mapping[str, str] = field(default_factory=dict)
    status: str | None = None

    def render(self, lang: str) -> str:
        facts = dict(self.facts)
        if self.status is not None:
            facts["status"] = phrases.say(f"status.{self.status}", lang)
        return phrases.say(self.key, lang, **facts)


@dataclass(frozen=True)
class Quote:
    """A knowledge-base article's body, as the seller wrote it."""

    article: Article


Piece = Say | Quote


@dataclass(frozen=True)
class Source:
    """What a suggestion states comes from: a ``kb`` article (``ref`` market/language/slug,
    ``use``: ``sent`` to the customer or ``shown`` to the agent), an ``order`` and the
    fields of it the text states, or a ``ticket``."""

    kind: str
    ref: str
    title: str | None = None
    use: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        if self.kind == "kb":
            market, language, slug = self.ref.split("/", 2)
            return {"kind": "kb", "market": market, "language": language, "slug": slug,
                    "title": self.title, "use": self.use}
        out: dict[str, Any] = {"kind": self.kind, "id": self.ref}
        if self.fields:
            out["fields"] = dict(self.fields)
        return out


@dataclass(frozen=True)
class Version:
    """A suggestion in one language: ``text`` (None: no model covers the pair) and how it
    was made (``composed``, a translation provider such as ``bergamot``, or
    ``untranslated``)."""

    lang: str
    text: str | None
    provider: str


@dataclass(frozen=True)
class Suggestion:
    """One suggested reply: ``text`` in the agent's language (``lang``) to read and edit,
    ``customer`` the same reply in the customer's language, to send."""

    id: str
    intent: str
    kind: str                    # "kb", "order", "ask_order", "photo", "goodbye" ...
    text: str
    lang: str
    provider: str
    customer: Version
    sources: tuple[Source, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "intent": self.intent, "kind": self.kind, "text": self.text,
                "lang": self.lang, "provider": self.provider,
                "customer_text": self.customer.text, "customer_lang": self.customer.lang,
                "customer_provider": self.customer.provider,
                "sources": [s.to_json() for s in self.sources]}


@dataclass(frozen=True)
class Understanding:
    """What the AI made of the customer's latest message."""

    text: str
    lang: str
    intent: str
    sentiment: str
    entities: Entities


@dataclass(frozen=True)
class SentimentPoint:
    """One customer message's sentiment; ``emotion`` only where the call's voice gave one."""

    seq: int
    at: float
    sentiment: str
    emotion: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "sentiment": self.sentiment,
                "emotion": self.emotion}


@dataclass(frozen=True)
class Assist:
    """Everything the agent is shown for one conversation."""

    conversation: str
    lang: str
    customer_lang: str
    suggestions: tuple[Suggestion, ...]
    sentiment: tuple[SentimentPoint, ...]
    order: dict[str, Any] | None
    summary: str | None
    intent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"conversation": self.conversation, "lang": self.lang,
                "customer_lang": self.customer_lang, "intent": self.intent,
                "suggestions": [s.to_json() for s in self.suggestions],
                "sentiment": [p.to_json() for p in self.sentiment],
                "order": self.order, "summary": self.summary}

    def find(self, suggestion_id: str) -> Suggestion | None:
        return next((s for s in self.suggestions if s.id == suggestion_id), None)


# --- composing ----------------------------------------------------------------------------

def agent_language(languages: Mapping[str, int], default: str = "en") -> str:
    """The language an agent reads best that the phrases are written in (their first
    language by level; ``default`` when they list none the phrases cover)."""
    ranked = sorted(languages.items(), key=lambda kv: -kv[1])
    for lang, _ in ranked:
        if phrases.has(lang):
            return lang
    return default


def candidates(u: Understanding, order: Order | None, orders: Sequence[Order],
               kb: Article | None, *, ticket_id: str | None,
               time_zone: str | None) -> list[tuple[str, list[Piece], list[Source]]]:
    """The replies worth offering for ``u``, best first, as (kind, pieces, sources)."""
    sorry: list[Piece] = [Say("sorry")] if u.sentiment == "negative" else []
    out: list[tuple[str, list[Piece], list[Source]]] = []
    if kb is not None:
        out.append(("kb", [*sorry, Quote(kb)], []))
    if order is not None and u.intent in _ORDER_INTENTS:
        pieces, fields = order_facts(order, time_zone)
        out.append(("order", [*sorry, *pieces], [Source("order", order.id, fields=fields)]))
        if u.intent in ("cancel_order", "change_address") and order.status not in _OPEN:
            out.append(("already_shipped", [Say("already_shipped", {"order": order.id})],
                        [Source("order", order.id, fields={"status": order.status.value})]))
    elif u.intent in _ORDER_INTENTS:
        if u.entities.unknown_order:
            out.append(("no_such_order",
                        [Say("no_such_order", {"order": u.entities.unknown_order})], []))
        elif len(orders) > 1:
            ids = ", ".join(o.id for o in orders[:5])
            out.append(("which_order", [Say("which_order", {"orders": ids})],
                        [Source("order", o.id) for o in orders[:5]]))
        else:
            out.append(("ask_order", [Say("ask_order")], []))
    if u.intent in ("damaged_item", "wrong_item"):
        out.append(("photo", [Say("photo")], []))
    if u.intent == "thanks_goodbye":
        out.append(("goodbye", [Say("goodbye")], []))
    if ticket_id and (u.intent == "complaint" or u.sentiment == "negative"):
        out.append(("ticket", [*sorry, Say("ticket", {"ticket": ticket_id})],
                    [Source("ticket", ticket_id)]))
    if not out and sorry:
        out.append(("sorry", sorry, []))
    if u.intent not in _KB_FIRST:
        out.sort(key=lambda c: c[0] == "kb")      # order facts before the article
    return out


def order_facts(order: Order, time_zone: str | None) -> tuple[list[Piece], dict[str, str]]:
    """The sentences that state an order's state, and the fields they state."""
    items = ", ".join(f"{i.qty} x {i.name}" if i.qty > 1 else i.name for i in order.items)
    pieces: list[Piece] = [Say("order", {"order": order.id, "items": items},
                               status=order.status.value)]
    fields = {"status": order.status.value, "items": items}
    if order.tracking and order.status is OrderStatus.SHIPPED:
        pieces.append(Say("tracking", {"tracking": order.tracking}))
        fields["tracking"] = order.tracking
    if order.delivered_at is not None and order.status is OrderStatus.DELIVERED:
        day = local_date(order.delivered_at, time_zone)
        pieces.append(Say("delivered_on", {"date": day}))
        fields["delivered_on"] = day
    return pieces, fields


def _facts(pieces: Sequence[Piece], sources: Sequence[Source]) -> str:
    parts: list[str] = []
    for p in pieces:
        parts += list(p.facts.values()) if isinstance(p, Say) else [p.article.body]
    for s in sources:
        parts += [s.ref, *s.fields.values()]
    return " ".join(parts)


class Assistant:
    """Agent assist over the first tier's agent and, optionally, a translation service
    for what cannot be written directly in a language (see the module docstring)."""

    def __init__(self, agent: Agent, translator: Translates | None = None, *,
                 limit: int = LIMIT, remember: int = 20_000) -> None:
        self.agent, self.translator, self.limit = agent, translator, limit
        self._sentiments: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._remember = remember

    @property
    def langid(self) -> LanguageId:
        return self.agent.langid

    # --- reading the customer ---------------------------------------------------------
    def understand(self, text: str, memory: Memory, ctx: Context) -> Understanding:
        """Language, intent, entities and sentiment of the customer's ``text``, as the first
        tier reads a turn ("it's 1008" carries on the intent asked before)."""
        hint = memory.language or ctx.customer.language
        found = self.langid.detect(text, hint=hint)
        lang = found.lang if found.lang == hint or found.confidence >= SWITCH_CONFIDENCE \
            else hint
        entities = extract(text, ctx.orders, ctx.customer.market)
        intent = self.agent.intents.classify(text).label
        if (entities.order_id or entities.unknown_order) and memory.asked \
                and len(re.findall(r"\w+", text)) <= 4:
            intent = memory.asked[-1]
        sentiment = self.agent.sentiments.classify(text).label
        return Understanding(text, lang, str(intent), str(sentiment), entities)

    def sentiment(self, conversation_id: str, messages: Sequence[Message],
                  voice: Mapping[int, str] | None = None) -> list[SentimentPoint]:
        """One point per customer message, in order (each message classified once)."""
        points = []
        for m in customer_messages(messages):
            key = (conversation_id, m.seq)
            label = self._sentiments.get(key)
            if label is None:
                label = str(self.agent.sentiments.classify(m.text).label)
                self._sentiments[key] = label
                while len(self._sentiments) > self._remember:
                    self._sentiments.popitem(last=False)
            points.append(SentimentPoint(m.seq, m.created_at, label,
                                         (voice or {}).get(m.seq)))
        return points

    # --- the whole panel ------------------------------------------------------------
    def assist(self, conversation_id: str, messages: Sequence[Message], memory: Memory,
               ctx: Context, *, order_id: str | None = None, ticket_id: str | None = None,
               handed_over: bool = False, summary: str | None = None,
               voice: Mapping[int, str] | None = None) -> Assist:
        """What the agent (reading ``ctx.agent_language``) is shown for the conversation.

        ``messages``: its history; ``memory``: the first tier's memory of the customer;
        ``order_id``: the conversation's order; ``handed_over``: a person has or had it
        (then the handoff summary is written, unless ``summary`` is given: the one stored
        at close); ``voice``: the call's emotion by message seq, where there was one."""
        to = ctx.agent_language
        customer_lang = memory.language or ctx.customer.language
        said = customer_messages(messages)
        points = self.sentiment(conversation_id, messages, voice)
        if not said:
            order = self.order_of(None, memory, ctx, order_id)
            return Assist(conversation_id, to, customer_lang, (), tuple(points),
                          order_panel(order, to, ctx.customer.time_zone), summary)
        last = said[-1]
        u = self.understand(last.text, memory, ctx)
        order = self.order_of(u.entities.order_id, memory, ctx, order_id)
        suggestions = self.suggest(conversation_id, u, order, ctx, ticket_id=ticket_id)
        if summary is None and handed_over:
            summary = self.summary(last.text, replace(memory, order_id=order.id if order
                                                      else memory.order_id), ctx)
        return Assist(conversation_id, to, u.lang, tuple(suggestions), tuple(points),
                      order_panel(order, to, ctx.customer.time_zone), summary, u.intent)

    def order_of(self, named: str | None, memory: Memory, ctx: Context,
                 order_id: str | None) -> Order | None:
        """The order being discussed: ``named`` in the latest message, else the one the AI
        remembers, else the conversation's (``order_id``), else the customer's only one."""
        wanted = [named, memory.order_id, order_id]
        for want in wanted:
            for o in ctx.orders:
                if want and o.id == want:
                    return o
        return ctx.orders[0] if len(ctx.orders) == 1 else None

    def summary(self, text: str, memory: Memory, ctx: Context,
                resolution: str | None = None) -> str:
        """The handoff summary of the customer's last message ``text`` in
        ``ctx.agent_language`` (the first tier's), with the resolution when closing."""
        out = self.agent.summary(text, memory, ctx)
        if resolution:
            template = _RESOLUTION.get(ctx.agent_language, _RESOLUTION["en"])
            out += " " + template.format(resolution=resolution)
        return out

    def closing_summary(self, messages: Sequence[Message], memory: Memory, ctx: Context,
                        resolution: str, *, order_id: str | None = None) -> str | None:
        """The summary of a conversation a person closes, in ``ctx.agent_language``: the
        customer's last message (written, if they wrote any: a call's captions are
        recognised speech, a poorer account of the case), the order discussed (as the panel
        found it) and the resolution; None when the customer wrote and said nothing."""
        said = customer_messages(messages)
        written = [m for m in said if m.kind is MessageKind.TEXT]
        said = written or said
        if not said:
            return None
        named = extract(said[-1].text, ctx.orders, ctx.customer.market).order_id
        order = self.order_of(named, memory, ctx, order_id)
        memory = replace(memory, order_id=order.id if order else memory.order_id)
        return self.summary(said[-1].text, memory, ctx, resolution)

    # --- suggestions ----------------------------------------------------------------
    def suggest(self, conversation_id: str, u: Understanding, order: Order | None,
                ctx: Context, *, ticket_id: str | None = None) -> list[Suggestion]:
        """Up to :attr:`limit` checked suggestions for the customer's latest message."""
        hit = self.agent.knowledge.search(u.text, ctx.articles, ctx.customer.market, u.lang,
                                          u.intent)
        kb = hit.article if hit is not None else None
        out: list[Suggestion] = []
        for kind, pieces, sources in candidates(u, order, ctx.orders, kb,
                                                ticket_id=ticket_id,
                                                time_zone=ctx.customer.time_zone):
            made = self._compose(conversation_id, u, kind, pieces, sources, ctx)
            if made is not None and all(made.text != s.text for s in out):
                out.append(made)
            if len(out) >= self.limit:
                break
        return out

    def _compose(self, conversation_id: str, u: Understanding, kind: str,
                 pieces: Sequence[Piece], sources: Sequence[Source],
                 ctx: Context) -> Suggestion | None:
        to = ctx.agent_language
        facts = _facts(pieces, sources)
        customer, sent = self._render(pieces, u.lang, ctx.articles)
        if customer.text is None:
            return None    # nothing to send in the customer's language
        if not self._checked(customer, facts + " " + " ".join(a.body for a in sent)):
            return None
        shown, cited = self._render(pieces, to, ctx.articles)
        all_facts = facts + " " + " ".join(a.body for a in (*sent, *cited))
        text = shown.text
        if text is None or not self._checked(shown, all_facts):
            # the agent reads the customer's version, marked untranslated
            shown, cited, text = Version(to, None, UNTRANSLATED), list(sent), customer.text
        refs: list[Source] = [Source("kb", _ref(a), a.title, "sent") for a in sent]
        refs += [Source("kb", _ref(a), a.title, "shown") for a in cited
                 if _ref(a) not in {r.ref for r in refs}]
        digest = hashlib.sha256("\x1f".join((conversation_id, to, text, u.lang,
                                             customer.text)).encode()).hexdigest()[:16]
        return Suggestion(digest, u.intent, kind, text, to, shown.provider, customer,
                          (*refs, *sources))

    def _checked(self, version: Version, facts: str) -> bool:
        assert version.text is not None
        # composed text is trusted in its language (product names stay as the seller wrote
        # them, which can fool language id); a machine translation must be in its language
        langid = None if version.provider == COMPOSED else self.langid
        return check_reply(version.text, version.lang, facts, langid).ok

    def _render(self, pieces: Sequence[Piece], lang: str,
                articles: Sequence[Article]) -> tuple[Version, list[Article]]:
        """``pieces`` written in ``lang``, and the articles whose text it uses."""
        parts: list[str] = []
        providers: list[str] = []
        cited: list[Article] = []
        for piece in pieces:
            if isinstance(piece, Say):
                if phrases.has(lang):
                    parts.append(piece.render(lang))
                    by = COMPOSED
                else:
                    text, by = self._translate(piece.render("en"), "en", lang)
                    if text is None:
                        return Version(lang, None, UNTRANSLATED), cited
                    parts.append(text)
            else:
                article = piece.article
                own = article if article.language == lang else next(
                    (a for a in articles if (a.market, a.slug, a.language)
                     == (article.market, article.slug, lang)), None)
                if own is not None:
                    parts.append(own.body)
                    cited.append(own)
                    by = COMPOSED
                else:
                    text, by = self._translate(article.body, article.language, lang)
                    if text is None:
                        return Version(lang, None, UNTRANSLATED), cited
                    parts.append(text)
                    cited.append(article)
            if by not in providers:
                providers.append(by)
        return Version(lang, " ".join(parts), "+".join(providers) or COMPOSED), cited

    def _translate(self, text: str, source: str, target: str) -> tuple[str | None, str]:
        if self.translator is None:
            return None, UNTRANSLATED
        try:
            done = self.translator.translate(text, source, target)
        except Exception:   # noqa: BLE001 - a model's failure leaves the piece untranslated
            return None, UNTRANSLATED
        return done.text, done.provider


# --- helpers ------------------------------------------------------------------------------

def customer_messages(messages: Sequence[Message]) -> list[Message]:
    """What the customer wrote or said (chat messages and call captions), in order."""
    return [m for m in messages if m.author_role is AuthorRole.CUSTOMER
            and m.kind in (MessageKind.TEXT, MessageKind.CAPTION)]


def order_panel(order: Order | None, lang: str, time_zone: str | None) -> dict[str, Any] | None:
    """The order as the connector reports it, for the agent's side panel."""
    if order is None:
        return None
    return {"id": order.id, "status": order.status.value,
            "status_text": phrases.say(f"status.{order.status.value}", lang),
            "items": [{"sku": i.sku, "name": i.name, "qty": i.qty,
                       "unit_price": str(i.unit_price)} for i in order.items],
            "currency": order.currency, "total": str(order.total),
            "tracking": order.tracking, "placed_at": order.placed_at,
            "updated_at": order.updated_at, "delivered_at": order.delivered_at,
            "delivered_on": local_date(order.delivered_at, time_zone)
            if order.delivered_at is not None else None}


def local_date(when: float, time_zone: str | None) -> str:
    """``when`` (Unix seconds) as an ISO date in ``time_zone`` (UTC when unknown)."""
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(time_zone) if time_zone else dt.timezone.utc
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return dt.datetime.fromtimestamp(when, zone).date().isoformat()


def _ref(article: Article) -> str:
    return f"{article.market}/{article.language}/{article.slug}"
