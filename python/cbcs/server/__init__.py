"""The service (`cbcs serve`): REST and WebSocket on aiohttp, auth, OpenAPI; wiring only."""
