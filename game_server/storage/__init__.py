"""Storage backends of the game server: SQLite (default) and MongoDB."""

from __future__ import annotations

from pathlib import Path

from .base import (
    COLLECTIONS,
    ConflictError,
    Storage,
    StorageError,
    StorageHealth,
    StorageUnavailable,
    Upserted,
)
from .sqlite import DATABASE_FILE, SQLiteStorage

__all__ = [
    "COLLECTIONS",
    "ConflictError",
    "Storage",
    "StorageError",
    "StorageHealth",
    "StorageUnavailable",
    "Upserted",
    "open_storage",
]


def open_storage(url: str | None, data_dir: Path) -> Storage:
    """Return the (not yet opened) storage for a database URL, SQLite when None.

    ``mongodb://`` and ``mongodb+srv://`` URLs select MongoDB; ``sqlite:///PATH`` or no URL
    select SQLite (by default ``sunshare.db`` in the data directory).
    """
    if url is None or url == "":
        return SQLiteStorage(data_dir / DATABASE_FILE)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from .mongo import MongoStorage

        return MongoStorage(url)
    if url.startswith("sqlite:///"):
        return SQLiteStorage(Path(url.removeprefix("sqlite:///")))
    raise StorageError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")
