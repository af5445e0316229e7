"""Conversations: start, post (stored before it is acknowledged, idempotent on the client's
id, personal data redacted), history, escalate to a human, close, tickets and articles,
and who may see what. The server only translates requests into these calls."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cbcs.bus.base import Bus, BusError
from cbcs.contact import (AuthorRole, Conversation, ConversationState, Customer, Message,
                          MessageKind, Task, Ticket)
from cbcs.contact.example import LabelledExample
from cbcs.contact.knowledge import Article
from cbcs.contact.task import ReservationStatus
from cbcs.privacy import redact
from cbcs.services.dispatch import Dispatcher
from cbcs.store.errors import Conflict, NotFound
from cbcs.translation.messages import ChatTranslator, MessageTranslations, needed_languages

if TYPE_CHECKING:
    from cbcs.store.sql import SqlStore

STAFF = ("supervisor", "admin")


def topic(conversation_id: str) -> str:
    """The bus topic of one conversation's events."""
    return f"conversation.{conversation_id}"


class NoQueue(LookupError):
    """No queue takes this conversation's language and market."""


class Forbidden(PermissionError):
    """The caller may see the conversation but not do this to it."""


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool   # False: a retry of a message stored before (same author and client_id)


class ContactCentre:
    """The use cases of the service, over the store, the bus and the dispatcher.

    With a ``translator``, messages between a customer and the human who has their
    conversation are stored as written with translations into the other party's language
    (:meth:`post`)."""

    def __init__(self, store: SqlStore, bus: Bus, dispatch: Dispatcher,
                 clock: Callable[[], float] = time.time,
                 translator: ChatTranslator | None = None, keep_originals: bool = False
                 ) -> None:
        self.store, self.bus, self.dispatch, self.clock = store, bus, dispatch, clock
        self.translator = translator
        #: keep what a redaction changed (the builder turned it on; admins read it)
        self.keep_originals = keep_originals

    # --- who may see what (the one place this is decided) ------------------------------
    async def may_see(self, role: str, subject: str, conversation: Conversation) -> bool:
        """Customers see their own conversations; agents those assigned or offered to
        them; supervisors and admins all."""
        if role in STAFF:
            return True
        if role == "customer":
            return conversation.customer_id == subject
        if role == "agent":
            if conversation.agent_id == subject:
                return True
            for res in await self.store.list_reservations(ReservationStatus.PENDING, subject):
                task = await self.store.get_task(res.task_id)
                if task.conversation_id == conversation.id:
                    return True
        return False

    async def visible(self, role: str, subject: str, conversation_id: str) -> Conversation:
        """The conversation, or :class:`NotFound` (also when it is someone else's: a
        stranger learns nothing, not even that it exists)."""
        conversation = await self.store.get_conversation(conversation_id)
        if not await self.may_see(role, subject, conversation):
            raise NotFound(f"no conversation {conversation_id!r}")
        return conversation

    # --- conversations --------------------------------------------------------------
    async def start(self, customer_id: str, channel: str = "chat", language: str | None = None,
                    market: str | None = None, order_id: str | None = None) -> Conversation:
        """A new conversation of ``customer_id`` (created on first contact); the AI tier
        answers first (state ``bot``)."""
        now = self.clock()
        try:
            customer = await self.store.get_customer(customer_id)
            if (language and language != customer.language) or (market and
                                                                 market != customer.market):
                customer = replace(customer, language=language or customer.language,
                                   market=market or customer.market)
                await self.store.put_customer(customer, now)
        except NotFound:
            customer = Customer(customer_id, language or "en", market or "US")
            await self.store.put_customer(customer, now)
        conversation = Conversation(uuid.uuid4().hex, customer_id, channel=channel,
                                    language=customer.language, market=customer.market,
                                    order_id=order_id, created_at=now, updated_at=now)
        await self.store.create_conversation(conversation)
        return conversation

    async def post_as(self, role: str, subject: str, conversation: Conversation,
                      client_id: str | None, text: str,
                      translations: Mapping[str, str] | None = None,
                      translated_by: Mapping[str, str] | None = None) -> Posted:
        """A customer posts into their own conversation (writing again reopens a closed
        one); an agent into one assigned to them. ``translations``: see :meth:`post`."""
        if role == "customer":
            if conversation.customer_id != subject:
                raise NotFound(f"no conversation {conversation.id!r}")
            if conversation.state is ConversationState.CLOSED:
                reopened = conversation.apply("reopen", self.clock())
                try:
                    await self.store.update_conversation(reopened, conversation.state)
                    conversation = reopened
                except Conflict:
                    pass   # reopened meanwhile by another message
        elif role == "agent":
            if conversation.agent_id != subject or conversation.state not in (
                    ConversationState.ASSIGNED, ConversationState.WRAP_UP):
                raise Forbidden("only the agent this conversation is assigned to may post")
        else:
            raise Forbidden(f"a {role} does not post into conversations")
        return await self.post(conversation, role, subject, client_id, text,
                               translations=translations, translated_by=translated_by)

    async def post(self, conversation: Conversation, role: str, author_id: str,
                   client_id: str | None, text: str, lang: str | None = None, *,
                   translations: Mapping[str, str] | None = None,
                   translated_by: Mapping[str, str] | None = None) -> Posted:
        """Store a message (card, phone and e-mail numbers redacted) with the next sequence
        number, then publish it; the caller acknowledges only after this returns.

        ``translations`` the caller made already (an assist suggestion's version in the
        customer's language) are kept, redacted, with their ``translated_by`` (default
        ``supplied``); the translator makes only the languages still missing."""
        author = _author(role)
        clean = redact(text).text
        if lang is None and author is AuthorRole.CUSTOMER:
            lang = conversation.language
        given = {k: redact(v).text for k, v in (translations or {}).items()}
        done = MessageTranslations(dict(given), {k: (translated_by or {}).get(k, "supplied")
                                                 for k in given})
        if self.translator is not None and conversation.agent_id is not None:
            lang, made = await self._translate(conversation, author.value, clean, lang,
                                               skip=given)
            done.translations.update(made.translations)
            done.translated_by.update(made.translated_by)
        message, created = await self.store.append_message(Message(
            conversation_id=conversation.id, author_role=author, author_id=author_id,
            text=clean, lang=lang, translations=done.translations,
            translated_by=done.translated_by, client_id=client_id, created_at=self.clock()))
        if created:
            await self._keep_original(message, text)
            await self.publish(conversation.id, message_event(message))
        return Posted(message, created)

    async def _keep_original(self, message: Message, original: str) -> None:
        if self.keep_originals and original != message.text:
            await self.store.put_original(message.conversation_id, message.seq, original,
                                          message.created_at)

    async def originals(self, conversation_id: str) -> list[tuple[int, str]]:
        """(seq, original text) of the conversation's redacted messages, when kept."""
        return await self.store.list_originals(conversation_id)

    async def _translate(self, conversation: Conversation, role: str, text: str,
                         lang: str | None, skip: Mapping[str, str] = {},
                         ) -> tuple[str | None, MessageTranslations]:
        """The message's language and its translations for the other party (the customer
        and the agent who has the conversation). The models run in worker threads; a
        model that fails leaves the message untranslated (``failed``), never unstored."""
        assert self.translator is not None and conversation.agent_id is not None
        try:
            agent, _ = await self.store.get_agent(conversation.agent_id)
            languages: dict[str, int] | None = dict(agent.languages)
        except NotFound:
            languages = None
        if lang is None:
            lang = self.translator.language_of(text, role, conversation.language, languages)
        targets = [t for t in needed_languages(role, lang, conversation.language, languages,
                                               self.translator.staff_language)
                   if t not in skip]
        return lang, await self.translator.translate(text, lang, targets)

    async def note(self, conversation_id: str, by: str, text: str) -> Message:
        """Keep an event in the conversation's record (a call's end, with its figures) and
        send it to those following the conversation."""
        message, _ = await self.store.append_message(Message(
            conversation_id, AuthorRole.SYSTEM, by, redact(text).text, kind=MessageKind.EVENT,
            created_at=self.clock()))
        await self.publish(conversation_id, message_event(message))
        return message

    async def caption(self, conversation_id: str, role: str, subject: str, text: str,
                      lang: str | None, translations: Mapping[str, str],
                      translated_by: Mapping[str, str]) -> Message:
        """Keep a call's final caption in the conversation's record (redacted, with its
        translations) and send it to those following the conversation."""
        message, _ = await self.store.append_message(Message(
            conversation_id, _author(role), subject, redact(text).text,
            kind=MessageKind.CAPTION, lang=lang or None,
            translations={k: redact(v).text for k, v in translations.items()},
            translated_by=dict(translated_by), created_at=self.clock()))
        await self._keep_original(message, text)
        await self.publish(conversation_id, message_event(message))
        return message

    async def history(self, conversation_id: str, after_seq: int = 0,
                      limit: int = 200) -> list[Message]:
        return await self.store.list_messages(conversation_id, after_seq, limit)

    async def publish(self, conversation_id: str, event: dict[str, Any]) -> None:
        try:
            await self.bus.publish(topic(conversation_id), event)
        except BusError:
            pass   # stored already: clients catch up with resume

    async def escalate(self, conversation: Conversation, reason: str) -> Conversation:
        """Ask for a human: a routing task in the queue for the conversation's market and
        language (``MX-es``, else ``es``, else ``default``)."""
        now = self.clock()
        queue = self._queue_for(conversation)
        customer = await self.store.get_customer(conversation.customer_id)
        queued = conversation.apply("escalate", now, queue=queue, agent_id=None)
        await self.store.update_conversation(queued, conversation.state)
        await self.dispatch.submit(Task(
            id=uuid.uuid4().hex, queue=queue, channel=conversation.channel,
            language=conversation.language, market=conversation.market, tier=customer.tier,
            conversation_id=conversation.id, customer_id=conversation.customer_id,
            intent=conversation.intent, sentiment=conversation.sentiment,
            # a transfer (the conversation is assigned) asks for someone else
            preferred_agent=None if conversation.state is ConversationState.ASSIGNED
            else conversation.agent_id, created_at=now))
        await self.store.append_message(Message(
            conversation.id, AuthorRole.SYSTEM, "routing",
            f"Asked for a person: {redact(reason).text}",
            kind=MessageKind.EVENT, created_at=now))
        return queued

    def _queue_for(self, conversation: Conversation) -> str:
        names = self.dispatch.router.workflows
        for name in (f"{conversation.market}-{conversation.language}", conversation.language,
                     "default"):
            if name in names:
                return name
        raise NoQueue(f"no queue takes {conversation.language} in {conversation.market}: "
                      f"create {conversation.market}-{conversation.language}, "
                      f"{conversation.language} or default")

    async def close(self, conversation: Conversation, by: str, resolution: str) -> Conversation:
        """End the conversation; the agent's slot is held for the queue's wrap-up time."""
        now = self.clock()
        if conversation.state is ConversationState.BOT:
            closed = conversation.apply("close", now)
        else:
            closed = conversation.apply("close", now).apply("wrapped", now)
        await self.store.update_conversation(closed, conversation.state)
        for task in await self.store.list_tasks(["assigned"]):  # type: ignore[list-item]
            if task.conversation_id == conversation.id and task.agent_id:
                await self.dispatch.complete(task.id, task.agent_id)
        await self.store.append_message(Message(
            conversation.id, AuthorRole.SYSTEM, by, f"Closed: {redact(resolution).text}",
            kind=MessageKind.EVENT, created_at=now))
        await self.publish(conversation.id, {"type": "closed", "conversation": conversation.id})
        return closed

    # --- routing events -------------------------------------------------------------
    async def on_routing(self, event: dict[str, Any]) -> None:
        """Keep conversations in step with their tasks (the dispatcher's hook)."""
        conversation_id = event.get("conversation")
        if not conversation_id:
            return
        try:
            conversation = await self.store.get_conversation(str(conversation_id))
        except NotFound:
            return
        kind = event.get("type")
        step = {"reservation": "offer", "released": "timeout", "assigned": "accept"}.get(
            str(kind))
        if step is None:
            return
        changes: dict[str, Any] = {}
        if kind == "assigned":
            changes["agent_id"] = event.get("agent")
        try:
            await self.store.update_conversation(
                conversation.apply(step, self.clock(), **changes), conversation.state)
        except (Conflict, ValueError):
            return   # it moved on meanwhile (closed, abandoned): nothing to follow
        if kind == "assigned":
            await self._hand_over(conversation.id, str(event.get("agent")))
            await self.publish(conversation.id, {"type": "assigned", "conversation":
                                                 conversation.id, "agent": event.get("agent")})

    async def _hand_over(self, conversation_id: str, agent_id: str) -> None:
        """A transfer: once the next agent has the conversation, the previous agent's task
        ends (their slot frees after the wrap-up time) and they stay on a call only until
        they hang up."""
        for task in await self.store.list_tasks(["assigned"]):  # type: ignore[list-item]
            if task.conversation_id == conversation_id and task.agent_id \
                    and task.agent_id != agent_id:
                with contextlib.suppress(Conflict, NotFound):
                    await self.dispatch.complete(task.id, task.agent_id)

    # --- tickets and articles -------------------------------------------------------
    async def ticket_for(self, role: str, subject: str, ticket_id: str) -> Ticket:
        """A ticket its viewer may read: customers their own, agents those of the
        conversations they can see, staff all; NotFound otherwise."""
        ticket = await self.store.get_ticket(ticket_id)
        if role in STAFF or (role == "customer" and ticket.customer_id == subject):
            return ticket
        if role == "agent" and ticket.conversation_id:
            try:
                await self.visible(role, subject, ticket.conversation_id)
                return ticket
            except NotFound:
                pass
        raise NotFound(f"no ticket {ticket_id!r}")

    async def open_ticket(self, ticket: Ticket) -> Ticket:
        ticket = replace(ticket, summary=redact(ticket.summary).text)
        await self.store.create_ticket(ticket)
        return ticket

    async def put_article(self, article: Article) -> None:
        await self.store.put_article(article)

    async def label(self, conversation: Conversation, intent: str,
                    source: str) -> LabelledExample | None:
        """An intent a person gave the conversation (``correction``) or closed it with
        (``resolved``): its customer's first message, redacted, is stored as a labelled
        example of the conversation's market and language (None: the customer wrote
        nothing)."""
        first = next((m for m in await self.history(conversation.id)
                      if m.author_role is AuthorRole.CUSTOMER), None)
        if first is None:
            return None
        example = LabelledExample("intent", conversation.market, conversation.language,
                                  intent, redact(first.text).text, source, self.clock())
        await self.store.add_example(example)
        return example


def _author(role: str) -> AuthorRole:
    return {"customer": AuthorRole.CUSTOMER, "agent": AuthorRole.AGENT,
            "ai": AuthorRole.AI}.get(role, AuthorRole.SYSTEM)


def message_event(message: Message) -> dict[str, Any]:
    """The ``message`` frame of the contract; ``translated_by`` (added) names the model
    of each translation, or ``untranslated`` / ``failed`` for a language without one."""
    return {"type": "message", "conversation": message.conversation_id, "seq": message.seq,
            "author": {"role": message.author_role.value, "id": message.author_id},
            "text": message.text, "lang": message.lang,
            "translations": dict(message.translations),
            "translated_by": dict(message.translated_by), "kind": message.kind.value,
            "created_at": message.created_at}
