"""Every example of source 000 (the Lua reference of app.integrations.stripe), run through
the facade, returns the fields the source shows."""

from __future__ import annotations

from typing import Any

import pytest

from action_helpers import customer_with_card
from stripekit.facade import StripeIntegration

SHOWN: dict[str, set[str]] = {
    "create_customer": {"id", "name", "email", "phone", "created"},
    "create_product": {"id", "name", "description", "active"},
    "create_price": {"id", "product", "unit_amount", "currency", "recurring", "active"},
    "create_payment_intent": {
        "id", "amount", "currency", "status", "client_secret", "capture_method", "customer",
        "created",
    },
    "capture_payment_intent": {
        "id", "amount", "amount_capturable", "amount_received", "currency", "status",
    },
    "create_invoice": {"id", "number", "customer", "status", "total", "currency", "due_date",
                       "created"},
    "create_subscription": {
        "id", "customer", "status", "plan", "trial_end", "current_period_start",
        "current_period_end", "created",
    },
    "cancel_subscription": {"id", "customer", "status", "canceled_at", "ended_at"},
}  # fmt: skip


def _has(result: dict[str, Any], action: str) -> None:
    assert SHOWN[action] <= set(result), SHOWN[action] - set(result)


def test_customers(integration: StripeIntegration) -> None:
    s = integration
    customer = s.create_customer(
        {
            "name": "Acme Corp",
            "email": "billing@acme.test",
            "description": "Enterprise customer",
            "phone": "+1 555-0123",
            "metadata": {"crm_id": "12345", "tier": "enterprise"},
        }
    )
    _has(customer, "create_customer")
    assert (customer["name"], customer["phone"]) == ("Acme Corp", "+1 555-0123")
    assert s.get_customer({"id": customer["id"]})["email"] == "billing@acme.test"
    updated = s.update_customer(
        {"id": customer["id"], "name": "Acme Corp (Updated)", "metadata": {"tier": "premium"}}
    )
    assert updated["name"] == "Acme Corp (Updated)"
    assert updated["metadata"] == {"crm_id": "12345", "tier": "premium"}
    for i in range(3):
        s.create_customer({"email": f"user{i}@acme.test"})
    page = s.list_customers({"limit": 2})
    assert len(page["customers"]) == 2 and page["has_more"] is True
    assert (
        s.list_customers({"email": "billing@acme.test", "limit": 10})["customers"][0]["id"]
        == (customer["id"])
    )
    page2 = s.list_customers({"limit": 25, "starting_after": page["customers"][-1]["id"]})
    assert len(page2["customers"]) == 2
    # Source 000's pagination loop, verbatim in Python.
    collected, cursor = [], None
    while True:
        args: dict[str, Any] = {"limit": 1}
        if cursor:
            args["starting_after"] = cursor
        result = s.list_customers(args)
        collected += result["customers"]
        cursor = result["customers"][-1]["id"] if result["has_more"] else None
        if cursor is None:
            break
    assert len(collected) == 4
    deleted = s.delete_customer({"id": customer["id"]})
    assert deleted["id"] == customer["id"] and deleted["deleted"] is True


def test_products_and_prices(integration: StripeIntegration) -> None:
    s = integration
    product = s.create_product(
        {"name": "Pro Plan", "description": "Access to all pro features", "active": True,
         "metadata": {"type": "subscription"}}
    )  # fmt: skip
    _has(product, "create_product")
    assert s.get_product({"id": product["id"]})["active"] is True
    s.create_product({"name": "Old plan", "active": False})
    assert [p["id"] for p in s.list_products({"active": True, "limit": 100})["products"]] == [
        product["id"]
    ]
    monthly = s.create_price(
        {"product": product["id"], "unit_amount": 2999, "currency": "usd",
         "recurring_interval": "month"}
    )  # fmt: skip
    _has(monthly, "create_price")
    assert monthly["recurring"]["interval"] == "month"
    assert monthly["recurring"]["interval_count"] == 1
    one_time = s.create_price({"product": product["id"], "unit_amount": 9900, "currency": "usd"})
    assert one_time["recurring"] is None
    quarterly = s.create_price(
        {"product": product["id"], "unit_amount": 7999, "currency": "usd",
         "recurring_interval": "month", "recurring_interval_count": 3}
    )  # fmt: skip
    assert quarterly["recurring"]["interval_count"] == 3
    listed = s.list_prices({"product": product["id"]})["prices"]
    assert {p["id"] for p in listed} == {monthly["id"], one_time["id"], quarterly["id"]}
    assert (
        len(s.list_prices({"product": product["id"], "active": True, "limit": 50})["prices"]) == 3
    )


def test_payment_intents(integration: StripeIntegration) -> None:
    s = integration
    customer = s.create_customer({"name": "Bob Johnson"})
    intent = s.create_payment_intent(
        {"amount": 5000, "currency": "usd", "customer": customer["id"],
         "description": "Order #1234", "metadata": {"order_id": "1234"}}
    )  # fmt: skip
    _has(intent, "create_payment_intent")
    assert intent["status"] == "requires_payment_method"
    assert intent["client_secret"].startswith(intent["id"] + "_secret_")
    # Source 000 shows "automatic"; Stripe's default has since become "automatic_async".
    assert intent["capture_method"] == "automatic_async"
    updated = s.update_payment_intent(
        {"id": intent["id"], "description": "Updated order description",
         "metadata": {"order_id": "1234", "source": "web"}}
    )  # fmt: skip
    assert updated["metadata"] == {"order_id": "1234", "source": "web"}
    confirmed = s.confirm_payment_intent(
        {"id": intent["id"], "payment_method": "pm_card_visa",
         "return_url": "https://example.com/payment/complete"}
    )  # fmt: skip
    assert confirmed["status"] == "succeeded"
    assert s.get_payment_intent({"id": intent["id"]})["status"] == "succeeded"
    no_auto = s.create_payment_intent(
        {"amount": 2500, "currency": "eur", "automatic_payment_methods_enabled": False}
    )
    canceled = s.cancel_payment_intent(
        {"id": no_auto["id"], "cancellation_reason": "requested_by_customer"}
    )
    assert canceled["status"] == "canceled"
    held = s.create_payment_intent(
        {"amount": 10000, "currency": "usd", "customer": customer["id"],
         "capture_method": "manual"}
    )  # fmt: skip
    s.confirm_payment_intent({"id": held["id"], "payment_method": "pm_card_visa"})
    captured = s.capture_payment_intent({"id": held["id"], "amount_to_capture": 7500})
    _has(captured, "capture_payment_intent")
    assert (captured["amount"], captured["amount_capturable"], captured["amount_received"]) == (
        10000, 0, 7500,
    )  # fmt: skip
    assert captured["status"] == "succeeded"


def test_invoices(integration: StripeIntegration) -> None:
    s = integration
    customer = customer_with_card(s.default)
    invoice = s.create_invoice(
        {"customer": customer["id"], "description": "March 2026 consulting",
         "metadata": {"project": "website-redesign"}, "auto_advance": True}
    )  # fmt: skip
    _has(invoice, "create_invoice")
    assert (invoice["number"], invoice["status"], invoice["total"], invoice["due_date"]) == (
        None, "draft", 0, None,
    )  # fmt: skip
    s.create_invoice_item(
        {"customer": customer["id"], "invoice": invoice["id"], "amount": 5000, "currency": "usd"}
    )
    paid = s.pay_invoice({"id": invoice["id"]})
    assert paid["status"] == "paid" and paid["amount_paid"] == 5000
    fetched = s.get_invoice({"id": invoice["id"]})
    assert fetched["number"] and fetched["total"] == 5000
    assert [i["id"] for i in s.list_invoices({"customer": customer["id"], "limit": 25})[
        "invoices"]] == [invoice["id"]]  # fmt: skip
    # List draft invoices and void them (drafts too: finalized without charging, then voided).
    for amount in (100, 200):
        draft = s.create_invoice({"customer": customer["id"], "auto_advance": False})
        s.create_invoice_item({"customer": customer["id"], "invoice": draft["id"],
                               "amount": amount, "currency": "usd"})  # fmt: skip
    drafts = s.list_invoices({"customer": customer["id"], "status": "draft", "limit": 100})
    assert len(drafts["invoices"]) == 2
    for inv in drafts["invoices"]:
        assert s.void_invoice({"id": inv["id"]})["status"] == "void"
    assert s.list_invoices({"customer": customer["id"], "status": "void"})["invoices"]
    assert len(s.list_charges({"customer": customer["id"]})["charges"]) == 1  # only the paid one
    open_one = s.create_invoice({"customer": customer["id"], "auto_advance": False})
    s.create_invoice_item({"customer": customer["id"], "invoice": open_one["id"], "amount": 300,
                           "currency": "usd"})  # fmt: skip
    s.finalize_invoice({"id": open_one["id"], "auto_advance": False})
    assert s.void_invoice({"id": open_one["id"]})["status"] == "void"
    empty = s.create_invoice({"customer": customer["id"], "auto_advance": False})
    with pytest.raises(Exception, match="delete it instead") as caught:
        s.void_invoice({"id": empty["id"]})
    assert caught.value.code == "invoice_not_voidable"  # type: ignore[attr-defined]
    assert s.get_invoice({"id": empty["id"]})["status"] == "draft"


def test_subscriptions_and_balance(integration: StripeIntegration) -> None:
    s = integration
    customer = customer_with_card(s.default)
    price = s.create_price(
        {"product_data": {"name": "Pro"}, "unit_amount": 2999, "currency": "usd",
         "recurring_interval": "month"}
    )  # fmt: skip
    subscription = s.create_subscription({"customer": customer["id"], "price": price["id"]})
    _has(subscription, "create_subscription")
    assert subscription["status"] == "active" and subscription["trial_end"] is None
    assert subscription["plan"]["id"] == price["id"]
    assert subscription["current_period_end"] > subscription["current_period_start"]
    trial = s.create_subscription(
        {"customer": customer["id"], "price": price["id"], "quantity": 5,
         "trial_period_days": 14, "metadata": {"plan": "enterprise"}}
    )  # fmt: skip
    assert trial["status"] == "trialing" and trial["quantity"] == 5
    assert s.get_subscription({"id": subscription["id"]})["status"] == "active"
    result = s.cancel_subscription({"id": subscription["id"], "prorate": True, "invoice_now": True})
    _has(result, "cancel_subscription")
    assert result["status"] == "canceled" and result["canceled_at"] and result["ended_at"]
    s.cancel_subscription({"id": trial["id"], "prorate": False, "invoice_now": False})
    balance = s.get_balance({})
    assert {"available", "pending"} <= set(balance)
    assert balance["pending"][0]["currency"] == "usd"
    assert balance["pending"][0]["amount"] == 2999 - round(2999 * 0.029) - 30


def test_multi_account_namespaces(integration: StripeIntegration) -> None:
    s = integration
    mine = s.create_customer({"name": "Default"})
    assert s.default.get_customer({"id": mine["id"]})["name"] == "Default"
    theirs = s.work.create_customer({"name": "Work"})
    assert [c["id"] for c in s.work.list_customers({})["customers"]] == [theirs["id"]]
