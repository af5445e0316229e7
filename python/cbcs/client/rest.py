"""REST calls of the service contract."""

from __future__ import annotations

import json
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

