"""Storage behind one interface: in memory (tests, a server without --db), SQLite files,
and PostgreSQL later; all pass the same store tests."""

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
)
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "CursorNotFound",
    "Delivery",
    "Filter",
    "IdempotencyRecord",
    "KeyRecord",
    "MemoryStore",
    "Page",
    "SQLiteStore",
    "Store",
    "Timer",
    "Transaction",
]
