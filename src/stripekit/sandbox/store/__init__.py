"""Storage behind one interface: SQLite (file or memory) now, PostgreSQL later."""

from .base import CursorNotFound, Filter, IdempotencyRecord, KeyRecord, Page, Store, Transaction
from .sqlite import SQLiteStore

__all__ = [
    "CursorNotFound",
    "Filter",
    "IdempotencyRecord",
    "KeyRecord",
    "Page",
    "SQLiteStore",
    "Store",
    "Transaction",
]
