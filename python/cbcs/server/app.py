"""The aiohttp application of one node: middlewares, the route table, the WebSocket
endpoint, and the start and stop of what it uses (``cleanup_ctx``). Wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from cbcs.bus import Bus, BusError, open_bus
from cbcs.contact import Conversation, ConversationState
from cbcs.errors import CbcsError, ConfigError
from cbcs.server import openapi, pages, rest, schemas, ws
from cbcs.server.api import ApiError, aiohttp_handler, error_response
from cbcs.server.audit import Auditor
from cbcs.server.auth import AuthError, Principal, Role, TokenAuthority, load_admin_key
from cbcs.server.config import ServerConfig
from cbcs.server.fanout import Fanout
from cbcs.server.metrics import Metrics
from cbcs.server.ratelimit import RateLimiter
from cbcs.server.rooms import RoomHub
from cbcs.services.calls import CallCentre, CallError, describe
from cbcs.services.conversations import ContactCentre, Posted, message_event
from cbcs.services.dispatch import Dispatcher
from cbcs.services.assist import AssistService
from cbcs.services.first_tier import FirstTier, load_offline
from cbcs.store import SqlStore, default_url, open_store
from cbcs.store.errors import NotFound, StoreError
from cbcs.translation.messages import ChatTranslator, first_language

log = logging.getLogger("cbcs.server")

VERSION = "1"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data: blob:; media-src 'self' blob:; "
                                "connect-src 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'self'"),
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}

class Node:
    """What the handlers share: config, auth, limits, metrics, rooms and the services.

    The store, bus, dispatcher and contact centre are opened when the application starts
    (:func:`_lifetime`) and closed when it stops."""

    store: SqlStore
    bus: Bus
    dispatch: Dispatcher
    centre: ContactCentre
    fanout: Fanout
    first_tier: FirstTier | None = None
    assist: AssistService | None = None

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.node_id = config.node_id or f"{config.host}:{config.port}:{os.getpid()}"
        admin_key, self.admin_key_source = load_admin_key(config.data_dir)
        self.auth = TokenAuthority(admin_key)
        self.metrics = Metrics()
        limits = config.limits
        self.per_token = RateLimiter(limits.per_token)
        self.per_ip = RateLimiter(limits.per_ip)
        self.login_per_ip = RateLimiter(limits.login_per_ip)
        self.clock: Callable[[], float] = time.time
        self.per_conversation = RateLimiter(limits.messages_per_conversation)
        self.call_offers = RateLimiter(limits.call_offers)
        self.calls = CallCentre(ice_addresses=config.call_addresses,
                                on_quality=self._call_quality, on_leg_end=self._leg_ended,
                                captions=self._captioner if config.captions else None,
                                on_caption=self._caption)
        self._caption_lanes: dict[str, Any] = {}     # conversation -> its captioners' lane
        self.rooms = RoomHub(self._publish_comment, comment_rate=limits.room_comment,
                             max_length=limits.room_comment_chars,
                             flush_s=limits.room_flush_s)
        self.auditor = Auditor(lambda: self.store, lambda: self.clock())
        self.connections: set[ws.Session] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.stopping = False

    # --- life -------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the store and the bus, start routing and the fan-out."""
        url = self.config.store_url or default_url(self.config.data_dir)
        self.store = await open_store(url)
        try:
            self.bus = await open_bus(self.config.bus_url)
        except BusError:
            await self.store.close()
            raise
        self.dispatch = Dispatcher(self.store, self.bus, node=self.node_id, clock=self.clock)
        translator = await self._translator()
        if translator is not None:
            self.dispatch.router.covers = translator.service.covers
        self.centre = ContactCentre(self.store, self.bus, self.dispatch, clock=self.clock,
                                    translator=translator,
                                    keep_originals=self.config.keep_originals)
        self.dispatch.hook = self._on_routing
        if self.config.ai == "offline":
            examples = await self.store.list_examples("intent")
            self.first_tier = FirstTier(self.centre, load_offline(examples),
                                        agent_language=self.config.ai_agent_language)
            await self.first_tier.start()
            # agent assist shares the first tier's models and the chat's translation
            self.assist = AssistService(
                self.centre, self.first_tier, agent_language=self.config.ai_agent_language,
                translator=translator.service if translator is not None else None)
        self.fanout = Fanout(self.bus, self.rooms, self._history)
        self.fanout.on_agent_event = self._agent_event
        self.fanout.start()
        await self.dispatch.start()

    async def _translator(self) -> ChatTranslator | None:
        """Chat translation as configured (``translation``); a broken model install is
        logged and the node runs untranslated."""
        from cbcs.ai.models import ModelError
        from cbcs.translation import default_service

        mode = self.config.translation
        if mode == "off":
            return None
        if mode not in ("bergamot", "llm"):
            raise ConfigError(f"translation: expected bergamot, llm or off, got {mode!r}")
        try:
            service = await asyncio.to_thread(default_service, llm=mode == "llm")
        except ModelError as exc:
            log.warning("chat stays untranslated: %s", exc)
            return None
        return ChatTranslator(service, staff_language=self.config.ai_agent_language)

    async def close(self) -> None:
        """Stop taking work, close every socket, hand back this node's offers, close."""
        self.stopping = True
        for session in list(self.connections):
            session.conn.close_soon(1001, "server shutting down")
        await asyncio.sleep(0)
        await self.dispatch.stop()
        with contextlib.suppress(StoreError, BusError, OSError):
            released = await self.dispatch.release_node_offers()
            if released:
                log.info("handed back %d pending offers", released)
        for agent_id in list(self.dispatch.hosted):
            with contextlib.suppress(StoreError, BusError, OSError):
                await self.dispatch.disconnect(agent_id)
        for task in list(self._background):
            task.cancel()
        await self.calls.close()
        if self.assist is not None:
            await self.assist.close()
        if self.first_tier is not None:
            await self.first_tier.close()
        await self.fanout.stop()
        self.rooms.close()
        await self.bus.close()
        await self.store.close()

    async def _on_routing(self, event: dict[str, Any]) -> None:
        await self.centre.on_routing(event)
        if self.first_tier is not None and event.get("type") == "assigned" \
                and event.get("conversation") and event.get("agent"):
            await self.first_tier.on_assigned(str(event["conversation"]), str(event["agent"]))
            if self.assist is not None:   # the new agent's first panel
                self.assist.heard(str(event["conversation"]))

    # --- the live channel -----------------------------------------------------------
    async def connected(self, session: ws.Session) -> None:
        """An agent's console keeps the agent connected (their presence) on this node."""
        p = session.principal
        if p.role is Role.AGENT:
            self.fanout.host_agent(session.follower, p.subject)
            try:
                await self.dispatch.connect(p.subject)
            except NotFound:
                session.error("not_found", f"no agent {p.subject!r}: an admin or supervisor "
                              f"creates it with PUT /api/v1/agents/{p.subject}")

    async def disconnected(self, session: ws.Session) -> None:
        p = session.principal
        self.fanout.drop(session.follower)
        await self.calls.owner_gone(session)
        if p.role is Role.AGENT and not self.fanout.agent_sessions(p.subject) \
                and not self.stopping:
            with contextlib.suppress(StoreError, BusError, OSError):
                await self.dispatch.disconnect(p.subject)

    def _agent_event(self, follower: Any, event: dict[str, Any]) -> None:
        # an agent follows a conversation from the moment it is theirs (whole history)
        if event.get("type") == "assigned" and event.get("conversation"):
            asyncio.get_running_loop().create_task(
                self.fanout.follow(follower, str(event["conversation"]), 0))

    async def _history(self, conversation: str, after_seq: int) -> list[dict[str, Any]]:
        return [message_event(m) for m in await self.centre.history(conversation, after_seq)]

    def ai_answers_call(self, conversation: Conversation) -> None:
        """A customer called in a conversation the AI has: its voice joins the call (in the
        background; the first call waits for the speech models to load)."""
        if self.first_tier is None or not self.config.ai_voice \
                or conversation.state is not ConversationState.BOT:
            return

        async def join() -> None:
            from cbcs.ai.models import ModelError

            assert self.first_tier is not None
            try:
                if not await self.first_tier.enabled(conversation):
                    return
                voice = await self.first_tier.voice(conversation)
                self.calls.add_voice(conversation.id, voice)
            except ModelError as exc:
                log.warning("no AI voice on calls: %s", exc)
            except CallError:
                pass   # the customer hung up meanwhile

        task = asyncio.get_running_loop().create_task(join())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _call_quality(self, conversation: str, legs: dict[str, dict[str, Any]]) -> None:
        # for the console and the supervisor: the fan-out does not send it to customers
        await self.centre.publish(conversation, {"type": "call.quality",
                                                 "conversation": conversation, "legs": legs})

    async def _captioner(self, conversation_id: str, party: str) -> Any:
        """A captioner for a person's leg (None without the AI tier's speech models): one
        lane per call, so the call's captions take one core at most."""
        from cbcs.ai.captions import Captioner
        from cbcs.ai.voice import CoreVad, ThreadLane

        if self.first_tier is None:
            return None
        transcriber = await self.first_tier.transcriber()
        role, subject = party.split(":", 1)
        language = await self._language_of(conversation_id, role, subject)
        lane = self._caption_lanes.get(conversation_id)
        if lane is None:
            lane = self._caption_lanes[conversation_id] = ThreadLane()
        return Captioner(vad=CoreVad(transcriber.sample_rate), transcriber=transcriber,
                         lane=lane, language=language)

    async def _language_of(self, conversation_id: str, role: str, subject: str) -> str | None:
        """What a party speaks: the customer's conversation language (or their own), an
        agent's first language; None when not known (the captioner detects it)."""
        try:
            if role == "customer":
                conversation = await self.store.get_conversation(conversation_id)
                if conversation.language:
                    return conversation.language
                return (await self.store.get_customer(conversation.customer_id)).language
            if role == "agent":
                person, _ = await self.store.get_agent(subject)
                return first_language(person.languages)
        except (StoreError, NotFound):
            pass
        return None

    async def _caption(self, conversation_id: str, party: str, caption: Any) -> None:
        """A caption to everyone following the conversation; a final one translated into
        the other parties' languages and kept in the conversation's record."""
        from cbcs.ai.captions import caption_event

        role, subject = party.split(":", 1)
        if not caption.final:
            await self.centre.publish(conversation_id, caption_event(
                conversation_id, role, caption))
            return
        translations, by = await self._translate_caption(conversation_id, party, caption)
        message = await self.centre.caption(conversation_id, role, subject, caption.text,
                                            caption.lang, translations, by)
        event = caption_event(conversation_id, role, caption, translations, by)
        event["text"], event["seq"] = message.text, message.seq
        if caption.end_ms is not None:   # end of speech to text, as this node heard it
            event["delay_ms"] = round(caption.ready_ms - caption.end_ms)
        await self.centre.publish(conversation_id, event)
        for listener in self.calls.spoken_to(conversation_id):
            if listener != party:
                await self._speak_caption(conversation_id, listener, translations)

    async def _speak_caption(self, conversation_id: str, listener: str,
                             translations: dict[str, str]) -> None:
        """Say a caption's translation to a listener who asked for it, in their language
        (nothing where it was not translated or no offline voice speaks the language)."""
        from cbcs.ai.tts import to_call_audio

        role, subject = listener.split(":", 1)
        lang = await self._language_of(conversation_id, role, subject)
        text = translations.get(lang or "")
        if not text or self.first_tier is None:
            return
        voices = await self.first_tier.synthesizer()
        try:
            pcm = await asyncio.to_thread(to_call_audio, voices, text, lang or "")
        except CbcsError as exc:   # e.g. no voice for the language: captions only
            log.info("no spoken translation into %s: %s", lang, exc)
            return
        self.calls.speak_to(conversation_id, listener, pcm)

    async def _translate_caption(self, conversation_id: str, party: str, caption: Any
                                 ) -> tuple[dict[str, str], dict[str, str]]:
        """The caption in the languages of the call's other parties who speak another."""
        targets: set[str] = set()
        for other in self.calls.parties(conversation_id):
            if other != party and not other.startswith("ai:"):
                role, subject = other.split(":", 1)
                lang = await self._language_of(conversation_id, role, subject)
                if lang and caption.lang and lang != caption.lang:
                    targets.add(lang)
        texts: dict[str, str] = {}
        by: dict[str, str] = {}
        translator = self.centre.translator   # the chat's (``translation``): None when off
        for target in sorted(targets):
            if translator is None:
                by[target] = "untranslated"
                continue
            try:
                done = await asyncio.to_thread(translator.service.translate,
                                               caption.text, caption.lang, target)
            except Exception as exc:   # the caption goes out untranslated, and says so
                log.warning("caption translation %s->%s failed: %s", caption.lang, target,
                            type(exc).__name__)
                by[target] = "untranslated"
                continue
            by[target] = done.provider
            if done.text is not None:
                texts[target] = done.text
        return texts, by

    async def _leg_ended(self, conversation: str, party: str, reason: str,
                         figures: dict[str, Any]) -> None:
        role = party.split(":", 1)[0]
        if not self.calls.parties(conversation):
            lane = self._caption_lanes.pop(conversation, None)
            if lane is not None:
                lane.close()
        # the parties still on the call are told at once; the record keeps the figures
        await self.centre.publish(conversation, {
            "type": "call.left", "conversation": conversation, "party": role,
            "reason": reason, "parties": [p.split(":", 1)[0]
                                          for p in self.calls.parties(conversation)]})
        await self.centre.note(conversation, "call",
                               describe(role, figures["seconds"], reason, figures))

    async def _publish_comment(self, room: str, comment: dict[str, Any]) -> int:
        seq: int = await self.bus.publish_numbered(f"room.{room}", comment)
        return seq

    async def post_message(self, principal: Principal, conversation: Conversation,
                           client_id: str, text: str, suggestion: str | None = None) -> Posted:
        """The one path of a message, over REST or the WebSocket: rate limit, then store
        (the caller acknowledges after this), then fan out. An agent sending an assist
        ``suggestion`` unchanged has its customer's-language version stored as the
        message's translation (the text they sent is kept as written)."""
        key = f"{conversation.id}:{principal.subject}"
        if not self.per_conversation.allow(key, self.clock()):
            self.metrics.rate_limited.labels("conversation").inc()
            raise _limited(self.per_conversation.retry_after(key, self.clock()))
        given: tuple[dict[str, str], dict[str, str]] = ({}, {})
        if suggestion and self.assist is not None and principal.role is Role.AGENT \
                and conversation.agent_id == principal.subject:
            given = await self.assist.translations_for(conversation, suggestion, text)
        posted = await self.centre.post_as(principal.role.value, principal.subject,
                                           conversation, client_id, text,
                                           translations=given[0], translated_by=given[1])
        self.metrics.messages.labels("stored" if posted.created else "retry").inc()
        if posted.created and self.first_tier is not None \
                and principal.role is Role.CUSTOMER:
            self.first_tier.heard(conversation, posted.message)
            if self.assist is not None and conversation.agent_id \
                    and conversation.state is ConversationState.ASSIGNED:
                self.assist.heard(conversation.id)
        return posted

    async def correct_intent(self, conversation: Conversation, intent: str) -> Conversation:
        """A person's intent for the conversation; the AI tier learns it (stored as a
        labelled example even when the AI tier is off on this node)."""
        changed = dataclasses.replace(conversation, intent=intent, updated_at=self.clock())
        await self.store.update_conversation(changed, conversation.state)
        await self._learn(changed, intent, "correction")
        return changed

    async def close_conversation(self, conversation: Conversation, by: str,
                                 resolution: str) -> Conversation:
        closed = await self.centre.close(conversation, by, resolution)
        if conversation.intent and conversation.state is not ConversationState.BOT:
            await self._learn(conversation, conversation.intent, "resolved")
        if self.assist is not None:
            # the summary in the closing person's language, on the conversation's ticket
            try:
                summary = await self.assist.closed(conversation, closed, resolution)
            except StoreError as exc:
                log.warning("closing summary of %s not stored: %s", closed.id,
                            type(exc).__name__)
            else:
                if summary is not None and closed.ticket_id != summary.id:
                    closed = dataclasses.replace(closed, ticket_id=summary.id)
        return closed

    async def _learn(self, conversation: Conversation, intent: str, source: str) -> None:
        example = await self.centre.label(conversation, intent, source)
        if example is not None and self.first_tier is not None:
            await self.first_tier.learn(example)

    def authenticate(self, request: web.Request) -> Principal:
        """The principal of a request's bearer credential; AuthError when it is missing
        or bad, ApiError 429 once this address has had too many refused (a good
        credential from the same address still passes: one broken client behind an
        office's NAT does not lock out the rest)."""
        ip = request.remote or "?"
        now = self.clock()
        try:
            return self._verify(request)
        except AuthError:
            if not self.login_per_ip.allow(ip, now):   # count the refusal
                self.metrics.rate_limited.labels("auth").inc()
                raise _limited(self.login_per_ip.retry_after(ip, now)) from None
            raise

    def _verify(self, request: web.Request) -> Principal:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() != "bearer":
                raise AuthError("expected 'Authorization: Bearer <token>'")
        else:
            credential = request.query.get("token", "")
        return self.auth.verify(credential.strip(), self.clock())

    async def audit(self, principal: Principal | None, action: str, target: str,
                    status: int, detail: dict[str, Any] | None = None) -> None:
        """Keep a supervisor's or an admin's action in the audit log."""
        await self.auditor.record(principal, action, target, status, detail)

    def limit(self, request: web.Request, principal: Principal | None) -> None:
        now = self.clock()
        ip = request.remote or "?"
        if not self.per_ip.allow(ip, now):
            self.metrics.rate_limited.labels("ip").inc()
            raise _limited(self.per_ip.retry_after(ip, now))
        if principal is not None:
            key = f"{principal.role.value}:{principal.subject}"
            if not self.per_token.allow(key, now):
                self.metrics.rate_limited.labels("token").inc()
                raise _limited(self.per_token.retry_after(key, now))


NODE: web.AppKey[Node] = web.AppKey("node")


def _limited(retry_after: float) -> ApiError:
    seconds = max(1, int(retry_after + 0.999))
    return ApiError(429, "rate_limited", f"too many requests: retry in {seconds} s",
                    headers={"Retry-After": str(seconds)})


@web.middleware
async def _guard(request: web.Request,
                 handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Security headers, JSON errors for aiohttp's own refusals, and one log line per
    request that names the route, never the query (tokens) or the body (personal data)."""
    node: Node = request.app[NODE]
    started = time.perf_counter()
    route = request.match_info.route.resource.canonical if request.match_info.route.resource \
        else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPRequestEntityTooLarge:
        response = error_response(413, "too_large",
                                  f"body over {request.client_max_size} bytes")
    except web.HTTPException as exc:
        if exc.status >= 400:
            response = error_response(exc.status, "not_found" if exc.status == 404
                                      else "http_error", exc.reason)
        else:
            raise
    elapsed = time.perf_counter() - started
    node.metrics.requests.labels(route, str(response.status)).inc()
    node.metrics.request_seconds.labels(route).observe(elapsed)
    if not response.prepared:
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
    log.info("%s %s %d %.1fms", request.method, route, response.status, elapsed * 1000)
    return response


def create_app(config: ServerConfig, *, node: Node | None = None) -> web.Application:
    """The application of one node; ``web.run_app(create_app(config))`` serves it."""
    node = node or Node(config)
    app = web.Application(middlewares=[_guard], client_max_size=config.limits.max_body_bytes)
    app[NODE] = node
    table = rest.table()
    for route in table.routes:
        app.router.add_route(route.method, route.path,
                             aiohttp_handler(route, node),
                             name=route.handler.__name__)
    doc = openapi.document(table.routes, [*schemas.CLIENT_FRAMES, *schemas.SERVER_FRAMES],
                           title="cbcs service", version=VERSION)

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(doc)

    async def healthz(_request: web.Request) -> web.Response:
        """``ok``; ``degraded`` while the store or the bus is away (the node answers, with
        503/507 where it needs them); ``stopping`` (503) after SIGTERM."""
        store = node.store.health.state if hasattr(node, "store") else "unavailable"
        bus = "ok" if hasattr(node, "bus") and node.bus.reachable else "unavailable"
        status = "stopping" if node.stopping else \
            "ok" if store == bus == "ok" else "degraded"
        return web.json_response({"status": status, "store": store, "bus": bus},
                                 status=503 if node.stopping else 200)

    async def metrics(request: web.Request) -> web.Response:
        if not config.public_metrics:
            try:
                if not node.authenticate(request).is_staff:
                    return error_response(403, "forbidden", "metrics: supervisors and admins")
            except AuthError as exc:
                return error_response(401, "unauthorized", str(exc))
            except ApiError as exc:
                return exc.response()
        return web.Response(body=node.metrics.render(),
                            content_type="text/plain", charset="utf-8")

    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", ws.handler)
    pages.add_routes(app, SECURITY_HEADERS)   # /, /web/... and /widget.js (cbcs.web)
    app.cleanup_ctx.append(_lifetime)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    node: Node = app[NODE]
    await node.open()
    yield
    await node.close()


@contextlib.asynccontextmanager
async def running(config: ServerConfig, *,
                  node: Node | None = None) -> AsyncIterator[tuple[str, Node]]:
    """Serve ``config`` on 127.0.0.1 at a free port in this event loop (tests, benchmarks
    and builders' own processes); yields (base URL, node) and stops it at the end."""
    node = node or Node(config)
    runner = web.AppRunner(create_app(config, node=node), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", node
    finally:
        await runner.cleanup()
