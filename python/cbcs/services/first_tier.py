"""The AI tier in the service: it answers a customer's message while their conversation is
with the bot, opens the tickets it promises, hands over to a person with the reason, and
learns from the intents people correct.

One turn: the customer, their orders, their market's articles and the agent's memory of
them are read from the store; :meth:`cbcs.ai.agent.Agent.respond` runs on one worker
thread (the models are not shared between threads, and the event loop never waits on
them); then the ticket is stored, the reply posted as the AI, the conversation's intent
and sentiment updated, and, when the agent decided so, the conversation escalated through
routing with its language, market and intent. Turns of one conversation run in order.
When a person is assigned, the ticket's handoff summary is rewritten in that person's
first language.

On a call, :meth:`FirstTier.voice` gives the call its AI voice: the turn-taking loop
(:class:`cbcs.ai.voice.VoiceLoop`) on Whisper, the core's VAD and the offline voices
(loaded once, on first use); each final transcript is posted as the customer's message and
answered by the same turn as a chat message, and the reply is spoken.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from cbcs.contact import AuthorRole, Conversation, ConversationState, Message, Ticket
from cbcs.contact.example import LabelledExample
from cbcs.contact.rollout import Rollout
from cbcs.contact.ticket import TicketPriority
from cbcs.privacy import redact
from cbcs.services.conversations import ContactCentre, NoQueue
from cbcs.store.errors import Conflict, NotFound, StoreError

if TYPE_CHECKING:
    from cbcs.ai.agent import Agent, Turn
    from cbcs.ai.voice import VoiceLoop

#: loads (transcriber, synthesizer) for calls; the default is :func:`load_offline_voice`
VoiceModels = Callable[[], tuple[Any, Any]]

log = logging.getLogger("cbcs.ai")
_T = TypeVar("_T")

SENTIMENT_SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
AI_ID = "ai"
ROLLOUT_KEY = "ai.rollout"


class FirstTier:
    """The AI tier of one node over the contact centre; ``load`` builds the agent (slow:
    models), called once on the worker thread by :meth:`start`."""

    def __init__(self, centre: ContactCentre, load: Callable[[], Agent], *,
                 agent_language: str = "en", voice_models: VoiceModels | None = None) -> None:
        self.centre, self.store = centre, centre.store
        self._load, self.agent_language = load, agent_language
        self._voice_models = voice_models or load_offline_voice
        self._voices: asyncio.Future[tuple[Any, Any]] | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cbcs-ai")
        self._agent: asyncio.Future[Agent] | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Turn | None]] = set()

    async def start(self) -> None:
        """Load the models in the background, then embed the knowledge base; turns wait
        for them."""
        self._agent = asyncio.ensure_future(self._load_and_warm())

    async def _load_and_warm(self) -> Agent:
        loop = asyncio.get_running_loop()
        agent = await loop.run_in_executor(self._pool, self._load)
        try:
            articles = await self.store.list_articles()
        except StoreError as exc:
            log.warning("knowledge base not embedded ahead: %s", type(exc).__name__)
        else:
            await loop.run_in_executor(self._pool, agent.knowledge.warm, articles)
        return agent

    async def agent(self) -> Agent:
        if self._agent is None:
            await self.start()
        assert self._agent is not None
        return await self._agent

    async def run(self, fn: Callable[..., _T], /, *args: Any) -> _T:
        """``fn(*args)`` on the models' thread (the agent's models are not shared between
        threads, and the event loop never waits on them): for agent assist."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, *args)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- customers' messages --------------------------------------------------------
    def heard(self, conversation: Conversation, message: Message) -> None:
        """A customer's message was stored: answer it in the background."""
        if message.author_role is not AuthorRole.CUSTOMER:
            return
        task = asyncio.get_running_loop().create_task(self.answer(conversation.id, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def answer(self, conversation_id: str, message: Message) -> Turn | None:
        """Answer ``message`` if its conversation is still with the bot; the turn or None."""
        if len(self._locks) > 10_000:    # forget the locks of quiet conversations
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            try:
                return await self._answer(conversation_id, message)
            except (StoreError, NoQueue) as exc:
                log.warning("AI turn in conversation %s failed: %s", conversation_id,
                            type(exc).__name__)
            except Exception:   # a bug or a broken model: a person takes over
                log.exception("AI turn in conversation %s failed; handing over",
                              conversation_id)
                await self._hand_over(conversation_id)
            return None

    async def _hand_over(self, conversation_id: str) -> None:
        try:
            conversation = await self.store.get_conversation(conversation_id)
            if conversation.state is ConversationState.BOT:
                await self.centre.escalate(conversation, "the AI tier failed")
        except (StoreError, NoQueue, ValueError) as exc:
            log.warning("handing %s over failed: %s", conversation_id, type(exc).__name__)

    async def _answer(self, conversation_id: str, message: Message) -> Turn | None:
        from cbcs.ai.agent import Context, Memory

        conversation = await self.store.get_conversation(conversation_id)
        if conversation.state is not ConversationState.BOT:
            return None
        if not await self.enabled(conversation):
            await self.centre.escalate(conversation, f"the AI does not answer "
                                       f"{conversation.language} {conversation.channel} in "
                                       f"{conversation.market} yet")
            return None
        agent = await self.agent()
        customer = await self.store.get_customer(conversation.customer_id)
        orders = await self.store.list_orders(customer.id)
        articles = await self.store.list_articles(customer.market)
        memory = Memory.from_json(await self.store.get_memory(customer.id))
        if conversation.order_id and memory.order_id is None:
            memory.order_id = conversation.order_id
        ctx = Context(customer, orders, articles, self.centre.clock(),
                      uuid.uuid4().hex[:12], channel=conversation.channel,
                      agent_language=self.agent_language)
        loop = asyncio.get_running_loop()
        turn = await loop.run_in_executor(self._pool, agent.respond, message.text, memory, ctx)
        now = self.centre.clock()
        await self.store.put_memory(customer.id, turn.memory.to_json(), now)
        ticket_id = conversation.ticket_id
        if turn.ticket is not None:
            ticket = await self.centre.open_ticket(Ticket(
                turn.ticket.id, customer.id, turn.ticket.category, turn.ticket.summary,
                priority=TicketPriority(turn.ticket.priority),
                conversation_id=conversation.id, order_ref=turn.ticket.order_ref,
                created_at=now, updated_at=now))
            ticket_id = ticket.id
        changed = replace(conversation, intent=turn.intent,
                          sentiment=SENTIMENT_SCORE.get(turn.sentiment, 0.0),
                          language=turn.lang, ticket_id=ticket_id,
                          order_id=turn.memory.order_id or conversation.order_id,
                          updated_at=now)
        try:
            await self.store.update_conversation(changed, ConversationState.BOT)
            conversation = changed
        except Conflict:
            return None    # taken by a person meanwhile: the AI keeps quiet
        await self.centre.post(conversation, "ai", AI_ID, None, turn.reply, lang=turn.lang)
        if turn.escalation.escalate:
            await self.centre.escalate(conversation, turn.escalation.reason)
        return turn

    async def enabled(self, conversation: Conversation) -> bool:
        """Whether the seller's rollout lets the AI answer this conversation."""
        stored = await self.store.get_setting(ROLLOUT_KEY)
        if stored is None:
            return True
        return Rollout.parse(stored).allows(conversation.market, conversation.language,
                                            conversation.channel)

    # --- calls --------------------------------------------------------------------------
    async def _speech_models(self) -> tuple[Any, Any]:
        # not on the turns' worker: a call's models need not wait for the agent's to load
        if self._voices is None:
            self._voices = asyncio.ensure_future(asyncio.to_thread(self._voice_models))
        return await self._voices

    async def transcriber(self) -> Any:
        """The calls' speech recognizer (the voice's, loaded on first use), for captions."""
        transcriber, _ = await self._speech_models()
        return transcriber

    async def synthesizer(self) -> Any:
        """The calls' voices (loaded on first use), for spoken translations."""
        _, synthesizer = await self._speech_models()
        return synthesizer

    async def voice(self, conversation: Conversation) -> VoiceLoop:
        """The AI voice for a call in ``conversation`` (models loaded on first use; raises
        :class:`cbcs.ai.models.ModelError` when they are not installed)."""
        from cbcs.ai.voice import CoreVad, ThreadLane, VoiceLoop

        loop = asyncio.get_running_loop()
        transcriber, synthesizer = await self._speech_models()

        def reply(text: str, language: str) -> str:
            # on the voice's lane: the turn runs on the event loop like a chat message's
            done = asyncio.run_coroutine_threadsafe(
                self._voice_turn(conversation.id, text, language), loop)
            return done.result(timeout=60.0)

        # the language the customer is known to speak, so Whisper need not detect it
        language = conversation.language
        if language is None:
            with contextlib.suppress(StoreError, NotFound):
                language = (await self.store.get_customer(conversation.customer_id)).language
        return VoiceLoop(vad=CoreVad(transcriber.sample_rate), transcriber=transcriber,
                         synthesizer=synthesizer, reply=reply, lane=ThreadLane(),
                         language=language)

    async def _voice_turn(self, conversation_id: str, text: str, language: str) -> str:
        conversation = await self.store.get_conversation(conversation_id)
        posted = await self.centre.post(conversation, "customer", conversation.customer_id,
                                        None, text, lang=language or None)
        turn = await self.answer(conversation_id, posted.message)
        return turn.reply if turn is not None else ""

    # --- people at work ---------------------------------------------------------------
    async def on_assigned(self, conversation_id: str, agent_id: str) -> None:
        """Rewrite the handoff summary in the assigned person's first language."""
        from cbcs.ai import phrases

        try:
            conversation = await self.store.get_conversation(conversation_id)
            if not conversation.ticket_id:
                return
            person, _ = await self.store.get_agent(agent_id)
            language = max(person.languages.items(), key=lambda kv: kv[1])[0] \
                if person.languages else self.agent_language
            if language == self.agent_language or not phrases.has(language):
                return
            ticket = await self.store.get_ticket(conversation.ticket_id)
            summary = await self._summary(conversation, language)
            if summary:
                await self.store.update_ticket(replace(
                    ticket, summary=redact(summary).text, updated_at=self.centre.clock()))
        except (StoreError, NotFound) as exc:
            log.warning("handoff summary for %s: %s", conversation_id, type(exc).__name__)

    async def _summary(self, conversation: Conversation, language: str) -> str | None:
        from cbcs.ai.agent import Context, Memory

        agent = await self.agent()
        customer = await self.store.get_customer(conversation.customer_id)
        last = [m for m in await self.centre.history(conversation.id)
                if m.author_role is AuthorRole.CUSTOMER]
        if not last:
            return None
        orders = await self.store.list_orders(customer.id)
        memory = Memory.from_json(await self.store.get_memory(customer.id))
        ctx = Context(customer, orders, (), self.centre.clock(), conversation.ticket_id or "",
                      agent_language=language)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, agent.summary, last[-1].text,
                                          memory, ctx)

    async def learn(self, example: LabelledExample) -> None:
        """A labelled example a person made (:meth:`ContactCentre.label`): the classifier
        learns it now."""
        agent = await self.agent()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, agent.learn, example)


def load_offline(store_examples: list[LabelledExample] | None = None) -> Callable[[], Agent]:
    """The offline agent (cbcs[ai]): lingua, e5, the shipped examples and ``store_examples``."""

    def load() -> Agent:
        from cbcs.ai.agent import Agent
        from cbcs.ai.classifier import escalations, intents, sentiments
        from cbcs.ai.embeddings import E5Embeddings
        from cbcs.ai.knowledge import KnowledgeIndex
        from cbcs.ai.langid import LinguaLanguageId

        e5 = E5Embeddings()
        agent = Agent(LinguaLanguageId(), intents(e5), sentiments(e5), KnowledgeIndex(e5),
                      escalations=escalations(e5))
        for example in store_examples or ():
            agent.learn(example)
        # each classifier fits on first use: do it now, not in a customer's first turn
        agent.intents.classify("warm up")
        agent.sentiments.classify("warm up")
        if agent.escalations is not None:
            agent.escalations.probabilities(["warm up"])
        return agent

    return load


def load_offline_voice() -> tuple[Any, Any]:
    """Whisper base (multilingual) and the offline voices (piper for English, espeak-ng for
    es, pt-BR, id, vi and th), for calls."""
    from cbcs.ai.asr import WhisperTranscriber
    from cbcs.ai.tts import VoiceRouter

    return WhisperTranscriber(), VoiceRouter.default()
