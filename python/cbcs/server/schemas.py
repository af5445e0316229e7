"""The service contract's bodies and WebSocket frames as pydantic models.

Strict: unknown fields and wrong types are refused (no silent coercion), strings have
length limits. The same models validate requests and generate the OpenAPI document.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=128,
                                      pattern=r"^[A-Za-z0-9_.:@-]+$")]
LANG_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
Lang = Annotated[str, StringConstraints(min_length=2, max_length=16,
                                        pattern=LANG_PATTERN.pattern)]
Market = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Channel = Literal["chat", "voice", "video"]
RoleName = Literal["customer", "agent", "supervisor", "admin"]


class Strict(BaseModel):
    """Base of every body and frame: unknown fields and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- REST bodies ------------------------------------------------------------------------

class TokenRequest(Strict):
    role: RoleName
    subject: Id
    ttl_s: int = Field(3600, ge=1, le=7 * 24 * 3600)


class TokenAnswer(Strict):
    token: str
    role: RoleName
    subject: str
    expires_at: float


class ConversationCreate(Strict):
    channel: Channel = "chat"
    language: Lang | None = None
    market: Market | None = None
    order_id: Id | None = None


class MessagePost(Strict):
    client_id: Id
    text: Text
    suggestion: Id | None = Field(None, description=(
        "an agent sending an assist suggestion unchanged: its id, so the customer gets "
        "the version composed in their language (kept as the message's translation)"))


class Escalate(Strict):
    reason: Short


class IntentCorrection(Strict):
    intent: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RolloutMarket(Strict):
    languages: list[Annotated[str, StringConstraints(min_length=2, max_length=16)]]
    channels: list[Literal["chat", "voice", "video"]] = ["chat"]


class RolloutPut(Strict):
    markets: dict[Annotated[str, StringConstraints(min_length=2, max_length=2)], RolloutMarket]


class Close(Strict):
    resolution: Short


class AgentStatus(Strict):
    status: Literal["available", "away", "offline"]


Levels = dict[Annotated[str, StringConstraints(min_length=1, max_length=64)],
              Annotated[int, Field(ge=1, le=5)]]
ShiftSpec = dict[Annotated[str, StringConstraints(min_length=3, max_length=16)],
                 str | list[str]]


class AgentPut(Strict):
    """An agent's profile (``PUT /api/v1/agents/{id}``); presence is the agent's own call."""

    name: Annotated[str, StringConstraints(max_length=200)] = ""
    kind: Literal["human", "ai"] = "human"
    languages: Levels = {}
    skills: Levels = {}
    markets: list[Market] = Field(default_factory=list, max_length=50)
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    shift: ShiftSpec = Field(default_factory=dict, description=(
        "local working hours, e.g. {\"mon-fri\": \"09:00-18:00\"}; empty: always on"))
    capacity: dict[Channel, Annotated[int, Field(ge=0, le=100)]] = {}
    calls_block_chat: bool = True


class AgentAnswer(Strict):
    id: str
    name: str
    kind: str
    languages: dict[str, int]
    skills: dict[str, int]
    markets: list[str]
    time_zone: str
    shift: dict[str, Any]
    capacity: dict[str, int]
    presence: str
    load: dict[str, int]
    on_shift: bool


class StepBody(Strict):
    target: Annotated[str, StringConstraints(max_length=2000)] = ""
    timeout_s: float | None = Field(None, gt=0, le=86400)
    translate: bool = False


class QueuePut(Strict):
    """A queue and its workflow (``PUT /api/v1/queues/{name}``); targets are routing
    expressions such as ``agent.languages[task.language] >= 3 and 'returns' in agent.skills``."""

    target: Annotated[str, StringConstraints(max_length=2000)] = ""
    priority: int = Field(0, ge=-100, le=100)
    steps: list[StepBody] = Field(default_factory=list, max_length=20)
    max_wait_s: float = Field(300.0, ge=1, le=7 * 86400)
    service_level_s: float = Field(60.0, ge=1, le=86400)
    wrap_up_s: float = Field(30.0, ge=0, le=3600)
    offer_timeout_s: float = Field(20.0, ge=1, le=600)


class QueueAnswer(QueuePut):
    name: str


class ConversationAnswer(Strict):
    id: str
    customer_id: str
    channel: str
    state: str
    language: str
    market: str
    order_id: str | None
    queue: str | None
    agent_id: str | None
    ticket_id: str | None
    intent: str | None
    sentiment: float | None
    created_at: float
    updated_at: float
    last_seq: int


class PostedAnswer(Strict):
    conversation: str
    seq: int
    client_id: str
    created: bool = Field(description="false: a retry of a message stored before")


class ReservationAnswer(Strict):
    reservation: str
    task: str
    conversation: str | None
    status: str


class TicketCreate(Strict):
    customer_id: Id
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    summary: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    conversation_id: Id | None = None
    order_ref: Id | None = None
    due_at: float | None = None


class TicketAnswer(Strict):
    id: str
    customer_id: str
    category: str
    summary: str
    priority: str
    status: str
    conversation_id: str | None
    order_ref: str | None
    due_at: float | None
    created_at: float
    updated_at: float


class ArticlePut(Strict):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=20000)]


class ArticleAnswer(ArticlePut):
    market: str
    language: str
    slug: str
    updated_at: float


# --- WebSocket frames from a client -----------------------------------------------------

class MessageFrame(Strict):
    type: Literal["message"]
    conversation: Id
    client_id: Id
    text: Text
    suggestion: Id | None = None   # as in MessagePost


class TypingFrame(Strict):
    type: Literal["typing"]
    conversation: Id


class ReadFrame(Strict):
    type: Literal["read"]
    conversation: Id
    seq: int = Field(ge=0)


class ResumeFrame(Strict):
    type: Literal["resume"]
    conversation: Id
    after_seq: int = Field(0, ge=0)


CallMode = Literal["join", "listen", "whisper"]


class CallOfferFrame(Strict):
    """Offer a leg on the conversation's call. ``mode``: ``join`` (customers and agents,
    always); a supervisor may ``listen`` (the default for one), ``whisper`` (heard by the
    agent only) or ``join``."""

    type: Literal["call.offer"]
    conversation: Id
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=64_000)]
    mode: CallMode | None = None


class CallModeFrame(Strict):
    """A supervisor's leg changes mode during the call (answered with ``call.mode``)."""

    type: Literal["call.mode"]
    conversation: Id
    mode: CallMode


class CallHangupFrame(Strict):
    type: Literal["call.hangup"]
    conversation: Id


class CallSpeakFrame(Strict):
    """Hear the others' translated captions spoken in one's own language (``on``), over
    their voices turned down, or not (answered with ``call.speak``)."""

    type: Literal["call.speak"]
    conversation: Id
    on: bool


class RoomJoinFrame(Strict):
    type: Literal["room.join"]
    room: Id


class RoomCommentFrame(Strict):
    type: Literal["room.comment"]
    room: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]


ClientFrame = Annotated[MessageFrame | TypingFrame | ReadFrame | ResumeFrame | CallOfferFrame
                        | CallModeFrame | CallHangupFrame | CallSpeakFrame | RoomJoinFrame
                        | RoomCommentFrame,
                        Field(discriminator="type")]
CLIENT_FRAMES: tuple[type[Strict], ...] = (MessageFrame, TypingFrame, ReadFrame, ResumeFrame,
                                           CallOfferFrame, CallModeFrame, CallHangupFrame,
                                           CallSpeakFrame, RoomJoinFrame, RoomCommentFrame)


# --- WebSocket frames from the server ---------------------------------------------------

class Author(Strict):
    role: RoleName | Literal["ai", "system"]
    id: str


class AckFrame(Strict):
    type: Literal["ack"] = "ack"
    client_id: str
    seq: int
    conversation: str


class ServerMessageFrame(Strict):
    type: Literal["message"] = "message"
    conversation: str
    seq: int
    author: Author
    text: str
    lang: str | None
    translations: dict[str, str] = {}
    #: per language asked for: the model that made it, "untranslated" or "failed"
    translated_by: dict[str, str] = {}
    kind: str = "text"
    created_at: float


class ReservationFrame(Strict):
    """An offer to this agent; accept or reject it over REST before ``expires_at``."""

    type: Literal["reservation"] = "reservation"
    id: str
    task: str
    conversation: str | None
    agent: str
    expires_at: float
    translate: bool


class AssignedFrame(Strict):
    type: Literal["assigned"] = "assigned"
    conversation: str
    agent: str


class CallAnswerFrame(Strict):
    """The node's answer to a ``call.offer``: the leg terminates in the node."""

    type: Literal["call.answer"] = "call.answer"
    conversation: str
    sdp: str


class CallModeOut(Strict):
    """The mode of the sender's leg now."""

    type: Literal["call.mode"] = "call.mode"
    conversation: str
    mode: CallMode


class CallSpeakOut(Strict):
    """Whether the sender now hears the others' translated captions spoken."""

    type: Literal["call.speak"] = "call.speak"
    conversation: str
    on: bool


class CaptionFrame(Strict):
    """What a person on the call said, to everyone following the conversation: interim
    texts while they speak (``final`` false; ephemeral, may be dropped when the receiver is
    behind), then one final text per phrase, translated into the other parties' languages
    (``translated_by``: the model per language, or ``untranslated``) and kept in the
    conversation as a ``caption`` message (``seq``); ``delay_ms``: from the end of the
    phrase's speech, as the node heard it, to its final text."""

    type: Literal["caption"] = "caption"
    conversation: str
    speaker: str
    text: str
    lang: str
    final: bool
    phrase: int
    translations: dict[str, str] = {}
    translated_by: dict[str, str] = {}
    seq: int | None = None
    delay_ms: int | None = None


class LegQuality(Strict):
    """One leg's figures: what the node receives from its party and the path towards it."""

    mode: CallMode
    seconds: float
    mos: float | None
    loss_before_recovery_pct: float | None
    loss_after_recovery_pct: float | None
    jitter_buffer_ms: float | None
    concealed_pct: float | None
    bandwidth_bps: float | None
    rtt_ms: float | None


class CallQualityFrame(Strict):
    """Every few seconds during a call, to the agents and supervisors following the
    conversation (not its customer): each leg's figures by party (``role:id``).
    Ephemeral: may be dropped when the receiver is behind."""

    type: Literal["call.quality"] = "call.quality"
    conversation: str
    legs: dict[str, LegQuality]


class CallLeftFrame(Strict):
    """A party's leg ended (``reason``: hang-up, live channel closed, connection failed or
    closed, no media, replaced by a new offer); ``parties``: the roles still on the call."""

    type: Literal["call.left"] = "call.left"
    conversation: str
    party: str
    reason: str
    parties: list[str]


class CallEndedFrame(Strict):
    """The party's leg ended (hang-up, replaced, connection lost)."""

    type: Literal["call.ended"] = "call.ended"
    conversation: str
    reason: str


class TypingOut(Strict):
    """Ephemeral: may be dropped when the receiver is behind."""

    type: Literal["typing"] = "typing"
    conversation: str
    author: Author


class ReadOut(Strict):
    """Ephemeral: may be dropped when the receiver is behind."""

    type: Literal["read"] = "read"
    conversation: str
    seq: int
    author: Author


class RoomCommentOut(Strict):
    type: Literal["room.comment"] = "room.comment"
    room: str
    seq: int
    author: Author
    text: str
    at: float


class RoomSkippedFrame(Strict):
    """This viewer fell behind and ``missed`` comments were skipped for it."""

    type: Literal["room.skipped"] = "room.skipped"
    room: str
    missed: int


class AssistSource(Strict):
    """Where a suggestion's facts come from: a ``kb`` article (``use``: ``sent`` to the
    customer or ``shown`` to the agent), an ``order`` and the ``fields`` of it the text
    states, or a ``ticket``."""

    kind: Literal["kb", "order", "ticket"]
    market: str | None = None
    language: str | None = None
    slug: str | None = None
    title: str | None = None
    use: Literal["sent", "shown"] | None = None
    id: str | None = None
    fields: dict[str, str] | None = None


class AssistSuggestion(Strict):
    """A suggested reply: ``text`` in the agent's language (``lang``), ``customer_text`` in
    the customer's. ``provider``/``customer_provider``: ``composed`` (written in that
    language from the phrases and the articles), a translation model (``bergamot``,
    ``llm``), or ``untranslated`` (then ``text`` is the customer's version as it is, or
    ``customer_text`` is null)."""

    id: str
    intent: str
    kind: str
    text: str
    lang: str
    provider: str
    customer_text: str | None
    customer_lang: str
    customer_provider: str
    sources: list[AssistSource]


class SentimentPoint(Strict):
    """One customer message: its sentiment, and the voice's emotion where a call gave one."""

    seq: int
    at: float
    sentiment: Literal["negative", "neutral", "positive"]
    emotion: str | None = None


class OrderItemOut(Strict):
    sku: str
    name: str
    qty: int
    unit_price: str


class AssistOrder(Strict):
    """The order being discussed, as the order connector reports it."""

    id: str
    status: str
    status_text: str
    items: list[OrderItemOut]
    currency: str
    total: str
    tracking: str | None
    placed_at: float
    updated_at: float
    delivered_at: float | None
    delivered_on: str | None


class AssistAnswer(Strict):
    """``GET /api/v1/conversations/{id}/assist``: what the AI offers the person handling
    the conversation. ``summary``: once handed over or closed, in the agent's language."""

    conversation: str
    lang: str
    customer_lang: str
    intent: str | None
    suggestions: list[AssistSuggestion]
    sentiment: list[SentimentPoint]
    order: AssistOrder | None
    summary: str | None


class AssistFrame(Strict):
    """To the assigned agent after each customer message while a person has the
    conversation: fresh suggestions, sentiment and order (as ``AssistAnswer``)."""

    type: Literal["assist"] = "assist"
    conversation: str
    lang: str
    customer_lang: str
    intent: str | None
    suggestions: list[AssistSuggestion]
    sentiment: list[SentimentPoint]
    order: AssistOrder | None


class ErrorFrame(Strict):
    type: Literal["error"] = "error"
    code: str
    message: str
    ref: dict[str, Any] | None = None


# --- agent analytics (GET /api/v1/stats/agents; cbcs.routing.agent_stats) --------------
class StatTimes(Strict):
    """Seconds: median, 90th percentile (nearest rank), how many."""

    p50: float | None
    p90: float | None
    n: int


class SentimentEnd(Strict):
    """The customer's sentiment when closed (-1..1): mean, shares negative and positive."""

    mean: float | None
    negative: float | None
    positive: float | None
    n: int


class AgentStatsRow(Strict):
    """One agent, language or market (the key is ``agent``, ``language`` or ``market``)."""

    agent: str | None = None
    name: str | None = None
    language: str | None = None
    market: str | None = None
    scope: str | None = None
    conversations: int
    closed: int
    transferred: int
    open: int
    first_response_s: StatTimes
    no_reply: int
    handling_s: StatTimes
    resolved: int
    resolution_rate: float | None
    transfer_rate: float | None
    sentiment_end: SentimentEnd


class AgentStatsAnswer(Strict):
    since: float
    now: float
    agents: list[AgentStatsRow]
    languages: list[AgentStatsRow]
    markets: list[AgentStatsRow]
    total: AgentStatsRow
    definitions: dict[str, str]


SERVER_FRAMES: tuple[type[Strict], ...] = (AckFrame, ServerMessageFrame, ReservationFrame,
                                           AssignedFrame, CallAnswerFrame, CallModeOut,
                                           CallQualityFrame, CallLeftFrame, CallEndedFrame,
                                           TypingOut, ReadOut, RoomCommentOut,
                                           RoomSkippedFrame, ErrorFrame, AssistFrame,
                                           CallSpeakOut, CaptionFrame)


class AuditEntryAnswer(BaseModel):
    """One action of a supervisor or an admin (no personal data: see cbcs.contact.audit)."""

    id: int
    at: float
    role: str
    subject: str
    action: str
    target: str
    status: int
    detail: dict[str, Any]


class AuditAnswer(BaseModel):
    """Audit entries, oldest first."""

    entries: list[AuditEntryAnswer]


class OriginalAnswer(BaseModel):
    """A message's text before redaction."""

    seq: int
    text: str


class OriginalsAnswer(BaseModel):
    """Originals of a conversation's redacted messages; ``kept``: whether this node keeps
    them at all."""

    kept: bool
    originals: list[OriginalAnswer]
