"""List and search actions: source 000's shape, cursors, `all`, `max_items`, `raw`."""

from __future__ import annotations

from stripekit.facade import AccountActions
from stripekit.sandbox import Sandbox


def _customers(sandbox: Sandbox, count: int) -> list[str]:
    client = sandbox.client()
    return [
        client.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(count)
    ]


def test_one_page_in_source_000_shape(sandbox: Sandbox, actions: AccountActions) -> None:
    ids = _customers(sandbox, 30)
    page = actions.list_customers(limit=25)
    assert set(page) == {"customers", "has_more", "next_starting_after"}
    assert [c["id"] for c in page["customers"]] == ids[::-1][:25]
    assert page["has_more"] is True
    assert page["next_starting_after"] == page["customers"][-1]["id"]
    rest = actions.list_customers(limit=25, starting_after=page["next_starting_after"])
    assert [c["id"] for c in rest["customers"]] == ids[::-1][25:]
    assert rest["has_more"] is False and rest["next_starting_after"] is None


def test_all_walks_250_objects(sandbox: Sandbox, actions: AccountActions) -> None:
    ids = _customers(sandbox, 250)
    everything = actions.list_customers(all=True, limit=100)
    assert [c["id"] for c in everything["customers"]] == ids[::-1]
    assert everything["has_more"] is False
    capped = actions.list_customers(all=True, max_items=120, limit=50)
    assert [c["id"] for c in capped["customers"]] == ids[::-1][:120]
    assert capped["has_more"] is True
    assert capped["next_starting_after"] == ids[::-1][119]


def test_raw_returns_stripes_list(sandbox: Sandbox, actions: AccountActions) -> None:
    _customers(sandbox, 3)
    raw = actions.list_customers(limit=2, raw=True)
    assert raw["object"] == "list" and raw["url"] == "/v1/customers"
    assert len(raw["data"]) == 2 and raw["has_more"] is True
    one = actions.get_customer(id=raw["data"][0]["id"], raw=True)
    assert one["object"] == "customer"


def test_filters_reach_stripe(actions: AccountActions) -> None:
    actions.create_customer(email="a@example.com")
    actions.create_customer(email="b@example.com")
    found = actions.list_customers(email="b@example.com")["customers"]
    assert [c["email"] for c in found] == ["b@example.com"]


def test_search_pages_and_all(sandbox: Sandbox, actions: AccountActions) -> None:
    client = sandbox.client()
    for i in range(25):
        client.v1.customers.create(params={"name": f"Acme {i}", "metadata": {"tier": "gold"}})
    client.v1.customers.create(params={"name": "Other"})
    first = actions.search_customers(query='metadata["tier"]:"gold"', limit=10)
    assert len(first["customers"]) == 10 and first["has_more"] is True
    assert first["next_page"]
    second = actions.search_customers(
        query='metadata["tier"]:"gold"', limit=10, page=first["next_page"]
    )
    assert not {c["id"] for c in first["customers"]} & {c["id"] for c in second["customers"]}
    everything = actions.search_customers(query='metadata["tier"]:"gold"', all=True)
    assert len(everything["customers"]) == 25 and everything["has_more"] is False


def test_nested_list_actions(actions: AccountActions) -> None:
    customer = actions.create_customer(name="Jane")
    for amount in (-100, -200, 300):
        actions.create_customer_balance_transaction(
            customer=customer["id"], amount=amount, currency="usd"
        )
    listed = actions.list_customer_balance_transactions(customer=customer["id"], all=True)
    assert [t["amount"] for t in listed["balance_transactions"]] == [300, -200, -100]
    assert actions.get_customer(id=customer["id"])["balance"] == 0
