"""Storage behind one interface: in memory (tests, a server without --db), SQLite files,
and PostgreSQL (`PostgresStore`, with the `postgres` extra); all pass the same store tests."""

from typing import TYPE_CHECKING, Any

from .base import (
    CursorNotFound,
    Delivery,
    Filter,
    IdempotencyRecord,
    KeyRecord,
    Page,
    Store,
    Timer,
    Transaction,
    WriteNeeded,
)
from .memory import MemoryStore
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from .postgres import PostgresStore


def __getattr__(name: str) -> Any:
    # Imported on first use: psycopg is an optional extra, and the sandbox must run without it.
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CursorNotFound",
    "Delivery",
    "Filter",
    "IdempotencyRecord",
    "KeyRecord",
    "MemoryStore",
    "Page",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "Timer",
    "Transaction",
    "WriteNeeded",
]
