"""`stripekit trigger`: every recipe, run with the official SDK against the sandbox (in
process and over a socket), makes the sandbox emit its event; overrides reach the
objects they name; the command prints the requests and events."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from conftest import Harness
from stripekit import trigger
from stripekit.cli import main
from stripekit.sandbox import Sandbox
from stripekit.sandbox.server import BackgroundServer

CHECKOUT = "checkout.session.completed"


def run(sk: Harness, event: str, *overrides: str) -> tuple[trigger.Outcome, str]:
    out = io.StringIO()
    client = trigger.build_client(
        sk.api_key, sk.base_url, trigger.PrintingHTTPClient(sk.transport, out)
    )
    outcome = trigger.trigger(event, client, trigger.parse_overrides(list(overrides)), out)
    return outcome, out.getvalue()


@pytest.mark.parametrize("event", sorted(trigger.RECIPES))
def test_every_recipe_emits_its_event(sk: Harness, event: str) -> None:
    outcome, printed = run(sk, event)
    if event == CHECKOUT and outcome.status == "unavailable":
        pytest.skip("Checkout Sessions cannot be completed in this sandbox yet")
    assert outcome.status == "ok", printed
    listed = sk.client.v1.events.list(params={"type": event}).data
    assert listed, f"no {event} in /v1/events"
    produced = dict(outcome.events)
    assert any(e.id in produced for e in listed)
    assert "Trigger succeeded!" in printed
    for event_id, event_type in outcome.events:
        assert f"event {event_id} {event_type}" in printed


def test_requests_are_printed(sk: Harness) -> None:
    outcome, printed = run(sk, "charge.refunded")
    lines = printed.splitlines()
    assert "  POST   /v1/payment_intents -> 200" in lines
    assert "  POST   /v1/refunds -> 200" in lines
    types = [t for _, t in outcome.events]
    assert types.index("charge.succeeded") < types.index("charge.refunded")
    assert "refund.created" in types


def test_a_second_run_reports_only_its_own_events(sk: Harness) -> None:
    first, _ = run(sk, "customer.subscription.trial_will_end")
    second, _ = run(sk, "customer.subscription.trial_will_end")
    assert second.status == "ok"
    assert not {i for i, _ in first.events} & {i for i, _ in second.events}
    again, _ = run(sk, "customer.created")
    assert [t for _, t in again.events] == ["customer.created"]


def test_overrides_reach_the_named_resource(sk: Harness) -> None:
    outcome, printed = run(
        sk,
        "customer.created",
        "customer:name=Acme",
        "customer:metadata[plan]=gold",
        "customer:address.city=Paris",
    )
    [(event_id, _)] = outcome.events
    customer = sk.client.v1.events.retrieve(event_id).data.object.to_dict()
    assert customer["name"] == "Acme"
    assert customer["metadata"] == {"created_by": "stripekit trigger", "plan": "gold"}
    assert customer["address"]["city"] == "Paris"
    assert "Warning" not in printed


def test_override_of_amounts_and_unused_resources(sk: Harness) -> None:
    outcome, printed = run(
        sk, "payment_intent.succeeded", "payment_intent:amount=555", "invoice:description=x"
    )
    assert outcome.status == "ok"
    [intent] = sk.client.v1.payment_intents.list().data
    assert intent.amount == 555 and intent.status == "succeeded"
    assert "Warning: no invoice in this recipe; override ignored" in printed


def test_override_a_price_in_a_subscription(sk: Harness) -> None:
    outcome, _ = run(sk, "customer.subscription.created", "price:unit_amount=4200")
    assert outcome.status == "ok"
    [sub] = sk.client.v1.subscriptions.list().data
    assert sub["items"].data[0].price.unit_amount == 4200


def test_a_bad_override_changes_nothing_it_should_not(sk: Harness) -> None:
    """An override Stripe refuses is Stripe's error, from the first call it reaches."""
    with pytest.raises(stripe.InvalidRequestError) as exc:
        run(sk, "customer.created", "customer:colour=blue")
    assert exc.value.param == "colour"
    assert sk.client.v1.customers.list().data == []


@pytest.mark.parametrize(
    "text", ["customer", "customer:name", "name=Acme", ":name=x", "customer:=x", "customer:[]=x"]
)
def test_malformed_overrides(text: str) -> None:
    with pytest.raises(ValueError, match="invalid override"):
        trigger.parse_override(text)


def test_override_paths() -> None:
    assert trigger.parse_overrides(
        [
            "customer:metadata[a]=1",
            "customer:metadata.b=2",
            "customer:name=x",
            "price:unit_amount=7",
        ]
    ) == {
        "customer": {"metadata": {"a": "1", "b": "2"}, "name": "x"},
        "price": {"unit_amount": "7"},
    }


def test_checkout_session_completed_pays_through_the_sandbox(sk: Harness) -> None:
    outcome, printed = run(sk, CHECKOUT)
    assert outcome.status == "ok", printed
    assert "/complete -> 200" in printed
    session = sk.client.v1.checkout.sessions.list(params={"limit": 1}).data[0]
    assert (session.status, session.payment_status) == ("complete", "paid")


# -- the command ------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[str, str]]:
    with Sandbox() as sandbox:
        server: BackgroundServer = sandbox.serve()
        try:
            yield server.url, sandbox.api_key
        finally:
            server.stop()


def test_command_runs_a_recipe(served: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    url, key = served
    code = main(
        [
            "trigger",
            "invoice.paid",
            "--api-base",
            url,
            "--api-key",
            key,
            "--override",
            "customer:email=billing@example.com",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "  POST   /v1/invoices -> 200" in printed
    assert " invoice.paid" in printed and "Trigger succeeded!" in printed
    client = stripe.StripeClient(key, base_addresses={"api": url})
    [customer] = client.v1.customers.list().data
    assert customer.email == "billing@example.com"


def test_command_reads_the_environment(
    served: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, key = served
    monkeypatch.setenv("STRIPE_API_KEY", key)
    monkeypatch.setenv("STRIPEKIT_API_BASE", url)
    assert main(["trigger", "product.created"]) == 0
    assert "product.created" in capsys.readouterr().out


def test_command_errors(
    served: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, key = served
    assert main(["trigger", "nope.happened", "--api-key", key, "--api-base", url]) == 2
    assert "Unsupported event: nope.happened" in capsys.readouterr().out
    assert main(["trigger", "customer.created", "--override", "bad"]) == 2
    assert "invalid override 'bad'" in capsys.readouterr().out
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    with pytest.raises(SystemExit, match="no API key"):
        main(["trigger", "customer.created", "--api-base", url])
    # A Stripe error on the way is reported, not a traceback.
    code = main(
        [
            "trigger",
            "customer.created",
            "--api-key",
            key,
            "--api-base",
            url,
            "--override",
            "customer:colour=blue",
        ]
    )
    assert code == 1
    assert "Trigger failed: Received unknown parameter: colour" in capsys.readouterr().out


def test_list_and_help_show_the_recipe_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trigger", "--list"]) == 0
    listed = capsys.readouterr().out
    for event, recipe in trigger.RECIPES.items():
        assert event in listed and recipe.summary in listed
    with pytest.raises(SystemExit):
        main(["trigger", "--help"])
    assert "payment_intent.succeeded" in capsys.readouterr().out
    assert len(trigger.RECIPES) >= 30


def test_command_on_a_named_account_of_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "stripekit.toml").write_text("[accounts.scratch]\nsandbox = true\n")
    assert main(["trigger", "customer.created", "--account", "scratch"]) == 0
    assert "customer.created" in capsys.readouterr().out
    with Sandbox(tmp_path / ".stripekit" / "sandbox.db") as sandbox:
        events = sandbox.client(sandbox.account_key("scratch")).v1.events.list().data
        assert [e.type for e in events] == ["customer.created"]
        assert sandbox.client().v1.events.list().data == []  # the default account: untouched
    assert main(["trigger", "customer.created", "--account", "nope"]) == 2
    assert "no account named 'nope'" in capsys.readouterr().out
