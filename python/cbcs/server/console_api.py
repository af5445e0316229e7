"""Read and ticket endpoints the agent console and the supervisor dashboard need
(``static/console``, ``static/dashboard``): the agents with their presence (supervisors),
an agent's open conversations, one history per customer across channels, and updating
and closing tickets. Registered into the route table by :func:`add_routes`."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from cbcs.contact import Conversation, Ticket, TicketPriority
from cbcs.contact.ticket import CATEGORIES, TicketStatus
from cbcs.privacy import redact
from cbcs.server import answers, schemas
from cbcs.server.api import ApiError, Request, RouteTable, forbidden
from cbcs.server.auth import Role

STAFF = {Role.ADMIN, Role.SUPERVISOR}
#: conversations and messages of a customer's history the console shows at most
HISTORY_CONVERSATIONS = 20
HISTORY_MESSAGES = 200


class TicketUpdate(schemas.Strict):
    """Change a ticket: any of its priority, category, summary, and a status step
    (``wait``: pending on the customer or seller, ``resume``, ``solve``, ``reopen``)."""

    priority: Literal["low", "normal", "high", "urgent"] | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    event: Literal["wait", "resume", "solve", "reopen"] | None = None


class TicketClose(schemas.Strict):
    """Close a ticket with its resolution (solved first if it was not)."""

    resolution: schemas.Short


class AgentList(schemas.Strict):
    agents: list[schemas.AgentAnswer]


class ConversationList(schemas.Strict):
    conversations: list[schemas.ConversationAnswer]


class CustomerHistory(schemas.Strict):
    """A customer's conversations on every channel, newest first, with their messages
    (at most 200 each) and the customer's tickets."""

    customer_id: str
    conversations: list[dict[str, Any]]
    tickets: list[schemas.TicketAnswer]


def add_routes(t: RouteTable) -> None:
    """The console's and dashboard's routes, after the service contract's."""

    @t.route("GET", "/api/v1/agents", "every agent with presence, load, time zone and "
             "shift (supervisors)", roles=STAFF, answer=AgentList, tag="agents")
    async def list_agents(req: Request) -> AgentList:
        now = req.node.clock()
        rows = await req.node.store.list_agents()
        return AgentList(agents=[answers.agent(agent, live, now) for agent, live in rows])

    @t.route("GET", "/api/v1/agents/{id}/conversations", "the conversations assigned to "
             "this agent that are not closed (the agent, supervisors)",
             roles={Role.AGENT, *STAFF}, answer=ConversationList, tag="agents")
    async def agent_conversations(req: Request) -> ConversationList:
        agent_id = req.params["id"]
        if not req.who.is_staff and req.who.subject != agent_id:
            raise forbidden("an agent may only list their own conversations")
        found = await req.node.store.list_conversations(agent_id=agent_id, open_only=True)
        return ConversationList(conversations=[answers.conversation(x) for x in found])

    @t.route("GET", "/api/v1/conversations/{id}/history", "one history of this "
             "conversation's customer across channels: their conversations (latest first, "
             "with messages) and tickets (whoever may see this conversation)",
             roles={Role.CUSTOMER, Role.AGENT, *STAFF}, answer=CustomerHistory,
             tag="conversations")
    async def customer_history(req: Request) -> CustomerHistory:
        from cbcs.services.conversations import message_event

        who = req.who
        current: Conversation = await req.node.centre.visible(
            who.role.value, who.subject, req.params["id"])
        out: list[dict[str, Any]] = []
        for conversation in await req.node.store.list_conversations(
                customer_id=current.customer_id, limit=HISTORY_CONVERSATIONS):
            messages = await req.node.centre.history(conversation.id, 0, HISTORY_MESSAGES)
            entry = answers.conversation(conversation).model_dump()
            entry["messages"] = [message_event(m) for m in messages]
            out.append(entry)
        tickets = await req.node.store.list_tickets(current.customer_id)
        return CustomerHistory(customer_id=current.customer_id, conversations=out,
                               tickets=[answers.ticket(x) for x in tickets])

    @t.route("PUT", "/api/v1/tickets/{id}", "change a ticket's priority, category or "
             "summary (redacted), or move its status (wait, resume, solve, reopen)",
             roles={Role.AGENT, *STAFF}, body=TicketUpdate, answer=schemas.TicketAnswer,
             tag="tickets")
    async def update_ticket(req: Request) -> schemas.TicketAnswer:
        body: TicketUpdate = req.body
        ticket = await _ticket_of(req)
        now = req.node.clock()
        changes: dict[str, Any] = {"updated_at": now}
        if body.priority is not None:
            changes["priority"] = TicketPriority(body.priority)
        if body.category is not None:
            if body.category not in CATEGORIES:
                raise ApiError(422, "invalid", f"category: expected one of "
                                               f"{', '.join(CATEGORIES)}, got {body.category!r}")
            changes["category"] = body.category
        if body.summary is not None:
            changes["summary"] = redact(body.summary).text
        if body.event is not None:
            ticket = ticket.apply(body.event, now)
        ticket = dataclasses.replace(ticket, **changes)
        await req.node.store.update_ticket(ticket)
        return answers.ticket(ticket)

    @t.route("POST", "/api/v1/tickets/{id}/close", "close a ticket with its resolution "
             "(redacted, added to the summary); solved first if it was open or pending",
             roles={Role.AGENT, *STAFF}, body=TicketClose, answer=schemas.TicketAnswer,
             tag="tickets")
    async def close_ticket(req: Request) -> schemas.TicketAnswer:
        body: TicketClose = req.body
        ticket = await _ticket_of(req)
        now = req.node.clock()
        if ticket.status in (TicketStatus.OPEN, TicketStatus.PENDING):
            ticket = ticket.apply("solve", now)
        ticket = ticket.apply("close", now)
        resolution = redact(body.resolution).text
        summary = ticket.summary   # the AI's closing summary may state it already
        if resolution not in summary:
            summary = f"{summary}\nResolution: {resolution}"[-4000:]
        ticket = dataclasses.replace(ticket, summary=summary)
        await req.node.store.update_ticket(ticket)
        return answers.ticket(ticket)


async def _ticket_of(req: Request) -> Ticket:
    ticket: Ticket = await req.node.centre.ticket_for(req.who.role.value, req.who.subject,
                                                      req.params["id"])
    return ticket
