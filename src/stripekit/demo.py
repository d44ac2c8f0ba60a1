"""The main job for a newcomer: source 000's five workflows, run through
`integrations.stripe` on the embedded sandbox, each step printed; then the same sandbox
served over HTTP to the official SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe

from .accounts import Account
from .facade import StripeIntegration
from .sandbox import Sandbox


def _dollars(cents: int, currency: str = "usd") -> str:
    return f"{cents / 100:,.2f} {currency.upper()}"


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def _step(text: str) -> None:
    print(f"  - {text}")


def _customer_with_card(s: StripeIntegration, name: str, email: str) -> dict[str, Any]:
    customer = s.create_customer(name=name, email=email)
    card = s.attach_payment_method(id="pm_card_visa", customer=customer["id"])
    s.update_customer(id=customer["id"], invoice_settings={"default_payment_method": card["id"]})
    _step(f"customer {customer['id']} ({name}) with a test Visa ending {card['card']['last4']}")
    return customer


def subscribe(s: StripeIntegration) -> None:
    print("1. Product -> monthly price -> customer -> subscription")
    product = s.create_product(name="Pro Plan", description="Full access to pro features")
    _step(f"product {product['id']} {product['name']!r}")
    price = s.create_price(
        product=product["id"], unit_amount=2999, currency="usd", recurring_interval="month"
    )
    _step(f"price {price['id']}: {_dollars(price['unit_amount'])} every month")
    customer = _customer_with_card(s, "Jane Smith", "jane@example.com")
    subscription = s.create_subscription(customer=customer["id"], price=price["id"])
    _step(
        f"subscription {subscription['id']} is {subscription['status']}, paid through "
        f"{_date(subscription['current_period_end'])} (invoice {subscription['latest_invoice']})"
    )


def one_time_payment(s: StripeIntegration) -> None:
    print("2. One-time payment")
    customer = s.create_customer(name="Bob Johnson", email="bob@example.com")
    intent = s.create_payment_intent(
        amount=5000, currency="usd", customer=customer["id"], description="One-time purchase"
    )
    _step(f"payment intent {intent['id']} for {_dollars(intent['amount'])}: {intent['status']}")
    confirmed = s.confirm_payment_intent(id=intent["id"], payment_method="pm_card_visa")
    _step(
        f"confirmed with pm_card_visa: {confirmed['status']}, charge {confirmed['latest_charge']}"
    )


def authorize_and_capture(s: StripeIntegration) -> None:
    print("3. Authorize 100.00, capture 75.00")
    customer = s.create_customer(name="Carol Diaz")
    intent = s.create_payment_intent(
        amount=10000, currency="usd", customer=customer["id"], capture_method="manual"
    )
    held = s.confirm_payment_intent(id=intent["id"], payment_method="pm_card_visa")
    _step(f"authorized: {held['status']}, {_dollars(held['amount_capturable'])} on hold")
    captured = s.capture_payment_intent(id=intent["id"], amount_to_capture=7500)
    _step(
        f"captured {_dollars(captured['amount_received'])} of {_dollars(captured['amount'])}: "
        f"{captured['status']}, amount_capturable now {captured['amount_capturable']}"
    )


def invoice_and_pay(s: StripeIntegration) -> None:
    print("4. Create and pay an invoice")
    customer = _customer_with_card(s, "Dana Lee", "dana@example.com")
    invoice = s.create_invoice(
        customer=customer["id"], description="Consulting services - March 2026", auto_advance=True
    )
    s.create_invoice_item(
        customer=customer["id"], invoice=invoice["id"], amount=50000, currency="usd",
        description="10 hours of consulting",
    )  # fmt: skip
    _step(f"draft invoice {invoice['id']} with one item of {_dollars(50000)}")
    paid = s.pay_invoice(id=invoice["id"])
    _step(
        f"paid: {paid['status']}, number {paid['number']}, "
        f"{_dollars(paid['amount_paid'])} charged to the default card"
    )


def void_drafts(s: StripeIntegration) -> None:
    print("5. List a customer's draft invoices and void them")
    customer = _customer_with_card(s, "Evan Park", "evan@example.com")
    for amount in (1200, 3400):
        draft = s.create_invoice(customer=customer["id"], auto_advance=False)
        s.create_invoice_item(
            customer=customer["id"], invoice=draft["id"], amount=amount, currency="usd"
        )
    drafts = s.list_invoices(customer=customer["id"], status="draft", limit=100)["invoices"]
    _step(f"{len(drafts)} drafts: {', '.join(d['id'] for d in drafts)}")
    for draft in drafts:
        voided = s.void_invoice(id=draft["id"])
        _step(f"{voided['id']} ({_dollars(voided['total'])}) is now {voided['status']}")
    charges = s.list_charges(customer=customer["id"])["charges"]
    _step(f"charges made to {customer['name']} along the way: {len(charges)}")


def run() -> None:
    with Sandbox() as sandbox:
        s = StripeIntegration({"default": Account(client=sandbox.client())})
        print("stripekit demo: source 000's workflows through integrations.stripe,")
        print("on the embedded sandbox (offline; nothing leaves this process)\n")
        for workflow in (subscribe, one_time_payment, authorize_and_capture, invoice_and_pay,
                         void_drafts):  # fmt: skip
            workflow(s)
            print()
        balance = s.get_balance()
        pending = ", ".join(_dollars(b["amount"], b["currency"]) for b in balance["pending"])
        print(f"balance: {pending} pending (card fees of 2.9% + 30c taken)")
        try:
            s.get_customer(id="cus_doesnotexist")
        except Exception as exc:  # an ActionError; printed the way users see it
            print(f"a missing customer -> {exc}")

        with sandbox.serve() as server:
            client = stripe.StripeClient(sandbox.api_key, base_addresses={"api": server.url})
            listed = client.v1.customers.list(params={"limit": 3})
            print(
                f"\nthe same sandbox over HTTP at {server.url}: the official SDK lists "
                f"{len(listed.data)} customers (has_more={listed.has_more})"
            )
