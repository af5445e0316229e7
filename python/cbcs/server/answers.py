"""The domain's objects as the service's answers (:mod:`cbcs.server.schemas`): one place,
for every route that returns an agent, a conversation or a ticket."""

from __future__ import annotations

from cbcs.contact import Agent, Conversation, Ticket
from cbcs.contact.agent import AgentLive
from cbcs.server import schemas


def agent(a: Agent, live: AgentLive, now: float) -> schemas.AgentAnswer:
    """An agent's profile with presence, load and whether they are on shift at ``now``."""
    return schemas.AgentAnswer(
        id=a.id, name=a.name, kind=a.kind.value, languages=dict(a.languages),
        skills=dict(a.skills), markets=list(a.markets), time_zone=a.time_zone,
        shift=dict(a.shift.spec), capacity=dict(a.capacity),
        presence=live.presence.value, load=dict(live.load),
        on_shift=a.shift.on_duty(a.time_zone, now))


def conversation(c: Conversation) -> schemas.ConversationAnswer:
    return schemas.ConversationAnswer(
        id=c.id, customer_id=c.customer_id, channel=c.channel, state=c.state.value,
        language=c.language, market=c.market, order_id=c.order_id, queue=c.queue,
        agent_id=c.agent_id, ticket_id=c.ticket_id, intent=c.intent, sentiment=c.sentiment,
        created_at=c.created_at, updated_at=c.updated_at, last_seq=c.last_seq)


def ticket(t: Ticket) -> schemas.TicketAnswer:
    return schemas.TicketAnswer(
        id=t.id, customer_id=t.customer_id, category=t.category, summary=t.summary,
        priority=t.priority.value, status=t.status.value, conversation_id=t.conversation_id,
        order_ref=t.order_ref, due_at=t.due_at, created_at=t.created_at,
        updated_at=t.updated_at)
