"""The live channel (``GET /ws``): authentication, frame validation, dispatch by type.

A bad frame (malformed JSON, wrong type, unknown field, a refused action) is answered with
an ``error`` frame naming the reason and the connection stays open; a frame over the size
limit closes it (code 1009), as the WebSocket protocol prescribes; a token that expires
closes it with code 4001; a console that cannot be registered because the store or the
bus is down is told ``unavailable`` and closed with code 1013 (try again later).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import WSMsgType, web
from pydantic import TypeAdapter, ValidationError

from cbcs.server import schemas
from cbcs.server.api import (ApiError, classify, describe_validation, error_response, load_json,
                             printable)
from cbcs.server.auth import AuthError, Principal
from cbcs.bus.base import BusError
from cbcs.server.connection import TOKEN_EXPIRED, TRY_AGAIN_LATER, Connection
from cbcs.server.rooms import RoomError
from cbcs.services.calls import CallError
from cbcs.store.errors import StoreError

log = logging.getLogger("cbcs.server.ws")
FRAME = TypeAdapter(schemas.ClientFrame)


class FrameError(Exception):
    """A frame refused with an ``error`` frame: ``code`` and a message for the client
    (``ref``: what of the frame the client can tell it by)."""

    def __init__(self, code: str, message: str, ref: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.ref = ref


def parse_frame(text: str) -> tuple[Any, dict[str, Any]]:
    """A text frame as one of the client frames (:data:`schemas.CLIENT_FRAMES`) and its
    ``ref`` (its type, client id, conversation or room, to quote in an answer), or
    :class:`FrameError` ``bad_json`` (not JSON of valid Unicode, nested too deeply, NaN or
    Infinity) or ``invalid`` (the wrong fields or types). Nothing else escapes (fuzz/py)."""
    try:
        data = load_json(text)
    except ValueError as exc:
        raise FrameError("bad_json", f"malformed JSON ({exc})") from None
    ref = {k: printable(v) if isinstance(v, str) else v
           for k in ("type", "client_id", "conversation", "room")
           if isinstance(data, dict) and isinstance(v := data.get(k), (str, int))}
    try:
        return FRAME.validate_python(data), ref
    except ValidationError as exc:
        raise FrameError("invalid", describe_validation(exc), ref) from None


class Session:
    """One authenticated WebSocket client and the frames it sends."""

    def __init__(self, node: Any, conn: Connection) -> None:
        self.node = node
        self.conn = conn
        self.follower = node.fanout.follower(conn)

    @property
    def principal(self) -> Principal:
        return self.conn.principal

    def error(self, code: str, message: str, ref: dict[str, Any] | None = None) -> None:
        self.node.metrics.ws_errors.labels(code).inc()
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if ref:
            frame["ref"] = ref
        self.conn.send(frame)

    async def on_text(self, text: str) -> None:
        try:
            frame, ref = parse_frame(text)
        except FrameError as exc:
            self.error(exc.code, str(exc), exc.ref)
            return
        self.node.metrics.ws_frames.labels(frame.type).inc()
        now = self.node.clock()
        key = f"{self.principal.role.value}:{self.principal.subject}"
        if not self.node.per_token.allow(key, now):
            self.node.metrics.rate_limited.labels("ws").inc()
            self.error("rate_limited", "too many frames: slow down", ref)
            return
        try:
            await self.dispatch(frame)
        except FrameError as exc:
            self.error(exc.code, str(exc), ref)
        except RoomError as exc:
            self.error(exc.code, str(exc), ref)
        except Exception as exc:   # noqa: BLE001 - a refused action, answered in a frame
            status, code, message = classify(exc)
            if status == 500:   # an outage of the store or bus is logged there, once
                log.warning("ws %s failed: %s", frame.type, type(exc).__name__)
            self.error(code, message, ref)

    async def dispatch(self, frame: Any) -> None:
        handle = getattr(self, "on_" + frame.type.replace(".", "_"), None)
        if handle is None:
            raise FrameError("unsupported", f"{frame.type}: not served by this node")
        await handle(frame)

    # --- conversations ----------------------------------------------------------------
    async def _conversation(self, conversation_id: str) -> Any:
        p = self.principal
        return await self.node.centre.visible(p.role.value, p.subject, conversation_id)

    async def on_message(self, frame: schemas.MessageFrame) -> None:
        """Store, then ``ack`` (never before the commit), then fan out through the bus."""
        conversation = await self._conversation(frame.conversation)
        if not self.node.fanout.following(self.follower, conversation.id):
            await self.node.fanout.follow(self.follower, conversation.id,
                                          conversation.last_seq)
        posted = await self.node.post_message(self.principal, conversation, frame.client_id,
                                              frame.text, frame.suggestion)
        self.conn.send({"type": "ack", "client_id": frame.client_id,
                        "seq": posted.message.seq, "conversation": conversation.id})

    async def on_resume(self, frame: schemas.ResumeFrame) -> None:
        """Every message after ``after_seq``, then live ones: exactly what was missed."""
        conversation = await self._conversation(frame.conversation)
        await self.node.fanout.follow(self.follower, conversation.id, frame.after_seq)

    async def on_typing(self, frame: schemas.TypingFrame) -> None:
        await self._ephemeral(frame.conversation, {"type": "typing"})

    async def on_read(self, frame: schemas.ReadFrame) -> None:
        await self._ephemeral(frame.conversation, {"type": "read", "seq": frame.seq})

    async def _ephemeral(self, conversation_id: str, event: dict[str, Any]) -> None:
        # Ephemeral: checked once per conversation, then published without a store write.
        if not self.node.fanout.following(self.follower, conversation_id):
            conversation = await self._conversation(conversation_id)
            await self.node.fanout.follow(self.follower, conversation.id,
                                          conversation.last_seq)
        event.update(conversation=conversation_id,
                     author={"role": self.principal.role.value, "id": self.principal.subject})
        await self.node.centre.publish(conversation_id, event)

    # --- calls ------------------------------------------------------------------------
    async def on_call_offer(self, frame: schemas.CallOfferFrame) -> None:
        """Answer with a leg of the conversation's call in this node (``call.answer``)."""
        conversation = await self._conversation(frame.conversation)
        if conversation.state == "closed":
            raise FrameError("closed", f"conversation {conversation.id} is closed")
        p = self.principal
        key = f"{p.role.value}:{p.subject}"
        if not self.node.call_offers.allow(key, self.node.clock()):
            self.node.metrics.rate_limited.labels("call").inc()
            raise FrameError("rate_limited", "too many call offers: slow down")
        try:
            sdp = await self.node.calls.offer(conversation.id, p.role.value, p.subject,
                                              frame.sdp, owner=self, mode=frame.mode)
        except CallError as exc:
            await self._audit("call.offer", conversation.id, 403, frame.mode)
            raise FrameError(exc.code, str(exc)) from None
        await self._audit("call.offer", conversation.id, 200,
                          self.node.calls.mode(conversation.id, p.role.value, p.subject))
        self.conn.send({"type": "call.answer", "conversation": conversation.id, "sdp": sdp})
        if not self.node.fanout.following(self.follower, conversation.id):
            # on the call: its captions and notices come to this channel from now on
            await self.node.fanout.follow(self.follower, conversation.id,
                                          conversation.last_seq)
        if p.role.value == "customer":
            self.node.ai_answers_call(conversation)

    async def on_call_mode(self, frame: schemas.CallModeFrame) -> None:
        """A supervisor listens, whispers to the agent or joins (``call.mode`` back)."""
        conversation = await self._conversation(frame.conversation)
        p = self.principal
        try:
            await self.node.calls.set_mode(conversation.id, p.role.value, p.subject,
                                           frame.mode)
        except CallError as exc:
            await self._audit("call.mode", conversation.id, 403, frame.mode)
            raise FrameError(exc.code, str(exc)) from None
        await self._audit("call.mode", conversation.id, 200, frame.mode)
        self.conn.send({"type": "call.mode", "conversation": conversation.id,
                        "mode": frame.mode})

    async def _audit(self, action: str, conversation: str, status: int,
                     mode: str | None) -> None:
        await self.node.audit(self.principal, action, f"conversation={conversation}", status,
                              {"mode": mode} if mode else {})

    async def on_call_speak(self, frame: schemas.CallSpeakFrame) -> None:
        """Spoken translation on or off for the sender's own leg (``call.speak`` back)."""
        p = self.principal
        try:
            self.node.calls.set_spoken(frame.conversation, p.role.value, p.subject, frame.on)
        except CallError as exc:
            raise FrameError(exc.code, str(exc)) from None
        self.conn.send({"type": "call.speak", "conversation": frame.conversation,
                        "on": frame.on})

    async def on_call_hangup(self, frame: schemas.CallHangupFrame) -> None:
        """End the sender's own leg. One's own leg can always be hung up, even once the
        conversation is no longer one's own (the first agent of a warm transfer)."""
        p = self.principal
        if self.node.calls.mode(frame.conversation, p.role.value, p.subject) is None:
            await self._conversation(frame.conversation)  # a stranger learns nothing
        if not await self.node.calls.hang_up(frame.conversation, p.role.value, p.subject):
            raise FrameError("not_found", f"no call of yours in {frame.conversation}")
        self.conn.send({"type": "call.ended", "conversation": frame.conversation,
                        "reason": "hang-up"})

    async def on_room_join(self, frame: schemas.RoomJoinFrame) -> None:
        last = self.node.rooms.join(frame.room, self.conn)
        self.conn.send({"type": "room.joined", "room": frame.room, "last_seq": last,
                        "viewers": self.node.rooms.viewers(frame.room)})

    async def on_room_comment(self, frame: schemas.RoomCommentFrame) -> None:
        if frame.room not in self.conn.rooms:
            raise FrameError("forbidden", f"room {frame.room}: join it first")
        author = {"role": self.principal.role.value, "id": self.principal.subject}
        await self.node.rooms.comment(frame.room, author, frame.text)
        self.node.metrics.room_comments.inc()


async def handler(request: web.Request) -> web.StreamResponse:
    """Upgrade an authenticated request to the live channel and serve it until it closes."""
    from cbcs.server.app import NODE

    node = request.app[NODE]
    try:
        principal = node.authenticate(request)
    except AuthError as exc:
        return error_response(401, "unauthorized", str(exc))
    except ApiError as exc:   # too many refused credentials from this address
        return exc.response()
    if node.stopping:
        return error_response(503, "stopping", "the node is shutting down")
    limits = node.config.limits
    ws = web.WebSocketResponse(max_msg_size=limits.max_frame_bytes, heartbeat=20.0,
                               compress=False)
    await ws.prepare(request)
    conn = Connection(ws, principal, queue_size=limits.ws_queue_frames,
                      transport=request.transport)
    conn.start()
    session = Session(node, conn)
    node.connections.add(session)
    node.metrics.ws_connections.inc()
    try:
        try:
            await node.connected(session)
        except (StoreError, BusError):   # an outage, which the store or bus logs once
            session.error("unavailable", "storage or bus unavailable: connect again in a "
                          "moment")
            conn.close_soon(TRY_AGAIN_LATER, "try again later")
        async for msg in ws:
            if principal.expires_at is not None and node.clock() >= principal.expires_at:
                conn.close_soon(TOKEN_EXPIRED, "token expired")
                break
            if msg.type == WSMsgType.TEXT:
                await session.on_text(msg.data)
            elif msg.type == WSMsgType.BINARY:
                session.error("bad_frame", "expected text frames with JSON")
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        await node.disconnected(session)
        node.connections.discard(session)
        node.metrics.ws_connections.dec()
        if conn.closing_reason == "too slow: send queue full":
            node.metrics.ws_slow_disconnects.inc()
        node.metrics.ephemeral_dropped.inc(conn.dropped_ephemeral)
        node.rooms.leave_all(conn)
        await conn.close()
    return ws
