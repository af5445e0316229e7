"""Agent assist in the service: the panel beside a conversation a person handles.

:meth:`AssistService.panel` reads what :class:`cbcs.ai.assist.Assistant` needs from the
store (the history, the customer, their orders as the connector reported them, their
market's articles, the first tier's memory of them, the ticket) and runs it on the first
tier's model thread, in the language of the agent who reads it. After each customer
message in a conversation a person has, :meth:`AssistService.heard` sends the assigned
agent a live ``assist`` frame (on the bus topic ``agent.<id>``, so it reaches their
console on whichever node it is connected to). When the agent sends a suggestion,
:meth:`AssistService.translations_for` gives the customer's-language version composed with
it, to be stored beside the agent's text as its translation. When a person closes the
conversation, :meth:`AssistService.closed` writes the summary in their language on its
ticket (a solved ticket is opened for it when the conversation had none).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cbcs.bus.base import BusError
from cbcs.contact import AuthorRole, Conversation, ConversationState, Ticket
from cbcs.contact.ticket import TicketStatus
from cbcs.privacy import redact
from cbcs.services.conversations import ContactCentre
from cbcs.store.errors import Conflict, NotFound, StoreError

if TYPE_CHECKING:
    from cbcs.ai.assist import Assist, Assistant, Translates
    from cbcs.services.first_tier import FirstTier

log = logging.getLogger("cbcs.ai.assist")

#: the ticket category of a conversation closed with this intent and no ticket
CATEGORY = {"order_status": "order", "shipping_time": "delivery", "cancel_order": "order",
            "change_address": "delivery", "return_request": "return",
            "damaged_item": "return", "wrong_item": "return", "refund_status": "refund",
            "payment_methods": "payment", "coupon_discount": "payment",
            "product_question": "product", "account_login": "account",
            "complaint": "complaint", "speak_to_human": "callback"}
#: how many customer messages of a conversation the panel reads (the latest ones)
HISTORY = 200


class AssistService:
    """Agent assist of one node over the contact centre and the first tier's models."""

    def __init__(self, centre: ContactCentre, first_tier: FirstTier, *,
                 translator: Translates | None = None, agent_language: str = "en",
                 remember: int = 1000) -> None:
        self.centre, self.store, self.first_tier = centre, centre.store, first_tier
        self.translator, self.agent_language = translator, agent_language
        self._assistant: Assistant | None = None
        self._last: OrderedDict[str, Assist] = OrderedDict()   # latest panel per conversation
        self._remember = remember
        self._tasks: set[asyncio.Task[None]] = set()

    async def assistant(self) -> Assistant:
        from cbcs.ai.assist import Assistant

        if self._assistant is None:
            self._assistant = Assistant(await self.first_tier.agent(), self.translator)
        return self._assistant

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def reader_language(self, conversation: Conversation) -> str:
        """The language the conversation's agent reads best (the node's staff language
        while no agent has it, or when their profile is gone)."""
        from cbcs.ai.assist import agent_language

        if conversation.agent_id:
            try:
                person, _ = await self.store.get_agent(conversation.agent_id)
                return agent_language(person.languages, self.agent_language)
            except NotFound:
                pass
        return self.agent_language

    # --- the panel --------------------------------------------------------------------
    async def panel(self, conversation: Conversation, language: str | None = None) -> Assist:
        """Suggestions, sentiment over time, the order and the summary, in ``language``
        (default: the assigned agent's)."""
        from cbcs.ai.agent import Context, Memory

        lang = language or await self.reader_language(conversation)
        customer = await self.store.get_customer(conversation.customer_id)
        orders = await self.store.list_orders(customer.id)
        articles = await self.store.list_articles(customer.market)
        memory = Memory.from_json(await self.store.get_memory(customer.id))
        messages = await self.centre.history(conversation.id,
                                             max(0, conversation.last_seq - HISTORY), HISTORY)
        summary: str | None = None
        if conversation.state is ConversationState.CLOSED and conversation.ticket_id:
            try:
                summary = (await self.store.get_ticket(conversation.ticket_id)).summary
            except NotFound:
                pass
        handed_over = conversation.state is not ConversationState.BOT \
            or conversation.agent_id is not None
        ctx = Context(customer, orders, articles, self.centre.clock(),
                      conversation.ticket_id or "", channel=conversation.channel,
                      agent_language=lang)
        assistant = await self.assistant()
        if memory.language is None:
            memory.language = conversation.language

        def work() -> Assist:
            return assistant.assist(conversation.id, messages, memory, ctx,
                                    order_id=conversation.order_id,
                                    ticket_id=conversation.ticket_id,
                                    handed_over=handed_over, summary=summary)

        done = await self.first_tier.run(work)
        self._last[conversation.id] = done
        self._last.move_to_end(conversation.id)
        while len(self._last) > self._remember:
            self._last.popitem(last=False)
        return done

    # --- live -------------------------------------------------------------------------
    def heard(self, conversation_id: str) -> None:
        """A customer's message was stored: send the assigned agent a fresh panel (in the
        background; nothing when no person has the conversation)."""
        task = asyncio.get_running_loop().create_task(self._push(conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, conversation_id: str) -> None:
        try:
            conversation = await self.store.get_conversation(conversation_id)
            agent_id = conversation.agent_id
            if conversation.state is not ConversationState.ASSIGNED or not agent_id:
                return
            panel = await self.panel(conversation)
            await self.centre.bus.publish(f"agent.{agent_id}", frame(panel))
        except (StoreError, BusError) as exc:
            log.warning("assist for %s not sent: %s", conversation_id, type(exc).__name__)
        except Exception:   # a bug or a broken model costs the panel, not the conversation
            log.exception("assist for %s failed", conversation_id)

    # --- sending a suggestion -----------------------------------------------------------
    async def translations_for(self, conversation: Conversation, suggestion_id: str,
                               text: str) -> tuple[dict[str, str], dict[str, str]]:
        """``({customer language: composed text}, {customer language: how it was made})``
        of the suggestion ``suggestion_id`` when the agent sends its text unchanged; empty
        when they edited it (their own words get the ordinary translation), it is not one
        of the latest suggestions, or it has no customer's-language version."""
        panel = self._last.get(conversation.id)
        found = panel.find(suggestion_id) if panel is not None else None
        if found is None:       # made on another node, or before a restart: make it again
            found = (await self.panel(conversation)).find(suggestion_id)
        if found is None or found.customer.text is None or found.customer.lang == found.lang \
                or " ".join(found.text.split()) != " ".join(text.split()):
            return {}, {}
        lang = found.customer.lang
        return {lang: found.customer.text}, {lang: found.customer.provider}

    # --- closing ----------------------------------------------------------------------
    async def closed(self, before: Conversation, closed: Conversation,
                     resolution: str) -> Ticket | None:
        """Write the closing summary, in the language of the person who had the
        conversation, on its ticket (opened, solved, when it had none); None when no
        person had it or the customer wrote nothing."""
        from cbcs.ai.agent import Context, Memory

        if before.agent_id is None and before.state is ConversationState.BOT:
            return None
        history = await self.centre.history(closed.id, max(0, closed.last_seq - HISTORY),
                                            HISTORY)
        if not any(m.author_role is AuthorRole.CUSTOMER for m in history):
            return None
        lang = await self.reader_language(before)
        customer = await self.store.get_customer(closed.customer_id)
        orders = await self.store.list_orders(customer.id)
        memory = Memory.from_json(await self.store.get_memory(customer.id))
        memory.language = memory.language or closed.language
        ctx = Context(customer, orders, (), self.centre.clock(), closed.ticket_id or "",
                      channel=closed.channel, agent_language=lang)
        assistant = await self.assistant()

        def work() -> str | None:
            return assistant.closing_summary(history, memory, ctx, resolution,
                                             order_id=closed.order_id)

        text = await self.first_tier.run(work)
        if text is None:
            return None
        summary = redact(text).text[:4000]
        now = self.centre.clock()
        if closed.ticket_id:
            try:
                ticket = await self.store.get_ticket(closed.ticket_id)
                ticket = replace(ticket, summary=summary, updated_at=now)
                await self.store.update_ticket(ticket)
                return ticket
            except NotFound:
                pass
        ticket = await self.centre.open_ticket(Ticket(
            uuid.uuid4().hex[:12], customer.id, CATEGORY.get(closed.intent or "", "other"),
            summary, status=TicketStatus.SOLVED, conversation_id=closed.id,
            order_ref=closed.order_id or (orders[0].id if len(orders) == 1 else None),
            created_at=now, updated_at=now))
        try:
            await self.store.update_conversation(replace(closed, ticket_id=ticket.id),
                                                 closed.state)
        except Conflict:
            log.info("conversation %s moved on before its summary ticket was linked",
                     closed.id)
        return ticket


def frame(panel: Assist) -> dict[str, Any]:
    """The live ``assist`` frame of a panel."""
    body = panel.to_json()
    return {"type": "assist", "conversation": body["conversation"],
            "lang": body["lang"], "customer_lang": body["customer_lang"],
            "intent": body["intent"], "suggestions": body["suggestions"],
            "sentiment": body["sentiment"], "order": body["order"]}
