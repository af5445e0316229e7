"""The service contract's bodies and WebSocket frames as pydantic models.

Strict: unknown fields and wrong types are refused (no silent coercion), strings have
length limits. The same models validate requests and generate the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=128,
                                      pattern=r"^[A-Za-z0-9_.:@-]+$")]
Lang = Annotated[str, StringConstraints(min_length=2, max_length=16,
                                        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
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


class Escalate(Strict):
    reason: Short


class Close(Strict):
    resolution: Short


class AgentStatus(Strict):
    status: Literal["available", "away", "offline"]


# --- WebSocket frames from a client -----------------------------------------------------

class MessageFrame(Strict):
    type: Literal["message"]
    conversation: Id
    client_id: Id
    text: Text


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


class CallOfferFrame(Strict):
    type: Literal["call.offer"]
    conversation: Id
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=64_000)]


class RoomJoinFrame(Strict):
    type: Literal["room.join"]
    room: Id


class RoomCommentFrame(Strict):
    type: Literal["room.comment"]
    room: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]


ClientFrame = Annotated[MessageFrame | TypingFrame | ReadFrame | ResumeFrame | CallOfferFrame
                        | RoomJoinFrame | RoomCommentFrame, Field(discriminator="type")]
CLIENT_FRAMES: tuple[type[Strict], ...] = (MessageFrame, TypingFrame, ReadFrame, ResumeFrame,
                                           CallOfferFrame, RoomJoinFrame, RoomCommentFrame)


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
    kind: str = "text"
    created_at: float


class ErrorFrame(Strict):
    type: Literal["error"] = "error"
    code: str
    message: str
    ref: dict[str, Any] | None = None


SERVER_FRAMES: tuple[type[Strict], ...] = (AckFrame, ServerMessageFrame, ErrorFrame)
