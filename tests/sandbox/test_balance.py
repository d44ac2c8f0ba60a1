"""The balance and its transactions through the official SDK, in both modes.

The helpers at the top put money in an account: through real payments when the payment
resources are there (`payment_intents.ROUTES`), else by writing a charge and its ledger
entry in-process, the way the charges code does. The disputes and payouts tests use them
too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import stripe

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import ledger
from stripekit.sandbox.framework.context import RequestContext
from stripekit.sandbox.resources import disputes, payment_intents

DAY = 86400
# The payment flows these tests prefer need PaymentIntents; until they exist, charges are
# written in-process (everything after the charge still goes through the SDK).
REAL_PAYMENTS = bool(getattr(payment_intents, "ROUTES", None))
needs_payments = pytest.mark.skipif(
    not REAL_PAYMENTS, reason="PaymentIntents are not implemented yet (payment_intents.ROUTES)"
)


# -- helpers shared with test_disputes.py and test_payouts.py ----------------------------


def account_of(sk: Harness) -> str:
    with sk.sandbox.engine.store.transaction(write=False) as tx:
        record = tx.key_get(sk.api_key)
    assert record is not None
    return record.account


@contextmanager
def in_process(sk: Harness) -> Iterator[RequestContext]:
    """A request context on the harness's account, committed (timers noted) on exit."""
    with sk.sandbox.engine.context_for(sk.api_key) as ctx:
        yield ctx


def _insert_charge(ctx: RequestContext, amount: int, currency: str) -> dict[str, Any]:
    """A captured card charge and its ledger entry, as the charges code records them."""
    charge = {
        "id": ctx.new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "balance_transaction": None,
        "created": ctx.now,
        "currency": currency,
        "disputed": False,
        "livemode": False,
        "payment_intent": None,
        "payment_method_details": {"card": {"brand": "visa", "network": "visa"}, "type": "card"},
        "status": "succeeded",
    }
    ctx.insert(charge)
    return charge


def _record_charge(ctx: RequestContext, charge: dict[str, Any], *, now: bool) -> None:
    txn = ledger.record(
        ctx,
        type_="charge",
        amount=charge["amount"],
        currency=charge["currency"],
        source=charge["id"],
        reporting_category="charge",
        fee=ledger.card_fee(charge["amount"], charge["currency"]),
        available=ledger.available_on(ctx.now, immediately=now),
    )
    charge["balance_transaction"] = txn["id"]
    ctx.save(charge)


def charge(
    sk: Harness, amount: int = 10_000, *, available: bool = True, currency: str = "usd"
) -> str:
    """A succeeded card charge; its net is available at once (`bypassPending`) or pending."""
    if REAL_PAYMENTS:
        intent = sk.client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency,
                "confirm": True,
                "payment_method": "pm_card_bypassPending" if available else "pm_card_visa",
                "payment_method_types": ["card"],
            }
        )
        assert intent.status == "succeeded"
        return str(intent.latest_charge)
    with in_process(sk) as ctx:
        made = _insert_charge(ctx, amount, currency)
        _record_charge(ctx, made, now=available)
        return str(made["id"])


def disputed_charge(
    sk: Harness, card: str = "createDispute", amount: int = 10_000
) -> tuple[str, str]:
    """(charge id, dispute id) for a payment with one of the dispute test cards."""
    if REAL_PAYMENTS:
        intent = sk.client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "usd",
                "confirm": True,
                "payment_method": f"pm_card_{card}",
                "payment_method_types": ["card"],
            }
        )
        charge_id = str(intent.latest_charge)
        found = sk.client.v1.disputes.list(params={"charge": charge_id}).data
        assert len(found) == 1
        return charge_id, found[0].id
    reasons = {
        "createDispute": "fraudulent",
        "createDisputeProductNotReceived": "product_not_received",
        "createDisputeInquiry": "general",
    }
    with in_process(sk) as ctx:
        made = _insert_charge(ctx, amount, "usd")
        _record_charge(ctx, made, now=False)
        dispute = disputes.open_for_charge(ctx, made, reasons[card])
        return str(made["id"]), str(dispute["id"])


def balance_of(client: stripe.StripeClient, currency: str = "usd") -> tuple[int, int]:
    """(available, pending) in one currency."""
    balance = client.v1.balance.retrieve()

    def pick(entries: list[Any]) -> int:
        return sum(e.amount for e in entries if e.currency == currency)

    return pick(balance.available), pick(balance.pending)


def all_transactions(client: stripe.StripeClient, **filters: Any) -> list[Any]:
    return list(
        client.v1.balance_transactions.list(params={"limit": 100, **filters}).auto_paging_iter()
    )


def net_total(client: stripe.StripeClient, currency: str = "usd") -> int:
    return sum(t.net for t in all_transactions(client, currency=currency))


def assert_books_balance(client: stripe.StripeClient) -> None:
    """The balance is exactly the sum of the transactions' nets, split by availability."""
    available, pending = balance_of(client)
    txns = all_transactions(client, currency="usd")
    assert available == sum(t.net for t in txns if t.status == "available")
    assert pending == sum(t.net for t in txns if t.status == "pending")


# -- the balance ---------------------------------------------------------------------------


def test_empty_balance_has_stripe_shape(client: stripe.StripeClient) -> None:
    balance = client.v1.balance.retrieve()
    assert balance.object == "balance" and balance.livemode is False
    zero = {"amount": 0, "currency": "usd", "source_types": {"card": 0}}
    assert [a.to_dict() for a in balance.available] == [zero]
    assert [p.to_dict() for p in balance.pending] == [zero]
    prefunding = balance.refund_and_dispute_prefunding.to_dict()
    assert prefunding == {
        "available": [{"amount": 0, "currency": "usd"}],
        "pending": [{"amount": 0, "currency": "usd"}],
    }
    # A plain account has no instant payouts, Connect reserve or Issuing balance.
    for absent in ("instant_available", "connect_reserved", "issuing"):
        assert absent not in balance
    assert client.v1.balance_transactions.list().data == []


def test_funds_move_from_pending_to_available_as_time_passes(
    sk: Harness, client: stripe.StripeClient
) -> None:
    charge_id = charge(sk, 10_000, available=False)
    fee = ledger.card_fee(10_000, "usd")
    assert balance_of(client) == (0, 10_000 - fee)
    [txn] = all_transactions(client)
    assert txn.status == "pending" and txn.source == charge_id
    assert txn.available_on % DAY == 0 and txn.available_on > txn.created
    assert client.v1.events.list(params={"type": "balance.available"}).data == []

    sk.sandbox.advance_clock(txn.available_on - txn.created + 1)
    assert balance_of(client) == (10_000 - fee, 0)
    again = client.v1.balance_transactions.retrieve(txn.id)
    assert again.status == "available"
    assert again.to_dict() == {**txn.to_dict(), "status": "available"}
    [event] = client.v1.events.list(params={"type": "balance.available"}).data
    assert event.created == txn.available_on
    assert event.data.object.available[0].amount == 10_000 - fee
    assert_books_balance(client)


def test_transaction_shape_and_retrieve(sk: Harness, client: stripe.StripeClient) -> None:
    charge_id = charge(sk, 2_000)
    [txn] = all_transactions(client)
    fee = ledger.card_fee(2_000, "usd")
    assert txn.id.startswith("txn_") and txn.object == "balance_transaction"
    assert (txn.amount, txn.fee, txn.net) == (2_000, fee, 2_000 - fee)
    assert txn.type == "charge" and txn.reporting_category == "charge"
    assert txn.status == "available" and txn.balance_type == "payments"
    assert txn.source == charge_id and txn.exchange_rate is None
    assert [d.to_dict() for d in txn.fee_details] == [
        {
            "amount": fee,
            "application": None,
            "currency": "usd",
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]
    assert "livemode" not in txn  # one of the few objects without it
    assert client.v1.balance_transactions.retrieve(txn.id).to_dict() == txn.to_dict()


def test_list_filters_and_pagination(sk: Harness, client: stripe.StripeClient) -> None:
    first = charge(sk, 1_000)
    sk.sandbox.advance_clock(10)
    second = charge(sk, 2_000)
    sk.sandbox.advance_clock(10)
    charge(sk, 3_000)
    everything = all_transactions(client)
    assert [t.amount for t in everything] == [3_000, 2_000, 1_000]  # newest first

    by_source = client.v1.balance_transactions.list(params={"source": second}).data
    assert [t.amount for t in by_source] == [2_000]
    assert client.v1.balance_transactions.list(params={"type": "charge"}).data
    assert client.v1.balance_transactions.list(params={"type": "payout"}).data == []
    assert client.v1.balance_transactions.list(params={"type": "nonsense"}).data == []
    assert client.v1.balance_transactions.list(params={"currency": "eur"}).data == []
    newest = everything[0].created
    recent = client.v1.balance_transactions.list(params={"created": {"gte": newest}}).data
    assert [t.amount for t in recent] == [3_000]

    page = client.v1.balance_transactions.list(params={"limit": 2})
    assert len(page.data) == 2 and page.has_more is True
    rest = client.v1.balance_transactions.list(params={"starting_after": page.data[-1].id})
    assert [t.source for t in rest.data] == [first] and rest.has_more is False
    assert page.url == "/v1/balance_transactions"


def test_legacy_history_routes_answer_the_same(sk: Harness) -> None:
    charge(sk, 1_500)
    listed = sk.raw("GET", "/v1/balance/history")
    assert listed.status == 200 and listed.body["url"] == "/v1/balance_transactions"
    [txn] = listed.body["data"]
    one = sk.raw("GET", f"/v1/balance/history/{txn['id']}")
    assert one.status == 200 and one.body == txn
    modern = sk.raw("GET", f"/v1/balance_transactions/{txn['id']}")
    assert modern.body == txn


def test_dispute_sources_are_never_matched(sk: Harness, client: stripe.StripeClient) -> None:
    # Stripe answers an empty page for `source=<dispute>` although the withdrawal's source
    # names the dispute; the sandbox keeps that quirk.
    _, dispute_id = disputed_charge(sk)
    withdrawal = [t for t in all_transactions(client) if t.source == dispute_id]
    assert len(withdrawal) == 1
    assert client.v1.balance_transactions.list(params={"source": dispute_id}).data == []


def test_payout_filter_refuses_manual_payouts(sk: Harness, client: stripe.StripeClient) -> None:
    charge(sk, 5_000)
    payout = client.v1.payouts.create(params={"amount": 1_000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.balance_transactions.list(params={"payout": payout.id})
    assert_stripe_error(
        exc.value,
        status=400,
        param="payout",
        message="Balance transaction history can only be filtered on automatic transfers, "
        "not manual.",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.balance_transactions.list(params={"payout": "po_missing"})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="payout",
        message="No such payout: 'po_missing'",
    )


def test_missing_transaction_and_bad_inputs(sk: Harness, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.balance_transactions.retrieve("txn_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="id",
        message="No such balance transaction: 'txn_missing'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.balance_transactions.list(params={"starting_after": "txn_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")
    for query, param in (
        ("limit=abc", "limit"),
        ("created[gt]=soon", "created[gt]"),
        ("bogus=1", "bogus"),
    ):
        response = sk.raw("GET", "/v1/balance_transactions", query=query)
        assert response.status == 400 and response.body["error"]["param"] == param, query
    assert sk.raw("GET", "/v1/balance", query="bogus=1").status == 400
    assert sk.raw("POST", "/v1/balance").status == 404


def test_expand_source(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    [withdrawal] = [t for t in all_transactions(client) if t.source == dispute_id]
    expanded = client.v1.balance_transactions.retrieve(withdrawal.id, params={"expand": ["source"]})
    assert expanded.source.object == "dispute" and expanded.source.id == dispute_id


def test_restricted_key_needs_balance_permissions(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key({"balance": "read"}, api_key=sk.api_key)
    assert sk.raw("GET", "/v1/balance", api_key=key).status == 200
    assert sk.raw("GET", "/v1/balance_transactions", api_key=key).status == 403
    both = sk.sandbox.create_restricted_key(
        {"balance": "read", "balance_transactions": "read"}, api_key=sk.api_key
    )
    assert sk.raw("GET", "/v1/balance/history", api_key=both).status == 200


def test_money_adds_up_across_every_movement(sk: Harness, client: stripe.StripeClient) -> None:
    """Charges, a lost and a won dispute, a payout and a cancelled payout: after each step
    the balance moved by exactly the nets of the new transactions."""
    seen: set[str] = set()
    before = sum(balance_of(client))

    def step() -> None:
        nonlocal before
        new = [t for t in all_transactions(client) if t.id not in seen]
        seen.update(t.id for t in new)
        after = sum(balance_of(client))
        assert after - before == sum(t.net for t in new)
        before = after
        assert_books_balance(client)

    charge(sk, 50_000)
    step()
    charge(sk, 7_000, available=False)
    step()
    _, lost = disputed_charge(sk, amount=4_000)
    step()
    client.v1.disputes.close(lost)
    step()
    _, won = disputed_charge(sk, amount=6_000)
    client.v1.disputes.update(won, params={"evidence": {"uncategorized_text": "winning_evidence"}})
    assert client.v1.disputes.retrieve(won).status == "won"
    step()
    _, inquiry = disputed_charge(sk, "createDisputeInquiry", amount=3_000)
    step()
    payout = client.v1.payouts.create(params={"amount": 20_000, "currency": "usd"})
    step()
    canceled = client.v1.payouts.create(params={"amount": 5_000, "currency": "usd"})
    step()
    client.v1.payouts.cancel(canceled.id)
    step()
    sk.sandbox.advance_clock(5 * DAY)
    step()
    assert client.v1.payouts.retrieve(payout.id).status == "paid"
    assert client.v1.disputes.retrieve(inquiry).balance_transactions == []

    fee = ledger.card_fee
    expected = (
        50_000 - fee(50_000, "usd")
        + 7_000 - fee(7_000, "usd")
        + 4_000 - fee(4_000, "usd") - 4_000 - 1_500  # lost: amount and dispute fee gone
        + 6_000 - fee(6_000, "usd") - 1_500  # won: the amount came back, the fee did not
        + 3_000 - fee(3_000, "usd")  # an inquiry moves no money
        - 20_000
    )  # fmt: skip
    assert balance_of(client) == (expected, 0)
    assert net_total(client) == expected
