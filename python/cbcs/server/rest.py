"""The REST endpoints of the service contract: thin handlers over the services.

Each handler checks who may do it (the route's roles, then ownership through
:meth:`ContactCentre.visible`), calls one use case and answers with a model. A stranger's
conversation is answered 404, the same as one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from cbcs.contact import Agent, Article, Conversation, Queue, Step, Ticket, TicketPriority
from cbcs.contact.example import INTENTS
from cbcs.contact.rollout import Rollout
from cbcs.errors import ConfigError
from cbcs.routing import agent_stats as analytics
from cbcs.services.first_tier import ROLLOUT_KEY
from cbcs.server import answers, console_api, schemas
from cbcs.server.api import ApiError, Request, RouteTable, forbidden
from cbcs.server.auth import Principal, Role

ADMIN = {Role.ADMIN}
STAFF = {Role.ADMIN, Role.SUPERVISOR}
ANYONE = {Role.CUSTOMER, Role.AGENT, Role.SUPERVISOR, Role.ADMIN}
PEOPLE = {Role.CUSTOMER, Role.AGENT}


def table() -> RouteTable:
    """Every REST route, in the order the OpenAPI document lists them."""
    t = RouteTable()

    # --- auth ---------------------------------------------------------------------------
    @t.route("POST", "/api/v1/tokens", "mint a token (a builder's backend does this for its "
             "users)", roles=ADMIN, body=schemas.TokenRequest, answer=schemas.TokenAnswer,
             status=201, tag="auth")
    async def mint_token(req: Request) -> schemas.TokenAnswer:
        node = req.node
        body: schemas.TokenRequest = req.body
        now = node.clock()
        role = Role(body.role)
        token = node.auth.mint(role, body.subject, body.ttl_s, now)
        return schemas.TokenAnswer(token=token, role=body.role, subject=body.subject,
                                   expires_at=float(int(now) + body.ttl_s))

    # --- agents and queues --------------------------------------------------------------
    @t.route("PUT", "/api/v1/agents/{id}", "create or change an agent", roles=STAFF,
             body=schemas.AgentPut, answer=schemas.AgentAnswer, tag="agents")
    async def put_agent(req: Request) -> schemas.AgentAnswer:
        body: schemas.AgentPut = req.body
        agent = Agent(id=req.params["id"], **body.model_dump())
        await req.node.dispatch.put_agent(agent)
        return await _agent_answer(req, agent.id)

    @t.route("GET", "/api/v1/agents/{id}", "an agent's profile, presence and load",
             roles={Role.AGENT, *STAFF}, answer=schemas.AgentAnswer, tag="agents")
    async def get_agent(req: Request) -> schemas.AgentAnswer:
        _self_or_staff(req.principal, req.params["id"])
        return await _agent_answer(req, req.params["id"])

    @t.route("POST", "/api/v1/agents/{id}/status", "presence: only available agents get "
             "offers; away or offline hands back pending ones", roles={Role.AGENT, *STAFF},
             body=schemas.AgentStatus, answer=schemas.AgentAnswer, tag="agents")
    async def agent_status(req: Request) -> schemas.AgentAnswer:
        agent_id = req.params["id"]
        _self_or_staff(req.principal, agent_id)
        await req.node.dispatch.set_presence(agent_id, req.body.status)
        return await _agent_answer(req, agent_id)

    @t.route("PUT", "/api/v1/queues/{name}", "a queue and its workflow (targets are checked "
             "before anything is stored)", roles=STAFF, body=schemas.QueuePut,
             answer=schemas.QueueAnswer, tag="agents")
    async def put_queue(req: Request) -> schemas.QueueAnswer:
        body: schemas.QueuePut = req.body
        fields = body.model_dump()
        fields["steps"] = tuple(Step(**s) for s in fields["steps"])
        await req.node.dispatch.put_queue(Queue(name=req.params["name"], **fields))
        return schemas.QueueAnswer(name=req.params["name"], **body.model_dump())

    # --- conversations ------------------------------------------------------------------
    @t.route("POST", "/api/v1/conversations", "start a conversation; the AI tier answers "
             "first", roles={Role.CUSTOMER}, body=schemas.ConversationCreate,
             answer=schemas.ConversationAnswer, status=201, tag="conversations")
    async def start_conversation(req: Request) -> schemas.ConversationAnswer:
        body: schemas.ConversationCreate = req.body
        conversation = await req.node.centre.start(req.who.subject, body.channel,
                                                   body.language, body.market, body.order_id)
        return answers.conversation(conversation)

    @t.route("GET", "/api/v1/conversations/{id}", "state, language, intent, sentiment, queue, "
             "assignee, ticket", roles=ANYONE, answer=schemas.ConversationAnswer,
             tag="conversations")
    async def get_conversation(req: Request) -> schemas.ConversationAnswer:
        return answers.conversation(await _visible(req))

    @t.route("GET", "/api/v1/conversations/{id}/messages", "history, in order",
             roles=ANYONE, query={"after_seq": "only messages after this sequence number",
                                  "limit": "at most this many (1-500, default 200)"},
             tag="conversations")
    async def list_messages(req: Request) -> dict[str, Any]:
        conversation = await _visible(req)
        after = _int_query(req, "after_seq", 0, 0, 2**62)
        limit = _int_query(req, "limit", 200, 1, 500)
        messages = await req.node.centre.history(conversation.id, after, limit)
        from cbcs.services.conversations import message_event
        return {"conversation": conversation.id, "last_seq": conversation.last_seq,
                "messages": [message_event(m) for m in messages]}

    @t.route("POST", "/api/v1/conversations/{id}/messages", "post (as over the WebSocket); "
             "stored before it is answered, idempotent on client_id", roles=PEOPLE,
             body=schemas.MessagePost, answer=schemas.PostedAnswer, status=201,
             tag="conversations")
    async def post_message(req: Request) -> schemas.PostedAnswer:
        body: schemas.MessagePost = req.body
        conversation = await _visible(req)
        posted = await req.node.post_message(req.principal, conversation, body.client_id,
                                             body.text, body.suggestion)
        return schemas.PostedAnswer(conversation=conversation.id, seq=posted.message.seq,
                                    client_id=body.client_id, created=posted.created)

    @t.route("POST", "/api/v1/conversations/{id}/escalate", "ask for a human (or another one)",
             roles={Role.CUSTOMER, Role.AGENT, *STAFF}, body=schemas.Escalate,
             answer=schemas.ConversationAnswer, tag="conversations")
    async def escalate(req: Request) -> schemas.ConversationAnswer:
        conversation = await _visible(req)
        if req.who.role is Role.AGENT and conversation.agent_id != req.who.subject:
            raise forbidden("only the assigned agent may hand this conversation on")
        return answers.conversation(await req.node.centre.escalate(conversation,
                                                                   req.body.reason))

    @t.route("POST", "/api/v1/conversations/{id}/intent", "correct the conversation's "
             "intent; the customer's first message (redacted) becomes a labelled example "
             "the AI tier learns from", roles={Role.AGENT, *STAFF},
             body=schemas.IntentCorrection, answer=schemas.ConversationAnswer,
             tag="conversations")
    async def correct_intent(req: Request) -> schemas.ConversationAnswer:
        conversation = await _visible(req)
        if req.who.role is Role.AGENT and conversation.agent_id != req.who.subject:
            raise forbidden("only the assigned agent may correct this conversation")
        intent = req.body.intent
        if intent not in INTENTS:
            raise ApiError(422, "invalid", f"intent: expected one of {', '.join(INTENTS)}, "
                                           f"got {intent!r}")
        return answers.conversation(await req.node.correct_intent(conversation, intent))

    @t.route("POST", "/api/v1/conversations/{id}/close", "end; wrap-up starts",
             roles={Role.AGENT, *STAFF}, body=schemas.Close, answer=schemas.ConversationAnswer,
             tag="conversations")
    async def close(req: Request) -> schemas.ConversationAnswer:
        conversation = await _visible(req)
        if req.who.role is Role.AGENT and conversation.agent_id != req.who.subject:
            raise forbidden("only the assigned agent may close this conversation")
        return answers.conversation(await req.node.close_conversation(
            conversation, req.who.subject, req.body.resolution))

    # --- offers -------------------------------------------------------------------------
    @t.route("POST", "/api/v1/reservations/{id}/accept", "take an offer", roles={Role.AGENT},
             answer=schemas.ReservationAnswer, tag="conversations")
    async def accept(req: Request) -> schemas.ReservationAnswer:
        res_id = req.params["id"]
        await _offered_to(req, res_id)
        task = await req.node.dispatch.accept(res_id, req.who.subject)
        return schemas.ReservationAnswer(reservation=res_id, task=task.id,
                                         conversation=task.conversation_id, status="accepted")

    @t.route("POST", "/api/v1/reservations/{id}/reject", "refuse an offer (it moves on)",
             roles={Role.AGENT}, answer=schemas.ReservationAnswer, tag="conversations")
    async def reject(req: Request) -> schemas.ReservationAnswer:
        res_id = req.params["id"]
        await _offered_to(req, res_id)
        task = await req.node.dispatch.reject(res_id, req.who.subject)
        return schemas.ReservationAnswer(reservation=res_id, task=task.id,
                                         conversation=task.conversation_id, status="rejected")

    # --- supervisors --------------------------------------------------------------------
    @t.route("GET", "/api/v1/stats/queues", "per queue, language and market: waiting, "
             "service level, abandon rate, wait percentiles, agents by state", roles=STAFF,
             query={"since": "UNIX time of the oldest task counted (default: a day ago)"},
             tag="supervisors")
    async def queue_stats(req: Request) -> dict[str, Any]:
        since = req.query.get("since")
        try:
            start = float(since) if since is not None else None
        except ValueError:
            raise ApiError(400, "bad_request", "since: expected a UNIX time") from None
        stats: dict[str, Any] = await req.node.dispatch.stats(start)
        return stats

    @t.route("GET", "/api/v1/stats/agents", "per agent, language and market: conversations "
             "handled, first response and handling time (p50, p90), resolution rate, "
             "sentiment at the end, transfer rate (an agent: only their own)", roles={Role.AGENT, *STAFF}, answer=schemas.AgentStatsAnswer,
             query={"since": "the window: 7d, 12h, 30m, 2w, an ISO date or date-time, or a "
                             "UNIX time (default 7d)",
                    "agent": "only this agent's conversations (an agent: their own)"},
             tag="supervisors")
    async def agent_stats(req: Request) -> dict[str, Any]:
        now = req.node.clock()
        try:
            since = analytics.parse_since(req.query.get("since", "7d"), now)
        except ConfigError as bad:
            raise ApiError(400, "bad_request", str(bad)) from None
        only = req.query.get("agent")
        if req.who.role is Role.AGENT:   # an agent reads their own figures, no one else's
            if only is not None and only != req.who.subject:
                raise forbidden("an agent may read only their own figures")
            only = req.who.subject
        activity = await req.node.store.agent_activity(since)
        names = {agent.id: agent.name for agent, _ in await req.node.store.list_agents()}
        stats = analytics.agent_stats(activity, now, names, only_agent=only)
        schemas.AgentStatsAnswer.model_validate(stats)   # the document says what is sent
        return stats

    @t.route("GET", "/api/v1/conversations/{id}/originals", "the originals of the "
             "conversation's redacted messages and captions, where the node keeps them "
             "(cbcs serve --keep-originals); each read is audited", roles=ADMIN,
             answer=schemas.OriginalsAnswer, tag="conversations")
    async def originals(req: Request) -> schemas.OriginalsAnswer:
        conversation = await _visible(req)
        kept = await req.node.centre.originals(conversation.id)
        await req.node.audit(req.who, "GET /api/v1/conversations/{id}/originals",
                             f"id={conversation.id}", 200, {"originals": len(kept)})
        return schemas.OriginalsAnswer(kept=req.node.config.keep_originals, originals=[
            schemas.OriginalAnswer(seq=seq, text=text) for seq, text in kept])

    @t.route("GET", "/api/v1/audit", "what supervisors and admins did, oldest first: "
             "tokens minted, agents, queues, articles and rollouts changed, conversations "
             "closed, calls listened to or whispered into", roles=ADMIN,
             answer=schemas.AuditAnswer,
             query={"after_id": "only entries after this id (paging)",
                    "limit": "at most this many entries (1..1000, default 100)"},
             tag="supervisors")
    async def audit_log(req: Request) -> schemas.AuditAnswer:
        after = _int_query(req, "after_id", 0, 0, 2**62)
        limit = _int_query(req, "limit", 100, 1, 1000)
        entries = await req.node.store.list_audit(after, limit)
        return schemas.AuditAnswer(entries=[schemas.AuditEntryAnswer(**asdict(e))
                                            for e in entries])

    # --- tickets and knowledge ----------------------------------------------------------
    @t.route("POST", "/api/v1/tickets", "open a ticket (summary redacted)",
             roles={Role.AGENT, *STAFF}, body=schemas.TicketCreate,
             answer=schemas.TicketAnswer, status=201, tag="tickets")
    async def open_ticket(req: Request) -> schemas.TicketAnswer:
        body: schemas.TicketCreate = req.body
        now = req.node.clock()
        if body.conversation_id is not None:
            conversation = await req.node.centre.visible(
                req.who.role.value, req.who.subject, body.conversation_id)
            if conversation.customer_id != body.customer_id:
                raise ApiError(422, "invalid", "customer_id: not this conversation's customer")
        elif req.who.role is Role.AGENT:
            raise ApiError(422, "invalid", "conversation_id: an agent opens tickets for a "
                           "conversation of theirs")
        ticket = await req.node.centre.open_ticket(Ticket(
            id=uuid.uuid4().hex, customer_id=body.customer_id, category=body.category,
            summary=body.summary, priority=TicketPriority(body.priority),
            conversation_id=body.conversation_id, order_ref=body.order_ref,
            due_at=body.due_at, created_at=now, updated_at=now))
        return answers.ticket(ticket)

    @t.route("GET", "/api/v1/tickets/{id}", "a ticket (customers: their own)", roles=ANYONE,
             answer=schemas.TicketAnswer, tag="tickets")
    async def get_ticket(req: Request) -> schemas.TicketAnswer:
        ticket = await req.node.centre.ticket_for(req.who.role.value,
                                                  req.who.subject, req.params["id"])
        return answers.ticket(ticket)

    @t.route("PUT", "/api/v1/kb/{market}/{language}/{slug}", "a knowledge-base article",
             roles=STAFF, body=schemas.ArticlePut, answer=schemas.ArticleAnswer, tag="tickets")
    async def put_article(req: Request) -> schemas.ArticleAnswer:
        body: schemas.ArticlePut = req.body
        article = Article(market=req.params["market"], language=req.params["language"],
                          slug=req.params["slug"], title=body.title, body=body.body,
                          updated_at=req.node.clock())
        await req.node.centre.put_article(article)
        return schemas.ArticleAnswer(**asdict(article))

    @t.route("GET", "/api/v1/kb/{market}/{language}/{slug}", "a knowledge-base article",
             roles=ANYONE, answer=schemas.ArticleAnswer, tag="tickets")
    async def get_article(req: Request) -> schemas.ArticleAnswer:
        article = await req.node.store.get_article(req.params["market"],
                                                   req.params["language"], req.params["slug"])
        return schemas.ArticleAnswer(**asdict(article))

    # --- the AI tier ------------------------------------------------------------------
    @t.route("GET", "/api/v1/conversations/{id}/assist", "agent assist: up to 3 suggested "
             "replies in the agent's language (each with its version in the customer's "
             "language and the articles or order fields it states), the customer's "
             "sentiment per message, the order with its state from the connector, and the "
             "summary once handed over or closed (its assigned agent, supervisors)",
             roles={Role.AGENT, *STAFF}, answer=schemas.AssistAnswer,
             query={"lang": "the language to read in (default: the assigned agent's)"},
             tag="conversations")
    async def assist(req: Request) -> dict[str, Any]:
        conversation = await _visible(req)
        if req.who.role is Role.AGENT and conversation.agent_id != req.who.subject:
            raise forbidden("agent assist is for the agent this conversation is assigned to")
        service = req.node.assist
        if service is None:
            raise ApiError(503, "unavailable", "agent assist needs the AI tier on this node "
                                               "(cbcs serve --ai offline)")
        lang = req.query.get("lang")
        if lang is not None and not schemas.LANG_PATTERN.fullmatch(lang):
            raise ApiError(400, "bad_request", f"lang: expected a language tag such as "
                                               f"'zh' or 'pt-BR', got {lang!r}")
        panel = await service.panel(conversation, lang)
        answer: dict[str, Any] = panel.to_json()
        schemas.AssistAnswer.model_validate(answer)     # the document says what is sent
        return answer

    @t.route("PUT", "/api/v1/ai/rollout", "where the AI first tier answers: markets, their "
             "languages and channels (elsewhere conversations go to a person)", roles=STAFF,
             body=schemas.RolloutPut, answer=schemas.RolloutPut, tag="supervisors")
    async def put_rollout(req: Request) -> schemas.RolloutPut:
        try:
            rollout = Rollout.parse(req.body.model_dump())
        except ConfigError as bad:
            raise ApiError(422, "invalid", str(bad)) from None
        await req.node.store.put_setting(ROLLOUT_KEY, rollout.to_json(), req.node.clock())
        return schemas.RolloutPut(**rollout.to_json())

    @t.route("GET", "/api/v1/ai/rollout", "where the AI first tier answers (markets: {} "
             "when no rollout was set: everywhere)", roles=STAFF, answer=schemas.RolloutPut,
             tag="supervisors")
    async def get_rollout(req: Request) -> schemas.RolloutPut:
        stored = await req.node.store.get_setting(ROLLOUT_KEY)
        return schemas.RolloutPut(**(stored or {"markets": {}}))

    console_api.add_routes(t)   # the agent console's and the dashboard's reads, tickets
    return t


# --- helpers --------------------------------------------------------------------------
async def _visible(req: Request) -> Conversation:
    principal = req.who
    conversation: Conversation = await req.node.centre.visible(
        principal.role.value, principal.subject, req.params["id"])
    return conversation


def _self_or_staff(principal: Principal | None, agent_id: str) -> None:
    assert principal is not None
    if not principal.is_staff and principal.subject != agent_id:
        raise forbidden("an agent may only see and change their own presence")


async def _offered_to(req: Request, reservation_id: str) -> None:
    res = await req.node.store.get_reservation(reservation_id)
    if res.agent_id != req.who.subject:
        raise forbidden("this offer was made to another agent")


def _int_query(req: Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name}: expected a whole number") from None
    if not low <= value <= high:
        raise ApiError(400, "bad_request", f"{name}: expected {low}..{high}, got {value}")
    return value


async def _agent_answer(req: Request, agent_id: str) -> schemas.AgentAnswer:
    agent, live = await req.node.store.get_agent(agent_id)
    return answers.agent(agent, live, req.node.clock())
