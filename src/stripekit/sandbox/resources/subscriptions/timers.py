"""Timer kinds and references for subscriptions.

A timer's reference names the subscription and the moment it was scheduled for
(`sub_...@1700000000`; an overdue watch names the invoice too: `sub_...@due:in_...`). The
handler compares that moment with the subscription's current state and does nothing when
they disagree, since a scheduled timer cannot be withdrawn when plans change.
"""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext

CYCLE = "subscription.cycle"
TRIAL_WILL_END = "subscription.trial_will_end"
EXPIRE_INCOMPLETE = "subscription.expire_incomplete"
CANCEL_AT = "subscription.cancel_at"
RESUME_COLLECTION = "subscription.resume_collection"
OVERDUE = "subscription.invoice_overdue"
PENDING_UPDATE_EXPIRY = "subscription.pending_update_expiry"


def ref(sub: dict[str, Any], at: int, extra: str | None = None) -> str:
    return f"{sub['id']}@{at}" + (f":{extra}" if extra else "")


def parse(value: str) -> tuple[str, int, str | None]:
    sub_id, _, rest = value.partition("@")
    at, _, extra = rest.partition(":")
    return sub_id, int(at or 0), extra or None


def schedule(
    ctx: RequestContext, sub: dict[str, Any], due: int, kind: str, extra: str | None = None
) -> None:
    """A timer on the subscription's test clock (or on sandbox time without one)."""
    clock = sub.get("test_clock")
    if clock:
        ctx.schedule(due, kind, ref(sub, due, extra), clock=clock)
    else:
        ctx.schedule(due, kind, ref(sub, due, extra))
