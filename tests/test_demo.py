"""The README's main job: the demo runs against a served sandbox and prints each step."""

from __future__ import annotations

import pytest

from stripekit.cli import main


def test_demo_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "retried with the same idempotency key -> same customer: True" in out
    assert "15.00 USD/month for product 'Pro plan' (expanded)" in out
    assert "listed 2 of the 4 customers, has_more=True" in out
    assert "404 resource_missing: No such customer: 'cus_doesnotexist'" in out
    assert "deleted=True" in out
