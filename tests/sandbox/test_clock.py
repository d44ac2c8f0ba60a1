"""The injected clock: start time, freezing, advancing (Python and control endpoint)."""

from __future__ import annotations

from conftest import Harness
from stripekit.sandbox import Sandbox


def test_start_time_and_frozen_clock() -> None:
    with Sandbox(start_time=1_700_000_000, frozen=True) as sandbox:
        client = sandbox.client()
        assert client.v1.customers.create().created == 1_700_000_000
        sandbox.advance_clock(3600)
        assert client.v1.customers.create().created == 1_700_003_600


def test_seeded_ids_are_deterministic() -> None:
    def ids() -> list[str]:
        with Sandbox(seed=7, start_time=1_700_000_000, frozen=True) as sandbox:
            client = sandbox.client(sandbox.api_key)
            return [client.v1.customers.create().id for _ in range(3)]

    assert ids() == ids()


def test_advance_over_control_endpoint(sk: Harness) -> None:
    before = sk.raw("GET", "/_sandbox/clock").body["now"]
    moved = sk.raw("POST", "/_sandbox/clock/advance", body="seconds=86400")
    assert moved.status == 200 and moved.body["now"] >= before + 86400
    created = sk.raw("POST", "/v1/customers", body="name=later").body["created"]
    assert created >= before + 86400
    backwards = sk.raw("POST", "/_sandbox/clock/advance", body="seconds=-5")
    assert backwards.status == 400 and backwards.body["error"]["param"] == "seconds"
    junk = sk.raw("POST", "/_sandbox/clock/advance", body="seconds=soon")
    assert junk.status == 400 and junk.body["error"]["code"] == "parameter_invalid_integer"


def test_control_endpoint_refuses_restricted_keys(sk: Harness) -> None:
    key = sk.sandbox.create_restricted_key("read_only", api_key=sk.api_key)
    response = sk.raw("POST", "/_sandbox/clock/advance", body="seconds=1", api_key=key)
    assert response.status == 403
