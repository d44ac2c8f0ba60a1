"""docs/actions.md is what `stripekit docs` writes now: every example in it ran against a
fresh sandbox, so a change to an action that changes its docs must regenerate them."""

from __future__ import annotations

import re
from pathlib import Path

from stripekit.tools import ACTIONS
from stripekit.tools.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
# The SDK makes a random idempotency key for each POST; events show it.
RANDOM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_reference_is_current_and_every_example_ran() -> None:
    fresh = render()
    assert RANDOM.sub("<uuid>", fresh) == RANDOM.sub("<uuid>", DOCS.read_text()), (
        "docs/actions.md is stale: run `.venv/bin/stripekit docs --out docs/actions.md`"
    )
    assert fresh.count("\n### `") == len(ACTIONS)
    assert "Example not runnable" not in fresh
    examples = sum(1 for action in ACTIONS.values() if action.example is not None)
    assert fresh.count("Returns:") == examples
