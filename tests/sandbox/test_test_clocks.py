"""Test clocks: their objects, the asynchronous advance, and customers living on a clock."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox, resources
from stripekit.sandbox.framework.context import RequestContext

FROZEN = 1_800_000_000


def test_create_retrieve_list_delete(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": FROZEN, "name": "renewals"}
    )
    assert clock.id.startswith("clock_")
    assert (clock.status, clock.frozen_time, clock.name) == ("ready", FROZEN, "renewals")
    assert clock.deletes_after == clock.created + 30 * 86400
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).to_dict() == clock.to_dict()
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock.id]
    deleted = client.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="test_clock")
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["test_helpers.test_clock.deleted", "test_helpers.test_clock.created"]


def test_advance_is_asynchronous_then_ready(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    advancing = client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": FROZEN + 86400}
    )
    assert advancing.status == "advancing"
    assert advancing.status_details.advancing.target_frozen_time == FROZEN + 86400
    ready = client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (ready.status, ready.frozen_time) == ("ready", FROZEN + 86400)
    assert ready.status_details.to_dict() == {}
    types = [e.type for e in client.v1.events.list(params={"type": "test_helpers.*"}).data]
    assert types == [
        "test_helpers.test_clock.ready",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.created",
    ]


def test_advance_must_move_forward(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN})
    assert_stripe_error(exc.value, status=400, param="frozen_time")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.test_helpers.test_clocks.advance("clock_missing", params={"frozen_time": 1})
    assert_stripe_error(exc.value, status=404, code="resource_missing", param="test_clock")


def test_customers_live_on_the_clock(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "name": "on clock"})
    other = client.v1.customers.create(params={"name": "off clock"})
    assert customer.created == FROZEN and customer.test_clock == clock.id
    created = client.v1.events.list(params={"type": "customer.created"}).data
    by_customer = {e.data.object.id: e.created for e in created}
    assert by_customer[customer.id] == FROZEN  # events about clock objects carry its time
    assert by_customer[other.id] != FROZEN
    on_clock = client.v1.customers.list(params={"test_clock": clock.id}).data
    assert [c.id for c in on_clock] == [customer.id]
    client.v1.test_helpers.test_clocks.delete(clock.id)
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.retrieve(other.id).name == "off clock"


def test_unknown_clock_on_a_customer(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"test_clock": "clock_missing"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="test_clock")


def test_clock_timers_run_in_order_at_their_own_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machinery billing stands on: a timer scheduled on a clock runs only when the
    clock is advanced past it, in due order, with the clock's time as `now`."""
    seen: list[tuple[str, int, int]] = []

    def mark(ctx: RequestContext, ref: str) -> None:
        clock = ctx.find("test_helpers.test_clock", ref.split(":")[0])
        assert clock is not None
        seen.append((ref, ctx.now, clock["frozen_time"]))

    monkeypatch.setitem(resources.TIMERS, "test.mark", mark)
    with Sandbox() as sandbox:
        client = sandbox.client()
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
        engine = sandbox.engine
        with engine.store.transaction(write=True) as tx:
            account = tx.key_get(sandbox.api_key)
            assert account is not None
            for offset in (300, 100, 200, 5000):
                tx.timer_add(
                    account.account, FROZEN + offset, "test.mark", f"{clock.id}:{offset}", clock.id
                )
        sandbox.advance_clock(10 * 86400)  # sandbox time alone runs none of them
        assert seen == []
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + 400})
        assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
        expected: list[Any] = [(f"{clock.id}:{o}", FROZEN + o, FROZEN + o) for o in (100, 200, 300)]
        assert seen == expected
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + 9000})
        client.v1.test_helpers.test_clocks.retrieve(clock.id)
        assert seen[-1] == (f"{clock.id}:5000", FROZEN + 5000, FROZEN + 5000)


def test_restricted_key_permission_name(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key("read_only", api_key=sk.api_key)
    with pytest.raises(stripe.PermissionError):
        sk.make_client(key).v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})


def test_advance_is_limited_to_two_intervals(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    # Without subscriptions: two years.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": FROZEN + 3 * 365 * 86400}
        )
    assert_stripe_error(exc.value, status=400, param="frozen_time")
    # With a weekly subscription: two weeks.
    card = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": card.id,
            "invoice_settings": {"default_payment_method": card.id},
        }
    )
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 300,
            "recurring": {"interval": "week"},
            "product_data": {"name": "Weekly"},
        }
    )
    client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": FROZEN + 15 * 86400}
        )
    ok = client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": FROZEN + 14 * 86400}
    )
    assert ok.status == "advancing"


def test_a_clock_customers_payment_becomes_available_as_the_clock_advances(
    client: stripe.StripeClient,
) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": FROZEN})
    card = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": card.id,
            "invoice_settings": {"default_payment_method": card.id},
        }
    )
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Monthly"},
        }
    )
    client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    # A payment outside the clock follows sandbox time.
    client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": True, "payment_method_types": ["card"]}
    )  # fmt: skip
    net = 1000 - 59  # 2.9% + 30c
    balance = client.v1.balance.retrieve()
    assert (balance.available[0].amount, balance.pending[0].amount) == (0, net + 500 - 45)
    txn = client.v1.balance_transactions.list(params={"type": "charge", "limit": 2}).data[1]
    assert txn.status == "pending" and txn.available_on == (FROZEN // 86400 + 2) * 86400

    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": FROZEN + 3 * 86400})
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
    balance = client.v1.balance.retrieve()
    assert (balance.available[0].amount, balance.pending[0].amount) == (net, 500 - 45)
    assert client.v1.balance_transactions.retrieve(txn.id).status == "available"
    available = client.v1.events.list(params={"type": "balance.available"}).data
    assert len(available) == 1 and available[0].created == (FROZEN // 86400 + 2) * 86400
