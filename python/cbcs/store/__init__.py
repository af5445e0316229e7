"""The store: one storage interface over SQLite (the embedded default: one file in the data
dir) and PostgreSQL (several nodes), with migrations. See :class:`cbcs.store.sql.SqlStore`
for how assignment stays atomic across nodes."""

from __future__ import annotations

from pathlib import Path

from cbcs.store.errors import Conflict, NotFound, StoreError, StoreFull, StoreUnavailable
from cbcs.store.sql import SqlStore

__all__ = ["Conflict", "NotFound", "SqlStore", "StoreError", "StoreFull", "StoreUnavailable",
           "open_store", "default_url"]


def default_url(data_dir: str | Path) -> str:
    """The embedded store: ``cbcs.db`` in the data dir."""
    return f"sqlite:///{Path(data_dir).resolve() / 'cbcs.db'}"


async def open_store(url: str) -> SqlStore:
    """Open ``sqlite:///FILE`` or ``postgresql://USER@HOST:PORT/DB`` and migrate it."""
    return await SqlStore.open(url)
