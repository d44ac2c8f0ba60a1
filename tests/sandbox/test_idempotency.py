"""Idempotency keys: replay, mismatch, concurrency, expiry, per-account scope."""

from __future__ import annotations

import threading

import pytest
import stripe

from conftest import Harness


def _post(sk: Harness, body: str, key: str, api_key: str = "default"):
    return sk.raw(
        "POST", "/v1/customers", body=body, headers={"Idempotency-Key": key}, api_key=api_key
    )


def test_same_key_same_params_replays(sk: Harness) -> None:
    first = _post(sk, "email=a%40example.com", "key-1")
    second = _post(sk, "email=a%40example.com", "key-1")
    assert first.status == second.status == 200
    assert second.body == first.body
    assert second.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(sk.raw("GET", "/v1/customers").body["data"]) == 1
    assert len(sk.raw("GET", "/v1/events").body["data"]) == 1


def test_same_key_different_params_is_idempotency_error(sk: Harness) -> None:
    _post(sk, "email=a%40example.com", "key-2")
    other = _post(sk, "email=b%40example.com", "key-2")
    assert other.status == 400
    assert other.body["error"]["type"] == "idempotency_error"
    assert "key other than 'key-2'" in other.body["error"]["message"]


def test_sdk_raises_idempotency_error(client: stripe.StripeClient) -> None:
    client.v1.customers.create(params={"name": "a"}, options={"idempotency_key": "k"})
    replay = client.v1.customers.create(params={"name": "a"}, options={"idempotency_key": "k"})
    assert replay.last_response.headers.get("idempotent-replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"name": "b"}, options={"idempotency_key": "k"})


def test_key_on_another_endpoint_is_refused(sk: Harness) -> None:
    created = _post(sk, "name=x", "key-3")
    other = sk.raw(
        "POST",
        f"/v1/customers/{created.body['id']}",
        body="name=x",
        headers={"Idempotency-Key": "key-3"},
    )
    assert other.status == 400 and other.body["error"]["type"] == "idempotency_error"


def test_errors_from_the_handler_are_replayed_but_validation_errors_are_not(
    sk: Harness,
) -> None:
    invalid = _post(sk, "balance=abc", "key-4")
    assert invalid.status == 400
    # Validation failed before anything ran: the key is still free.
    fine = _post(sk, "balance=5", "key-4")
    assert fine.status == 200
    missing = sk.raw(
        "POST", "/v1/customers/cus_missing", body="name=x", headers={"Idempotency-Key": "key-5"}
    )
    replayed = sk.raw(
        "POST", "/v1/customers/cus_missing", body="name=x", headers={"Idempotency-Key": "key-5"}
    )
    assert missing.status == replayed.status == 404
    assert replayed.headers.get("idempotent-replayed") == "true"


def test_keys_are_scoped_per_account(sk: Harness) -> None:
    mine = _post(sk, "name=x", "shared-key")
    theirs = _post(sk, "name=x", "shared-key", api_key=sk.new_key())
    assert mine.body["id"] != theirs.body["id"]
    assert "idempotent-replayed" not in theirs.headers


def test_keys_expire_after_24_hours(sk: Harness) -> None:
    first = _post(sk, "name=x", "key-6")
    sk.sandbox.advance_clock(24 * 3600 + 1)
    second = _post(sk, "name=x", "key-6")
    assert second.status == 200 and second.body["id"] != first.body["id"]


def test_too_long_key(sk: Harness) -> None:
    response = _post(sk, "name=x", "k" * 256)
    assert response.status == 400
    assert "1-255 characters" in response.body["error"]["message"]


def test_concurrent_duplicates_create_one_object(sk: Harness) -> None:
    results: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(_post(sk, "name=race", "race-key").status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert len(sk.raw("GET", "/v1/customers").body["data"]) == 1


def test_two_engines_on_one_file_honour_one_key(tmp_path) -> None:
    """Two sandboxes sharing a SQLite file (as two server processes would) race on one key
    and still create a single object: the write lock is taken before the key is read."""
    from stripekit.sandbox import Sandbox

    db = tmp_path / "shared.db"
    first, second = Sandbox(db), Sandbox(db)
    key = first.api_key
    results: list[str] = []
    barrier = threading.Barrier(6)

    def worker(sandbox: Sandbox) -> None:
        barrier.wait()
        customer = sandbox.client(key).v1.customers.create(
            params={"name": "race"}, options={"idempotency_key": "cross-process"}
        )
        results.append(customer.id)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (first, second) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and len(set(results)) == 1
    assert len(first.client(key).v1.customers.list().data) == 1
    first.close()
    second.close()
