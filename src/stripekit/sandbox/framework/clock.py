"""The sandbox's notion of time, injected into every request.

Resources never read the wall clock: they read `RequestContext.now`, taken from this clock
once per request. The clock runs with the wall clock plus an offset (so `advance` moves
the whole sandbox forward) or stands still when frozen, which makes tests deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    def __init__(
        self,
        *,
        start: float | None = None,
        frozen: bool = False,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._wall = wall
        self.frozen = frozen
        self._frozen_at = float(start if start is not None else wall())
        self.offset = 0.0 if start is None else float(start) - wall()

    def now(self) -> int:
        """Current sandbox time in whole seconds since the epoch (Stripe's unit)."""
        if self.frozen:
            return int(self._frozen_at)
        return int(self._wall() + self.offset)

    def time(self) -> float:
        """Current sandbox time with its fraction: webhook retries compressed by a time
        factor fall due within a second."""
        if self.frozen:
            return self._frozen_at
        return self._wall() + self.offset

    def advance(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        if self.frozen:
            self._frozen_at += seconds
        else:
            self.offset += seconds
        return self.now()

    def set_offset(self, offset: float) -> None:
        """Restore a persisted offset (the sandbox's time survives a restart)."""
        if self.frozen:
            self._frozen_at = self._wall() + offset
        self.offset = offset

    def current_offset(self) -> float:
        return (self._frozen_at - self._wall()) if self.frozen else self.offset
