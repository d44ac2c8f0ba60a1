"""disputes: placeholder until implemented (the payments issue)."""

from __future__ import annotations

from typing import Any

from ..framework.context import RequestContext
from ..framework.routing import Route


def open_for_charge(ctx: RequestContext, charge: dict[str, Any], reason: str) -> dict[str, Any]:
    """Open a dispute on a succeeded charge (the createDispute test cards do this)."""
    raise NotImplementedError("disputes are not implemented yet")


ROUTES: list[Route] = []
