"""Shared steps of the action tests."""

from __future__ import annotations

from stripekit.facade import AccountActions


def customer_with_card(actions: AccountActions, **inputs: object) -> dict[str, object]:
    """A customer whose default payment method is a Visa test card."""
    customer = actions.create_customer(name="Jane Smith", **inputs)
    method = actions.attach_payment_method(id="pm_card_visa", customer=customer["id"])
    return actions.update_customer(
        id=customer["id"], invoice_settings={"default_payment_method": method["id"]}
    )
