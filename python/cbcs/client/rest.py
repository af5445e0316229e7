"""REST calls of the service contract."""

from __future__ import annotations

import json
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from cbcs.client.errors import ApiError

if TYPE_CHECKING:
    from cbcs.client.live import LiveChannel


class Client:
    """REST client for one bearer (a token, or the admin key).

    ``async with Client(url, token) as c: await c.start_conversation(...)``; every call
    returns the JSON answer, or raises :class:`ApiError` with the service's reason.
    """

    def __init__(self, base_url: str, token: str, *,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, path: str, body: Any = None,
                      params: dict[str, Any] | None = None) -> Any:
        """One call; the decoded JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.request(method, self.base_url + path, json=body,
                                        params=params, headers=headers) as resp:
            text = await resp.text()
            data = json.loads(text) if text else None
            if resp.status >= 400:
                err = (data or {}).get("error", {}) if isinstance(data, dict) else {}
                raise ApiError(resp.status, str(err.get("code", "http_error")),
                               str(err.get("message", text[:200])))
            return data

    # --- the contract ---------------------------------------------------------------

    async def mint_token(self, role: str, subject: str, ttl_s: int = 3600) -> str:
        """A token for ``subject`` in ``role`` (the client's bearer must be the admin key)."""
        answer = await self.request("POST", "/api/v1/tokens",
                                    {"role": role, "subject": subject, "ttl_s": ttl_s})
        return str(answer["token"])

    async def put_agent(self, agent_id: str, **profile: Any) -> dict[str, Any]:
        """Create or change an agent: ``name``, ``languages={"es": 5}``, ``skills``,
        ``markets``, ``time_zone``, ``shift``, ``capacity`` (admin or supervisor)."""
        return dict(await self.request("PUT", f"/api/v1/agents/{agent_id}", profile))

    async def set_status(self, agent_id: str, status: str) -> dict[str, Any]:
        """Presence: ``available``, ``away`` or ``offline`` (the agent themselves)."""
        return dict(await self.request("POST", f"/api/v1/agents/{agent_id}/status",
                                       {"status": status}))

    async def put_queue(self, name: str, **workflow: Any) -> dict[str, Any]:
        """A queue and its workflow: ``target``, ``priority``, ``steps``, ``max_wait_s``..."""
        return dict(await self.request("PUT", f"/api/v1/queues/{name}", workflow))

    async def start_conversation(self, channel: str = "chat", *, language: str | None = None,
                                 market: str | None = None,
                                 order_id: str | None = None) -> dict[str, Any]:
        """A new conversation of the token's customer; the AI tier answers first."""
        body = {k: v for k, v in (("channel", channel), ("language", language),
                                  ("market", market), ("order_id", order_id)) if v is not None}
        return dict(await self.request("POST", "/api/v1/conversations", body))

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/api/v1/conversations/{conversation_id}"))

    async def messages(self, conversation_id: str, after_seq: int = 0,
                       limit: int = 200) -> list[dict[str, Any]]:
        """The history after ``after_seq``, in order."""
        answer = await self.request("GET", f"/api/v1/conversations/{conversation_id}/messages",
                                    params={"after_seq": after_seq, "limit": limit})
        return list(answer["messages"])

    async def post_message(self, conversation_id: str, text: str,
                           client_id: str | None = None) -> dict[str, Any]:
        """Post over REST (``{seq, created}``); a retry with the same ``client_id`` stores
        nothing new."""
        return dict(await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/messages",
            {"client_id": client_id or uuid.uuid4().hex, "text": text}))

    async def escalate(self, conversation_id: str, reason: str) -> dict[str, Any]:
        """Ask for a human (or another one)."""
        return dict(await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/escalate", {"reason": reason}))

    async def correct_intent(self, conversation_id: str, intent: str) -> dict[str, Any]:
        """A person's intent for the conversation (the AI tier learns from it)."""
        return dict(await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/intent", {"intent": intent}))

    async def accept(self, reservation_id: str) -> dict[str, Any]:
        return dict(await self.request("POST", f"/api/v1/reservations/{reservation_id}/accept"))

    async def reject(self, reservation_id: str) -> dict[str, Any]:
        return dict(await self.request("POST", f"/api/v1/reservations/{reservation_id}/reject"))

    async def close_conversation(self, conversation_id: str,
                                 resolution: str) -> dict[str, Any]:
        return dict(await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/close",
            {"resolution": resolution}))

    async def assist(self, conversation_id: str, lang: str | None = None) -> dict[str, Any]:
        """Agent assist for a conversation: suggestions, sentiment, order, summary."""
        return dict(await self.request(
            "GET", f"/api/v1/conversations/{conversation_id}/assist",
            params={"lang": lang} if lang else None))

    async def queue_stats(self) -> dict[str, Any]:
        return dict(await self.request("GET", "/api/v1/stats/queues"))

    async def open_ticket(self, customer_id: str, category: str, summary: str,
                          **fields: Any) -> dict[str, Any]:
        return dict(await self.request("POST", "/api/v1/tickets", {
            "customer_id": customer_id, "category": category, "summary": summary, **fields}))

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/api/v1/tickets/{ticket_id}"))

    async def put_article(self, market: str, language: str, slug: str, title: str,
                          body: str) -> dict[str, Any]:
        return dict(await self.request("PUT", f"/api/v1/kb/{market}/{language}/{slug}",
                                       {"title": title, "body": body}))

    async def audit(self, after_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """What supervisors and admins did, oldest first (admin only)."""
        answer = await self.request("GET", "/api/v1/audit",
                                    params={"after_id": after_id, "limit": limit})
        entries: list[dict[str, Any]] = answer["entries"]
        return entries

    def live_url(self) -> str:
        """The WebSocket URL of the live channel for this bearer."""
        base = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{base}/ws"

    async def live(self, *, queue_size: int = 1024) -> LiveChannel:
        """Open the live channel (:class:`cbcs.client.LiveChannel`)."""
        from cbcs.client.live import LiveChannel

        channel = LiveChannel(self.live_url(), self.token, self.session, queue_size=queue_size)
        await channel.connect()
        return channel

