"""Receiving Stripe's webhooks done right: the SDK's signature check (with secret
rolling), each handler run to completion once per event across retries, resends and
concurrent workers, and answers that make Stripe retry exactly what still needs doing.
See `receiver.py` for the contract and `ledger.py` for what "once" means."""

from .ledger import Entry, Ledger, MemoryLedger, PostgresLedger, SQLiteLedger
from .receiver import Handler, Outcome, WebhookReceiver

__all__ = [
    "Entry",
    "Handler",
    "Ledger",
    "MemoryLedger",
    "Outcome",
    "PostgresLedger",
    "SQLiteLedger",
    "WebhookReceiver",
]
