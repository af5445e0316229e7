"""The Python client of the service (asyncio; REST and WebSocket): what builders, tests and
load tests use. ``Client(base_url, token)`` for REST, ``await client.live()`` for the live
channel."""

from cbcs.client.errors import ApiError
from cbcs.client.live import LiveChannel
from cbcs.client.rest import Client

__all__ = ["ApiError", "Client", "LiveChannel"]
