"""cbcs.client against a real node: tokens, refusals as ApiError, rooms over the live channel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cbcs.client import ApiError, Client
from cbcs.server.config import ServerConfig


def test_a_builder_mints_a_token_and_a_viewer_comments(config: ServerConfig,
                                                      serve: Any) -> None:
    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                token = await admin.mint_token("customer", "cust-9", ttl_s=120)
            async with Client(url, token) as me:
                with pytest.raises(ApiError) as refused:
                    await me.mint_token("admin", "me")
                assert refused.value.status == 403
                live = await me.live()
                joined = await live.join_room("sale")
                assert joined["viewers"] == 1
                await live.comment("sale", "how much is the sofa?")
                frame = await live.next("room.comment")
                await live.close()
                return frame
    frame = asyncio.run(go())
    assert frame["text"] == "how much is the sofa?" and frame["author"]["id"] == "cust-9"


def test_a_bad_token_is_refused_by_the_live_channel(config: ServerConfig, serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, _), Client(url, "not-a-token") as c:
            with pytest.raises(ApiError) as refused:
                await c.live()
            assert refused.value.status == 401
    asyncio.run(go())
