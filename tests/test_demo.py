"""The README's main job: source 000's five workflows through integrations.stripe on the
embedded sandbox, then the same sandbox over HTTP."""

from __future__ import annotations

import re

import pytest

from stripekit.cli import main


def test_demo_runs_the_five_workflows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"subscription sub_\w+ is active, paid through \d{4}-\d\d-\d\d", out)
    assert "confirmed with pm_card_visa: succeeded" in out
    assert "authorized: requires_capture, 100.00 USD on hold" in out
    assert "captured 75.00 USD of 100.00 USD: succeeded, amount_capturable now 0" in out
    assert re.search(r"paid: paid, number \w+-0001, 500.00 USD charged", out)
    assert out.count(" is now void") == 2
    assert "charges made to Evan Park along the way: 0" in out
    assert "404" in out and "No such customer: 'cus_doesnotexist'" in out
    assert "the official SDK lists 3 customers (has_more=True)" in out
