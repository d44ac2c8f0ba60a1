"""The billing cycle driven through test clocks, one test per scenario of the billing
issue, official SDK in both modes. Every invoice a scenario meets has its totals checked
against its lines, and every timestamp against the clock.

The helpers at the top are shared by test_subscriptions.py and
test_subscription_items.py.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from stripekit.sandbox import resources

DAY = 86400
HOUR = 3600
# 2027-01-15 08:00:00 UTC: a 31-day month first, then February's 28 days.
T0 = 1_800_000_000
X = "\N{MULTIPLICATION SIGN}"  # Stripe writes quantities as `1 <times sign> Gold`


# -- helpers ---------------------------------------------------------------------------------


def add_months(timestamp: int, months: int) -> int:
    """Calendar months on, the day clamped to the month's end (Stripe's billing dates)."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def prorated(amount: int, remaining: int, period: int) -> int:
    """`amount * remaining / period` rounded half up, as a proration line is."""
    return (2 * amount * remaining + period) // (2 * period)


def date_text(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%d %b %Y")


@dataclass
class Billing:
    """A customer living on a test clock, with a default card."""

    client: stripe.StripeClient
    clock: str
    customer: str
    payment_method: str | None

    def now(self) -> int:
        return int(self.client.v1.test_helpers.test_clocks.retrieve(self.clock).frozen_time)

    def advance(self, to: int) -> None:
        """Advance the clock and wait for it to be ready (the next request runs it)."""
        self.client.v1.test_helpers.test_clocks.advance(self.clock, params={"frozen_time": to})
        ready = self.client.v1.test_helpers.test_clocks.retrieve(self.clock)
        assert (ready.status, ready.frozen_time) == ("ready", to)

    def set_default(self, test_id: str) -> str:
        pm = self.client.v1.payment_methods.attach(test_id, params={"customer": self.customer})
        self.client.v1.customers.update(
            self.customer, params={"invoice_settings": {"default_payment_method": pm.id}}
        )
        return pm.id

    def invoices(self, subscription: str | None = None) -> list[Any]:
        params: dict[str, Any] = {"customer": self.customer, "limit": 100}
        if subscription:
            params["subscription"] = subscription
        found = list(self.client.v1.invoices.list(params=params).auto_paging_iter())
        return sorted(found, key=lambda i: (i.created, i.number or ""))

    def subscribe(self, **params: Any) -> Any:
        return self.client.v1.subscriptions.create(params={"customer": self.customer, **params})


def on_clock(
    client: stripe.StripeClient, *, card: str | None = "pm_card_visa", start: int = T0
) -> Billing:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start})
    customer = client.v1.customers.create(
        params={"test_clock": clock.id, "email": "billing@example.com"}
    )
    billing = Billing(client, clock.id, customer.id, None)
    if card is not None:
        billing.payment_method = billing.set_default(card)
    return billing


def recurring_price(
    client: stripe.StripeClient,
    amount: int,
    *,
    name: str = "Gold",
    interval: str = "month",
    **extra: Any,
) -> Any:
    return client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": interval, **extra.pop("recurring", {})},
            "product_data": {"name": name},
            **extra,
        }
    )


def lines_of(client: stripe.StripeClient, invoice: Any) -> list[Any]:
    if not invoice.lines.has_more:
        return list(invoice.lines.data)
    return list(
        client.v1.invoices.line_items.list(invoice.id, params={"limit": 100}).auto_paging_iter()
    )


def check_totals(client: stripe.StripeClient, invoice: Any) -> list[Any]:
    """An invoice's totals agree with its lines; returns the lines."""
    lines = lines_of(client, invoice)
    assert invoice.lines.total_count == len(lines)
    subtotal = sum(line.amount for line in lines)
    assert invoice.subtotal == subtotal, (invoice.id, invoice.subtotal, subtotal)
    discounted = sum(d.amount for d in invoice.total_discount_amounts or [])
    line_discounts = sum(d.amount for line in lines for d in (line.discount_amounts or []))
    assert discounted == line_discounts
    assert invoice.total == subtotal - discounted
    assert invoice.total_excluding_tax == invoice.total
    if invoice.status != "draft":
        # The customer's balance: credit lowers what is due, what is left over stays.
        assert invoice.amount_due == (
            invoice.total + invoice.starting_balance - invoice.ending_balance
        )
    assert invoice.amount_remaining == invoice.amount_due - invoice.amount_paid
    for line in lines:
        assert line.subtotal == line.amount
    return lines


def subscription_lines(lines: list[Any]) -> list[Any]:
    return [line for line in lines if line.parent.type == "subscription_item_details"]


def events(client: stripe.StripeClient, type_: str) -> list[Any]:
    found = client.v1.events.list(params={"type": type_, "limit": 100}).data
    return list(reversed(found))


# -- scenarios --------------------------------------------------------------------------------


def test_monthly_subscription_over_thirteen_renewals(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1500)
    sub = billing.subscribe(items=[{"price": price.id}])
    assert sub.status == "active" and sub.created == T0 and sub.start_date == T0
    assert sub.billing_cycle_anchor == T0
    prefix = client.v1.customers.retrieve(billing.customer).invoice_prefix
    boundaries = [add_months(T0, n) for n in range(15)]
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.billing_reason == "subscription_create" and first.status == "paid"
    assert first.number == f"{prefix}-0001" and first.created == T0
    assert first.status_transitions.paid_at == T0
    (line,) = check_totals(client, first)
    assert (line.period.start, line.period.end) == (T0, boundaries[1])
    assert line.description == f"1 {X} Gold (at $15.00 / month)"
    for n in range(1, 14):
        start, end = boundaries[n], boundaries[n + 1]
        billing.advance(start + 2 * HOUR)
        sub = client.v1.subscriptions.retrieve(sub.id)
        item = sub["items"].data[0]
        assert sub.status == "active"
        assert (item.current_period_start, item.current_period_end) == (start, end)
        invoice = client.v1.invoices.retrieve(sub.latest_invoice)
        assert invoice.billing_reason == "subscription_cycle"
        assert invoice.number == f"{prefix}-{n + 1:04d}"
        assert invoice.created == start
        assert (invoice.period_start, invoice.period_end) == (boundaries[n - 1], start)
        assert invoice.status == "paid" and invoice.amount_paid == 1500
        # Finalized and charged about an hour after it was created.
        assert start < invoice.status_transitions.finalized_at <= start + HOUR + 60
        assert invoice.status_transitions.paid_at == invoice.status_transitions.finalized_at
        (line,) = check_totals(client, invoice)
        assert (line.period.start, line.period.end) == (start, end)
        assert line.parent.subscription_item_details.subscription_item == item.id
        assert line.parent.subscription_item_details.proration is False
    invoices = billing.invoices(sub.id)
    assert len(invoices) == 14
    assert [i.number for i in invoices] == [f"{prefix}-{n:04d}" for n in range(1, 15)]
    assert all(i.status == "paid" and i.total == 1500 for i in invoices)
    charges = client.v1.charges.list(params={"customer": billing.customer, "limit": 100}).data
    assert len(charges) == 14 and all(c.paid and c.amount == 1500 for c in charges)
    updated = events(client, "customer.subscription.updated")
    assert len(updated) == 13
    assert [e.created for e in updated] == boundaries[1:14]


def test_fourteen_day_trial_then_first_charge(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 2000)
    sub = billing.subscribe(items=[{"price": price.id}], trial_period_days=14)
    trial_end = T0 + 14 * DAY
    assert sub.status == "trialing"
    assert (sub.trial_start, sub.trial_end, sub.billing_cycle_anchor) == (T0, trial_end, trial_end)
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (T0, trial_end)
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (first.status, first.total, first.billing_reason) == ("paid", 0, "subscription_create")
    (line,) = check_totals(client, first)
    assert line.description == "Trial period for Gold" and line.amount == 0
    assert (line.period.start, line.period.end) == (T0, trial_end)
    assert client.v1.charges.list(params={"customer": billing.customer}).data == []

    billing.advance(trial_end - 3 * DAY + 60)
    (warning,) = events(client, "customer.subscription.trial_will_end")
    assert warning.created == trial_end - 3 * DAY
    assert warning.data.object.id == sub.id
    assert client.v1.subscriptions.retrieve(sub.id).status == "trialing"

    billing.advance(trial_end + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (
        trial_end,
        add_months(trial_end, 1),
    )
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.billing_reason, invoice.status, invoice.total) == (
        "subscription_cycle",
        "paid",
        2000,
    )
    assert invoice.created == trial_end
    (line,) = check_totals(client, invoice)
    assert (line.period.start, line.period.end) == (trial_end, add_months(trial_end, 1))
    changed = [
        e
        for e in events(client, "customer.subscription.updated")
        if "status" in e.data.previous_attributes.to_dict()
    ]
    assert changed[0].data.previous_attributes.status == "trialing"
    assert changed[0].data.object.status == "active"
    assert changed[0].created == trial_end


def test_upgrade_mid_period_with_prorations(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    basic = recurring_price(client, 1000, name="Basic")
    pro = recurring_price(client, 3000, name="Pro")
    sub = billing.subscribe(items=[{"price": basic.id}])
    start, end = T0, add_months(T0, 1)
    at = T0 + 10 * DAY + 12345
    billing.advance(at)
    item_id = sub["items"].data[0].id
    updated = client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item_id, "price": pro.id}], "proration_date": at}
    )
    assert updated.status == "active"
    assert updated["items"].data[0].id == item_id
    assert updated["items"].data[0].price.id == pro.id
    assert updated.latest_invoice == sub.latest_invoice  # nothing billed yet
    credit = -prorated(1000, end - at, end - start)
    charge = prorated(3000, end - at, end - start)
    pending = client.v1.invoice_items.list(
        params={"customer": billing.customer, "pending": True}
    ).data
    by_amount = {i.amount: i for i in pending}
    assert set(by_amount) == {credit, charge}
    assert by_amount[credit].description == f"Unused time on Basic after {date_text(at)}"
    assert by_amount[charge].description == f"Remaining time on Pro after {date_text(at)}"
    for entry in pending:
        assert entry.proration is True and entry.discountable is False
        assert (entry.period.start, entry.period.end) == (at, end)
        assert entry.parent.subscription_details.subscription == sub.id
        assert entry.parent.subscription_details.subscription_item == item_id
        assert entry.date == at

    billing.advance(end + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    lines = check_totals(client, invoice)
    assert invoice.total == credit + charge + 3000 and invoice.status == "paid"
    assert [line.amount for line in lines] == [credit, charge, 3000]
    assert lines[2].description == f"1 {X} Pro (at $30.00 / month)"
    assert (
        client.v1.invoice_items.list(params={"customer": billing.customer, "pending": True}).data
        == []
    )


def test_upgrade_with_always_invoice_bills_at_once(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    basic = recurring_price(client, 1000, name="Basic")
    pro = recurring_price(client, 3000, name="Pro")
    sub = billing.subscribe(items=[{"price": basic.id}])
    start, end = T0, add_months(T0, 1)
    at = T0 + 20 * DAY
    billing.advance(at)
    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": pro.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    invoice = updated.latest_invoice
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    assert invoice.created == at
    lines = check_totals(client, invoice)
    expected = prorated(3000, end - at, end - start) - prorated(1000, end - at, end - start)
    assert invoice.total == expected and len(lines) == 2
    assert all(line.parent.invoice_item_details.proration for line in lines)
    assert updated.status == "active"


def test_downgrade_at_period_end(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    basic = recurring_price(client, 1000, name="Basic")
    pro = recurring_price(client, 3000, name="Pro")
    sub = billing.subscribe(items=[{"price": pro.id}])
    billing.advance(T0 + 12 * DAY)
    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": basic.id}],
            "proration_behavior": "none",
        },
    )
    assert updated["items"].data[0].price.id == basic.id
    assert (
        client.v1.invoice_items.list(params={"customer": billing.customer, "pending": True}).data
        == []
    )
    assert len(billing.invoices(sub.id)) == 1
    end = add_months(T0, 1)
    billing.advance(end + 2 * HOUR)
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    (line,) = check_totals(client, invoice)
    assert (invoice.total, line.description) == (1000, f"1 {X} Basic (at $10.00 / month)")
    assert (line.period.start, line.period.end) == (end, add_months(T0, 2))


def test_quantity_change_prorates_both_ways(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000, name="Seat")
    sub = billing.subscribe(items=[{"price": price.id, "quantity": 1}])
    start, end = T0, add_months(T0, 1)
    at = T0 + 7 * DAY
    billing.advance(at)
    item = client.v1.subscription_items.update(sub["items"].data[0].id, params={"quantity": 3})
    assert item.quantity == 3
    pending = client.v1.invoice_items.list(
        params={"customer": billing.customer, "pending": True}
    ).data
    descriptions = {i.description: (i.amount, i.quantity) for i in pending}
    assert descriptions == {
        f"Unused time on Seat after {date_text(at)}": (-prorated(1000, end - at, end - start), 1),
        f"Remaining time on 3 {X} Seat after {date_text(at)}": (
            prorated(3000, end - at, end - start),
            3,
        ),
    }
    billing.advance(end + 2 * HOUR)
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    lines = check_totals(client, invoice)
    (cycle_line,) = subscription_lines(lines)
    assert (cycle_line.quantity, cycle_line.amount) == (3, 3000)
    assert cycle_line.description == f"3 {X} Seat (at $10.00 / month)"


def test_renewal_failure_then_recovery_after_new_default(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 2500)
    sub = billing.subscribe(items=[{"price": price.id}])
    failing = billing.set_default("pm_card_chargeCustomerFail")
    end = add_months(T0, 1)
    billing.advance(end + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "past_due"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    check_totals(client, invoice)
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 1, True)
    finalized = invoice.status_transitions.finalized_at
    assert invoice.next_payment_attempt == finalized + 3 * DAY
    (failed,) = events(client, "invoice.payment_failed")
    assert failed.created == finalized
    (payment,) = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.payment_method.id == failing
    went_past_due = [
        e
        for e in events(client, "customer.subscription.updated")
        if e.data.previous_attributes.to_dict().get("status") == "active"
    ]
    assert went_past_due and went_past_due[0].data.object.status == "past_due"

    billing.set_default("pm_card_visa")
    billing.advance(invoice.next_payment_attempt + 60)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("paid", 2, 2500)
    assert invoice.status_transitions.paid_at == finalized + 3 * DAY
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    back = [
        e
        for e in events(client, "customer.subscription.updated")
        if e.data.previous_attributes.to_dict().get("status") == "past_due"
    ]
    assert back[0].created == finalized + 3 * DAY


def test_cancel_at_period_end(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 1000)
    sub = billing.subscribe(items=[{"price": price.id}])
    asked = T0 + 5 * DAY
    billing.advance(asked)
    end = add_months(T0, 1)
    updated = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert updated.status == "active" and updated.cancel_at_period_end is True
    assert (updated.cancel_at, updated.canceled_at) == (end, asked)
    billing.advance(end + 3 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled"
    assert (sub.ended_at, sub.canceled_at) == (end, asked)
    assert sub.cancellation_details.reason == "cancellation_requested"
    assert len(billing.invoices(sub.id)) == 1  # no renewal
    (deleted,) = events(client, "customer.subscription.deleted")
    assert deleted.created == end and deleted.data.object.status == "canceled"
    assert client.v1.subscriptions.list(params={"customer": billing.customer}).data == []
    listed = client.v1.subscriptions.list(params={"status": "canceled"}).data
    assert [s.id for s in listed] == [sub.id]


def test_immediate_cancel_with_final_invoice(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    price = recurring_price(client, 3000, name="Team")
    sub = billing.subscribe(items=[{"price": price.id, "quantity": 1}])
    start, end = T0, add_months(T0, 1)
    grew = T0 + 6 * DAY
    billing.advance(grew)
    client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}
    )
    at = T0 + 16 * DAY
    billing.advance(at)
    canceled = client.v1.subscriptions.cancel(
        sub.id, params={"invoice_now": True, "prorate": True, "expand": ["latest_invoice"]}
    )
    assert canceled.status == "canceled"
    assert (canceled.canceled_at, canceled.ended_at) == (at, at)
    final = canceled.latest_invoice
    assert final.id != sub.latest_invoice and final.created == at
    lines = check_totals(client, final)
    # The quantity change's prorations, then the credit for the unused time of 2 seats.
    expected = (
        prorated(6000, end - grew, end - start)
        - prorated(3000, end - grew, end - start)
        - prorated(6000, end - at, end - start)
    )
    assert final.total == expected == sum(line.amount for line in lines)
    assert len(lines) == 3
    assert final.status == "paid" and final.amount_due == max(0, final.total)
    customer = client.v1.customers.retrieve(billing.customer)
    assert customer.balance == min(0, final.total)
    (deleted,) = events(client, "customer.subscription.deleted")
    assert deleted.data.object.ended_at == at
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscriptions.cancel(sub.id)
    assert exc.value.http_status == 404


def _discounts_ready() -> str | None:
    module = getattr(resources, "discounts", None)
    if module is None or not hasattr(module, "create_discount"):
        return "the discounts helper's resources.discounts.create_discount has not landed"
    return None


def test_three_month_coupon(client: stripe.StripeClient) -> None:
    missing = _discounts_ready()
    if missing:
        pytest.skip(missing)
    billing = on_clock(client)
    price = recurring_price(client, 2000)
    coupon = client.v1.coupons.create(
        params={"percent_off": 25, "duration": "repeating", "duration_in_months": 3}
    )
    sub = billing.subscribe(items=[{"price": price.id}], discounts=[{"coupon": coupon.id}])
    assert len(sub.discounts) == 1
    for n in range(1, 5):
        billing.advance(add_months(T0, n) + 2 * HOUR)
    invoices = billing.invoices(sub.id)
    assert len(invoices) == 5
    for invoice in invoices:
        check_totals(client, invoice)
        assert invoice.status == "paid"
    assert [i.total for i in invoices] == [1500, 1500, 1500, 2000, 2000]
    assert [i.subtotal for i in invoices] == [2000] * 5
    assert invoices[0].total_discount_amounts[0].amount == 500
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.discounts == []
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_metered_usage_billed_at_period_end(client: stripe.StripeClient) -> None:
    billing = on_clock(client)
    meter = client.v1.billing.meters.create(
        params={
            "display_name": "API calls",
            "event_name": "api_calls",
            "default_aggregation": {"formula": "sum"},
        }
    )
    price = recurring_price(
        client, 4, name="API", recurring={"usage_type": "metered", "meter": meter.id}
    )
    sub = billing.subscribe(items=[{"price": price.id}])
    assert sub.status == "active"
    assert "quantity" not in sub["items"].data[0]
    assert sub.latest_invoice is None  # nothing to bill in advance: no invoice at all
    end = add_months(T0, 1)

    def use(at: int, value: str) -> None:
        billing.advance(at)
        client.v1.billing.meter_events.create(
            params={
                "event_name": "api_calls",
                "payload": {"stripe_customer_id": billing.customer, "value": value},
            }
        )

    use(T0 + DAY, "120")
    use(T0 + 10 * DAY, "30")
    use(end + 2 * HOUR, "1000")  # the renewal ran first: this counts toward period two
    sub = client.v1.subscriptions.retrieve(sub.id)
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.billing_reason == "subscription_cycle" and invoice.created == end
    (line,) = check_totals(client, invoice)
    assert (line.quantity, line.amount) == (150, 600)
    assert (line.period.start, line.period.end) == (T0, end)
    billing.advance(add_months(T0, 2) + 2 * HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    second = client.v1.invoices.retrieve(sub.latest_invoice)
    (line,) = check_totals(client, second)
    assert (line.quantity, line.amount, second.status) == (1000, 4000, "paid")


def test_send_invoice_due_in_thirty_days(client: stripe.StripeClient) -> None:
    billing = on_clock(client, card=None)
    price = recurring_price(client, 5000, name="Support")
    sub = billing.subscribe(
        items=[{"price": price.id}], collection_method="send_invoice", days_until_due=30
    )
    assert sub.status == "active" and sub.days_until_due == 30
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    check_totals(client, invoice)
    assert (invoice.status, invoice.collection_method) == ("open", "send_invoice")
    assert invoice.due_date == T0 + 30 * DAY
    assert invoice.hosted_invoice_url and invoice.number
    assert [e.data.object.id for e in events(client, "invoice.sent")] == [invoice.id]
    billing.advance(T0 + 30 * DAY + HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    (overdue,) = events(client, "invoice.overdue")
    assert overdue.created == T0 + 30 * DAY
    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    end = add_months(T0, 1)
    billing.advance(end + 2 * HOUR)
    second = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    check_totals(client, second)
    assert (second.status, second.billing_reason) == ("open", "subscription_cycle")
    assert second.due_date == end + 30 * DAY
