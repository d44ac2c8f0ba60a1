"""Running the examples the actions declare: the reference docs show their real results,
and the test suite runs every one, so the docs cannot lie.

An example's values may name a fixture (`"$customer"`): an object made, through the
actions themselves, just before that example runs. Every example gets fresh fixtures, so
one example deleting a customer never breaks another.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..facade import AccountActions
from .action import Action
from .billing import LEGACY_METERING_VERSION

Fixture = Callable[["ExampleRun"], Any]

# A one-page PDF: what dispute evidence usually is.
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class ExampleRun:
    """One example's world: the account's actions and the fixtures made so far."""

    def __init__(self, actions: AccountActions) -> None:
        self.actions = actions
        self.made: dict[str, Any] = {}

    def call(self, action: str, /, **inputs: Any) -> Any:
        return self.actions.action(action)(self.resolve(inputs))

    def fixture(self, name: str) -> Any:
        if name not in self.made:
            self.made[name] = FIXTURES[name](self)
        return self.made[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$") and value[1:] in FIXTURES:
            return self.fixture(value[1:])
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value


def run_example(action: Action, actions: AccountActions) -> tuple[dict[str, Any], Any]:
    """The example's inputs with fixtures filled in, and the action's result."""
    world = ExampleRun(actions)
    inputs = world.resolve(action.example or {})
    return inputs, actions.action(action.name)(inputs)


def _id(action: str, /, **inputs: Any) -> Fixture:
    return lambda run: run.call(action, **inputs)["id"]


def _customer_with_card(run: ExampleRun) -> str:
    customer = run.call("create_customer", name="Jane Smith", email="jane@example.com")
    method = run.call("attach_payment_method", id="pm_card_visa", customer=customer["id"])
    run.call(
        "update_customer",
        id=customer["id"],
        invoice_settings={"default_payment_method": method["id"]},
    )
    return customer["id"]


def _intent(capture: str, method: str = "pm_card_visa", amount: int = 10000) -> Fixture:
    def make(run: ExampleRun) -> Any:
        return run.call(
            "create_payment_intent",
            amount=amount,
            currency="usd",
            payment_method=method,
            confirm=True,
            capture_method=capture,
            automatic_payment_methods_enabled=False,
            payment_method_types=["card"],
        )

    return make


def _draft_invoice(run: ExampleRun, collection: str = "charge_automatically") -> str:
    customer = run.fixture("customer_with_card")
    run.call("create_invoice_item", customer=customer, amount=5000, currency="usd")
    extra = {"days_until_due": 30} if collection == "send_invoice" else {}
    return run.call(
        "create_invoice",
        customer=customer,
        collection_method=collection,
        pending_invoice_items_behavior="include",
        auto_advance=False,
        **extra,
    )["id"]


def _subscription(run: ExampleRun) -> Any:
    return run.call(
        "create_subscription",
        customer=run.fixture("customer_with_card"),
        price=run.fixture("price"),
    )


def _schedule(run: ExampleRun) -> Any:
    return run.call(
        "create_subscription_schedule",
        customer=run.fixture("customer_with_card"),
        start_date="now",
        phases=[{"items": [{"price": run.fixture("price")}]}],
    )


def _metered_subscription_item(run: ExampleRun) -> str:
    """An item on a legacy metered price: such prices exist only on API versions before
    2025-03-31.basil, so the price is made with that version."""
    client = run.actions.account.stripe_client()
    price = client.raw_request(
        "post", "/v1/prices", currency="usd", unit_amount=4, product_data={"name": "API calls"},
        recurring={"interval": "month", "usage_type": "metered"},
        stripe_version=LEGACY_METERING_VERSION,
    )  # fmt: skip
    subscription = run.call(
        "create_subscription", customer=run.fixture("customer_with_card"), price=price.data["id"]
    )
    return str(subscription["items"]["data"][0]["id"])


def _disputed_charge(run: ExampleRun) -> str:
    return str(_intent("automatic", "pm_card_createDispute")(run)["latest_charge"])


def _evidence_path(run: ExampleRun) -> str:
    folder = Path(tempfile.gettempdir()) / "stripekit-examples"  # a stable name for the docs
    folder.mkdir(exist_ok=True)
    path = folder / "receipt.pdf"
    path.write_bytes(EVIDENCE_PDF)
    return str(path)


def _discounted(run: ExampleRun) -> Any:
    return run.call(
        "create_subscription",
        customer=run.fixture("customer_with_card"),
        price=run.fixture("price"),
        discounts=[{"coupon": run.fixture("coupon")}],
    )


def _paused_subscription(run: ExampleRun) -> str:
    """A trial that ends with no payment method pauses (trial_settings); a test clock
    moves time past the trial end, through the generic `request` action."""
    clock = run.call(
        "request",
        method="POST",
        path="/v1/test_helpers/test_clocks",
        params={"frozen_time": _now(run)},
    )
    customer = run.call("create_customer", name="Trial user", test_clock=clock["id"])
    subscription = run.call(
        "create_subscription",
        customer=customer["id"],
        price=run.fixture("price"),
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    run.call(
        "request",
        method="POST",
        path=f"/v1/test_helpers/test_clocks/{clock['id']}/advance",
        params={"frozen_time": clock["frozen_time"] + 8 * 86400},
    )
    for _ in range(100):  # the advance finishes in the background, as on Stripe
        state = run.call("request", method="GET", path=f"/v1/subscriptions/{subscription['id']}")
        if state["status"] == "paused":
            break
    return str(subscription["id"])


def _now(run: ExampleRun) -> int:
    """Sandbox time (examples run only on the sandbox), from its clock endpoint."""
    clock = run.actions.account.stripe_client().raw_request("get", "/_sandbox/clock")
    return int(clock.data["now"])


def _first_event(run: ExampleRun) -> str:
    run.fixture("customer")
    return str(run.call("list_events", limit=1)["events"][0]["id"])


FIXTURES: dict[str, Fixture] = {
    "customer": _id("create_customer", name="Jane Smith", email="jane@example.com"),
    "customer_with_card": _customer_with_card,
    "customer_balance_transaction": lambda run: run.call(
        "create_customer_balance_transaction",
        customer=run.fixture("customer"),
        amount=-500,
        currency="usd",
    )["id"],
    "customer_with_source": lambda run: run.call(
        "create_customer", name="Jane Smith", source="tok_visa"
    )["id"],
    "customer_with_tax_id": lambda run: run.call(
        "create_customer",
        name="Acme GmbH",
        tax_id_data=[{"type": "eu_vat", "value": "DE123456789"}],
    )["id"],
    "tax_id": lambda run: run.call("list_tax_ids", customer=run.fixture("customer_with_tax_id"))[
        "tax_ids"
    ][0]["id"],
    "card": lambda run: run.call("list_cards", customer=run.fixture("customer_with_source"))[
        "cards"
    ][0]["id"],
    "product": _id("create_product", name="Pro Plan"),
    "bare_product": _id("create_product", name="Unused product"),
    "price": lambda run: run.call(
        "create_price",
        product=run.fixture("product"),
        unit_amount=2999,
        currency="usd",
        recurring_interval="month",
    )["id"],
    "second_price": lambda run: run.call(
        "create_price",
        product=run.fixture("product"),
        unit_amount=500,
        currency="usd",
        recurring_interval="month",
    )["id"],
    "one_time_price": lambda run: run.call(
        "create_price", product=run.fixture("product"), unit_amount=9900, currency="usd"
    )["id"],
    "plan": _id(
        "create_plan", amount=5000, currency="usd", interval="month", product={"name": "Gold"}
    ),
    "payment_intent": lambda run: run.call(
        "create_payment_intent", amount=5000, currency="usd", customer=run.fixture("customer")
    )["id"],
    "uncaptured_payment_intent": lambda run: _intent("manual")(run)["id"],
    "succeeded_payment_intent": lambda run: _intent("automatic")(run)["id"],
    "charge": lambda run: _intent("automatic")(run)["latest_charge"],
    "uncaptured_charge": lambda run: run.call(
        "create_charge", amount=2000, currency="usd", source="tok_visa", capture=False
    )["id"],
    "refunded_charge": lambda run: run.fixture("charge"),
    "refund": lambda run: run.call(
        "refund_payment", charge=run.fixture("refunded_charge"), amount=1000
    )["id"],
    "disputed_charge": _disputed_charge,
    "dispute": lambda run: run.call("get_charge_dispute", charge=run.fixture("disputed_charge"))[
        "id"
    ],
    "setup_intent": lambda run: run.call(
        "create_setup_intent", customer=run.fixture("customer"), payment_method_types=["card"]
    )["id"],
    "payment_method": _id("create_payment_method", type="card", card={"token": "tok_visa"}),
    "attached_payment_method": lambda run: run.call(
        "attach_payment_method", id=run.fixture("payment_method"), customer=run.fixture("customer")
    )["id"],
    "draft_invoice": _draft_invoice,
    "open_invoice": lambda run: run.call("finalize_invoice", id=_draft_invoice(run))["id"],
    "paid_invoice": lambda run: run.call("pay_invoice", id=run.fixture("open_invoice"))["id"],
    "credit_note": lambda run: run.call(
        "create_credit_note", invoice=run.fixture("open_invoice"), amount=500
    )["id"],
    "credited_invoice": lambda run: run.call("get_credit_note", id=run.fixture("credit_note"))[
        "invoice"
    ],
    "open_send_invoice": lambda run: run.call(
        "finalize_invoice", id=_draft_invoice(run, "send_invoice")
    )["id"],
    "invoice_item": lambda run: run.call(
        "create_invoice_item", customer=run.fixture("customer"), amount=1000, currency="usd"
    )["id"],
    "subscription": lambda run: _subscription(run)["id"],
    "subscribed_customer": lambda run: _subscription(run)["customer"],
    "metered_subscription_item": _metered_subscription_item,
    "subscription_item": lambda run: _subscription(run)["items"]["data"][0]["id"],
    "extra_subscription_item": lambda run: run.call(
        "create_subscription_item",
        subscription=run.fixture("subscription"),
        price=run.fixture("second_price"),
    )["id"],
    "paused_subscription": _paused_subscription,
    "subscription_schedule": lambda run: _schedule(run)["id"],
    "scheduled_customer": lambda run: _schedule(run)["customer"],
    "quote": lambda run: run.call(
        "create_quote",
        customer=run.fixture("customer"),
        line_items=[{"price": run.fixture("one_time_price")}],
    )["id"],
    "open_quote": lambda run: run.call("finalize_quote", id=run.fixture("quote"))["id"],
    "discounted_subscription": lambda run: _discounted(run)["id"],
    "discounted_customer": lambda run: run.fixture("customer_with_card"),
    "coupon": _id("create_coupon", percent_off=25, duration="once"),
    "promotion_code": lambda run: run.call(
        "create_promotion_code", promotion={"type": "coupon", "coupon": run.fixture("coupon")}
    )["id"],
    "balance_transaction": lambda run: run.call("get_charge", id=run.fixture("charge"))[
        "balance_transaction"
    ],
    # Money available at once, more than other examples' refunds and disputes took.
    "funds": lambda run: _intent("automatic", "pm_card_bypassPending", amount=1_000_000)(run)["id"],
    "payout": lambda run: run.call(
        "create_payout", amount=1000, currency="usd", metadata={"funded_by": run.fixture("funds")}
    )["id"],
    "account": lambda run: run.call(
        "create_account",
        type="custom",
        capabilities={"card_payments": {"requested": True}, "transfers": {"requested": True}},
    )["id"],
    "transfer": lambda run: run.call(
        "create_transfer",
        amount=1000,
        currency="usd",
        destination=run.fixture("account"),
        metadata={"funded_by": run.fixture("funds")},
    )["id"],
    "evidence_path": _evidence_path,
    "file": lambda run: run.call(
        "create_file", file=run.fixture("evidence_path"), purpose="dispute_evidence"
    )["id"],
    "file_link": lambda run: run.call("create_file_link", file=run.fixture("file"))["id"],
    "checkout_session": lambda run: run.call(
        "create_checkout_session",
        mode="payment",
        line_items=[{"price": run.fixture("one_time_price"), "quantity": 1}],
        success_url="https://example.com/success",
        cancel_url="https://example.com/cart",
    )["id"],
    "payment_link": lambda run: run.call(
        "create_payment_link", line_items=[{"price": run.fixture("one_time_price"), "quantity": 1}]
    )["id"],
    "event": _first_event,
    "webhook_endpoint": lambda run: run.call(
        "create_webhook_endpoint",
        url="http://localhost:8000/webhooks",
        enabled_events=["customer.created"],
    )["id"],
}
