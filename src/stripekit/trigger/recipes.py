"""One recipe per event: ordinary SDK calls that make the API emit it. `RECIPES` is the
single table the command's `--help`/`--list` and its tests read."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

from .run import DAY, TAG, NotAvailable, Run

# -- building blocks shared by the recipes ----------------------------------------------


def customer(run: Run, **extra: Any) -> stripe.Customer:
    params = {"description": "(created by stripekit trigger)", "metadata": TAG, **extra}
    return run.client.v1.customers.create(params=run.params("customer", params))  # type: ignore[arg-type]


def paying_customer(run: Run, card: str = "pm_card_visa", **extra: Any) -> stripe.Customer:
    """A customer with a default card for invoices and subscriptions."""
    made = customer(run, **extra)
    method = run.client.v1.payment_methods.attach(card, params={"customer": made.id})
    run.client.v1.customers.update(
        made.id, params={"invoice_settings": {"default_payment_method": method.id}}
    )
    return made


def product(run: Run) -> stripe.Product:
    params = {"name": "myproduct", "metadata": TAG}
    return run.client.v1.products.create(params=run.params("product", params))  # type: ignore[arg-type]


def price(run: Run, *, recurring: bool = False) -> stripe.Price:
    params: dict[str, Any] = {
        "product": product(run).id,
        "unit_amount": 1500,
        "currency": "usd",
        "metadata": TAG,
    }
    if recurring:
        params["recurring"] = {"interval": "month"}
    return run.client.v1.prices.create(params=run.params("price", params))  # type: ignore[arg-type]


def payment_intent(run: Run, **extra: Any) -> stripe.PaymentIntent:
    params = {
        "amount": 2000,
        "currency": "usd",
        "payment_method_types": ["card"],
        "metadata": TAG,
        **extra,
    }
    return run.client.v1.payment_intents.create(params=run.params("payment_intent", params))  # type: ignore[arg-type]


def declined(action: Callable[[], Any]) -> None:
    """Run a call Stripe answers with a card error, which is the point of the recipe."""
    try:
        action()
    except stripe.CardError:
        return
    raise RuntimeError("the card was expected to be declined")


def paid_intent(run: Run, card: str = "pm_card_visa") -> stripe.PaymentIntent:
    return payment_intent(run, confirm=True, payment_method=card)


def dispute(run: Run) -> stripe.Dispute:
    intent = paid_intent(run, "pm_card_createDispute")
    deadline = time.monotonic() + 30
    while True:  # Stripe opens the dispute moments after the charge
        found = run.client.v1.disputes.list(params={"payment_intent": intent.id}).data
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no dispute opened for {intent.id}")
        time.sleep(0.5)


def subscription(run: Run, customer_id: str | None = None, **extra: Any) -> stripe.Subscription:
    params = {
        "customer": customer_id or paying_customer(run).id,
        "items": [{"price": price(run, recurring=True).id}],
        "metadata": TAG,
        **extra,
    }
    return run.client.v1.subscriptions.create(params=run.params("subscription", params))  # type: ignore[arg-type]


def sandbox_now(run: Run) -> int:
    """The API's present: the sandbox's clock (it may run ahead of the wall clock), or
    the wall clock against Stripe itself."""
    with contextlib.suppress(stripe.StripeError):
        answer = run.client.raw_request("get", "/_sandbox/clock")
        return int(answer.data["now"])  # type: ignore[index]
    return int(time.time())


def new_test_clock(run: Run) -> tuple[stripe.test_helpers.TestClock, int]:
    now = sandbox_now(run)
    clock = run.client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": now, "name": "stripekit trigger"}
    )
    return clock, now


def advance_test_clock(run: Run, clock_id: str, to: int) -> None:
    run.client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": to})
    run.wait_for_clock(clock_id)


def invoice(run: Run, customer_id: str) -> stripe.Invoice:
    item = {"customer": customer_id, "amount": 2000, "currency": "usd", "metadata": TAG}
    run.client.v1.invoice_items.create(params=run.params("invoiceitem", item))  # type: ignore[arg-type]
    params = {
        "customer": customer_id,
        "pending_invoice_items_behavior": "include",
        "metadata": TAG,
    }
    return run.client.v1.invoices.create(params=run.params("invoice", params))  # type: ignore[arg-type]


def finalized_invoice(run: Run, customer_id: str) -> stripe.Invoice:
    made = invoice(run, customer_id)
    return run.client.v1.invoices.finalize_invoice(made.id)  # type: ignore[arg-type]


# -- the recipes ------------------------------------------------------------------------


def _pi_canceled(run: Run) -> None:
    run.client.v1.payment_intents.cancel(payment_intent(run).id)


def _pi_failed(run: Run) -> None:
    declined(lambda: paid_intent(run, "pm_card_chargeDeclined"))


def _pi_requires_action(run: Run) -> None:
    intent = paid_intent(run, "pm_card_threeDSecure2Required")
    if intent.status != "requires_action":
        raise RuntimeError(f"expected requires_action, got {intent.status}")


def _pi_capturable(run: Run) -> stripe.PaymentIntent:
    return payment_intent(run, confirm=True, payment_method="pm_card_visa", capture_method="manual")


def _charge_captured(run: Run) -> None:
    run.client.v1.payment_intents.capture(_pi_capturable(run).id)


def _refund(run: Run) -> None:
    params = {"payment_intent": paid_intent(run).id, "metadata": TAG}
    run.client.v1.refunds.create(params=run.params("refund", params))  # type: ignore[arg-type]


def _dispute_closed(run: Run) -> None:
    run.client.v1.disputes.close(dispute(run).id)


def _customer_updated(run: Run) -> None:
    made = customer(run)
    run.client.v1.customers.update(made.id, params={"metadata": {"foo": "bar"}})


def _customer_deleted(run: Run) -> None:
    run.client.v1.customers.delete(customer(run).id)


def _subscription_updated(run: Run) -> None:
    run.client.v1.subscriptions.update(subscription(run).id, params={"metadata": {"foo": "bar"}})


def _subscription_deleted(run: Run) -> None:
    run.client.v1.subscriptions.cancel(subscription(run).id)


def _trial_will_end(run: Run) -> None:
    """Stripe warns three days before a trial ends: a four-day trial on a test clock, and
    the clock moved past the warning."""
    clock, now = new_test_clock(run)
    made = paying_customer(run, test_clock=clock.id)
    subscription(run, made.id, trial_period_days=4)
    advance_test_clock(run, clock.id, now + DAY + 3600)


def _paused(run: Run) -> stripe.Subscription:
    """A trial without a card that Stripe pauses when it ends (`trial_settings`)."""
    clock, now = new_test_clock(run)
    made = customer(run, test_clock=clock.id)
    sub = subscription(
        run,
        made.id,
        trial_period_days=1,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    advance_test_clock(run, clock.id, now + DAY + 3600)
    return sub


def _resumed(run: Run) -> None:
    sub = _paused(run)
    method = run.client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": str(sub.customer)}
    )
    run.client.v1.customers.update(
        str(sub.customer), params={"invoice_settings": {"default_payment_method": method.id}}
    )
    run.client.v1.subscriptions.resume(sub.id, params={"billing_cycle_anchor": "now"})


def _invoice_created(run: Run) -> None:
    invoice(run, customer(run).id)


def _invoice_finalized(run: Run) -> None:
    finalized_invoice(run, customer(run).id)


def _invoice_paid(run: Run) -> None:
    made = finalized_invoice(run, paying_customer(run).id)
    run.client.v1.invoices.pay(made.id)  # type: ignore[arg-type]


def _invoice_payment_failed(run: Run) -> None:
    made = finalized_invoice(run, paying_customer(run, "pm_card_chargeCustomerFail").id)
    declined(lambda: run.client.v1.invoices.pay(made.id))  # type: ignore[arg-type]


def _invoice_voided(run: Run) -> None:
    made = finalized_invoice(run, customer(run).id)
    run.client.v1.invoices.void_invoice(made.id)  # type: ignore[arg-type]


def _invoiceitem(run: Run) -> None:
    item = {"customer": customer(run).id, "amount": 2000, "currency": "usd", "metadata": TAG}
    run.client.v1.invoice_items.create(params=run.params("invoiceitem", item))  # type: ignore[arg-type]


def _product_updated(run: Run) -> None:
    run.client.v1.products.update(product(run).id, params={"metadata": {"foo": "bar"}})


def _price_updated(run: Run) -> None:
    run.client.v1.prices.update(price(run).id, params={"metadata": {"foo": "bar"}})


def _coupon(run: Run) -> None:
    params = {"percent_off": 10, "duration": "once", "metadata": TAG}
    run.client.v1.coupons.create(params=run.params("coupon", params))  # type: ignore[arg-type]


def _payout(run: Run) -> stripe.Payout:
    # Funds available at once (Stripe's bypassPending test card), then paid out.
    paid_intent(run, "pm_card_bypassPending")
    params = {"amount": 1000, "currency": "usd", "metadata": TAG}
    return run.client.v1.payouts.create(params=run.params("payout", params))  # type: ignore[arg-type]


def _payout_paid(run: Run) -> None:
    _payout(run)
    # A standard payout lands two business days on; five days cover any weekend. Against
    # Stripe's test mode the payout is paid without waiting.
    run.advance_sandbox_clock(5 * DAY)


def _setup_intent(run: Run, *, confirm: bool = True) -> None:
    params: dict[str, Any] = {"payment_method_types": ["card"], "metadata": TAG}
    if confirm:
        params.update(payment_method="pm_card_visa", confirm=True)
    run.client.v1.setup_intents.create(params=run.params("setup_intent", params))  # type: ignore[arg-type]


def _setup_intent_created(run: Run) -> None:
    _setup_intent(run, confirm=False)


def _pm_attached(run: Run) -> None:
    run.client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer(run).id})


def _pm_detached(run: Run) -> None:
    method = run.client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer(run).id}
    )
    run.client.v1.payment_methods.detach(method.id)


def _checkout_completed(run: Run) -> None:
    """A paid Checkout Session: created through the API, then paid with 4242 the way a
    buyer on the hosted page would (a sandbox-only endpoint; Stripe itself needs a
    browser for that step)."""
    params = {
        "mode": "payment",
        "success_url": "https://example.com/success",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 3000,
                    "product_data": {"name": "T-shirt"},
                },
                "quantity": 1,
            }
        ],
        "metadata": TAG,
    }
    try:
        session = run.client.v1.checkout.sessions.create(
            params=run.params("checkout_session", params)  # type: ignore[arg-type]
        )
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise NotAvailable("this API serves no Checkout Sessions") from None
        raise
    try:
        run.client.raw_request("post", f"/_sandbox/checkout/sessions/{session.id}/complete")
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise NotAvailable("paying a Checkout Session needs a browser on Stripe") from None
        raise


@dataclass(frozen=True)
class Recipe:
    event: str
    summary: str
    steps: Callable[[Run], Any]


RECIPES: dict[str, Recipe] = {
    r.event: r
    for r in (
        Recipe("payment_intent.created", "create a payment intent", payment_intent),
        Recipe("payment_intent.succeeded", "confirm with pm_card_visa", paid_intent),
        Recipe("payment_intent.payment_failed", "a declined card", _pi_failed),
        Recipe("payment_intent.canceled", "create and cancel", _pi_canceled),
        Recipe("payment_intent.requires_action", "a 3-D Secure card", _pi_requires_action),
        Recipe(
            "payment_intent.amount_capturable_updated",
            "authorize only (capture_method=manual)",
            _pi_capturable,
        ),
        Recipe("charge.succeeded", "a successful payment", paid_intent),
        Recipe("charge.failed", "a declined card", _pi_failed),
        Recipe("charge.captured", "authorize, then capture", _charge_captured),
        Recipe("charge.refunded", "pay, then refund", _refund),
        Recipe("refund.created", "pay, then refund", _refund),
        Recipe("charge.dispute.created", "pay with pm_card_createDispute", dispute),
        Recipe("charge.dispute.closed", "open a dispute, then accept it", _dispute_closed),
        Recipe("customer.created", "create a customer", customer),
        Recipe("customer.updated", "create and update a customer", _customer_updated),
        Recipe("customer.deleted", "create and delete a customer", _customer_deleted),
        Recipe("customer.subscription.created", "subscribe a customer", subscription),
        Recipe(
            "customer.subscription.updated", "subscribe, update metadata", _subscription_updated
        ),
        Recipe("customer.subscription.deleted", "subscribe, cancel", _subscription_deleted),
        Recipe(
            "customer.subscription.trial_will_end",
            "a 4-day trial on a test clock, advanced a day",
            _trial_will_end,
        ),
        Recipe(
            "customer.subscription.paused",
            "a card-less trial ending with trial_settings pause",
            _paused,
        ),
        Recipe("customer.subscription.resumed", "pause as above, add a card, resume", _resumed),
        Recipe("invoice.created", "an invoice item, then an invoice", _invoice_created),
        Recipe("invoice.finalized", "create and finalize an invoice", _invoice_finalized),
        Recipe("invoice.paid", "finalize and pay an invoice", _invoice_paid),
        Recipe("invoice.payment_succeeded", "finalize and pay an invoice", _invoice_paid),
        Recipe(
            "invoice.payment_failed",
            "pay an invoice with pm_card_chargeCustomerFail",
            _invoice_payment_failed,
        ),
        Recipe("invoice.voided", "finalize and void an invoice", _invoice_voided),
        Recipe("invoiceitem.created", "create an invoice item", _invoiceitem),
        Recipe("product.created", "create a product", product),
        Recipe("product.updated", "create and update a product", _product_updated),
        Recipe("price.created", "create a product and a price", price),
        Recipe("price.updated", "create and update a price", _price_updated),
        Recipe("coupon.created", "create a coupon", _coupon),
        Recipe("payout.created", "fund the balance, pay out", _payout),
        Recipe("payout.paid", "pay out, then advance sandbox time five days", _payout_paid),
        Recipe("setup_intent.created", "create a setup intent", _setup_intent_created),
        Recipe("setup_intent.succeeded", "confirm a setup intent with a card", _setup_intent),
        Recipe("payment_method.attached", "attach a card to a customer", _pm_attached),
        Recipe("payment_method.detached", "attach, then detach a card", _pm_detached),
        Recipe(
            "checkout.session.completed",
            "a paid Checkout Session (not yet available)",
            _checkout_completed,
        ),
    )
}
