"""Disputes through the official SDK, in both modes: opened by Stripe's dispute test cards,
answered with evidence (Stripe's winning/losing test values decide the outcome), accepted,
listed, and the legacy charge-scoped routes."""

from __future__ import annotations

import pytest
import stripe
from test_balance import (
    DAY,
    account_of,
    all_transactions,
    assert_books_balance,
    balance_of,
    charge,
    disputed_charge,
    needs_payments,
)

from conftest import Harness, assert_stripe_error
from stripekit.sandbox.framework import ledger
from stripekit.sandbox.resources import refunds

EVIDENCE_FIELDS = {
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
}


def event_types(client: stripe.StripeClient, dispute_id: str) -> list[str]:
    """Dispute events for one dispute, oldest first."""
    events = client.v1.events.list(params={"type": "charge.dispute.*", "limit": 100}).data
    return [e.type for e in reversed(events) if e.data.object.id == dispute_id]


def test_chargeback_has_stripe_shape(sk: Harness, client: stripe.StripeClient) -> None:
    charge_id, dispute_id = disputed_charge(sk, amount=10_000)
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert dispute.id.startswith("du_") and len(dispute.id) == 27
    assert dispute.object == "dispute" and dispute.livemode is False
    assert (dispute.amount, dispute.currency) == (10_000, "usd")
    assert dispute.charge == charge_id
    assert dispute.status == "needs_response" and dispute.reason == "fraudulent"
    assert dispute.is_charge_refundable is False
    assert dispute.metadata.to_dict() == {}
    evidence = dispute.evidence.to_dict()
    assert set(evidence) == EVIDENCE_FIELDS | {"enhanced_evidence"}
    assert evidence["enhanced_evidence"] == {}
    assert all(evidence[name] is None for name in EVIDENCE_FIELDS)
    details = dispute.evidence_details
    # Due at the end of the UTC day, eight days on.
    assert details.due_by == (dispute.created // DAY + 9) * DAY - 1
    assert (details.has_evidence, details.past_due, details.submission_count) == (False, False, 0)
    assert details.enhanced_eligibility.to_dict() == {}
    assert dispute.enhanced_eligibility_types == []
    card = dispute.payment_method_details.card
    assert (card.brand, card.case_type, card.network, card.network_reason_code) == (
        "visa",
        "chargeback",
        "visa",
        "10.4",
    )
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-10_000, 1_500, -11_500)
    assert withdrawal.type == "adjustment" and withdrawal.reporting_category == "dispute"
    assert withdrawal.source == dispute_id
    assert withdrawal.description == f"Chargeback withdrawal for {charge_id}"
    assert [d.description for d in withdrawal.fee_details] == ["Dispute fee"]
    assert client.v1.balance_transactions.retrieve(withdrawal.id).to_dict() == withdrawal.to_dict()
    assert event_types(client, dispute_id) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]


def test_product_not_received_card(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, "createDisputeProductNotReceived", amount=2_500)
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert dispute.reason == "product_not_received" and dispute.status == "needs_response"
    assert dispute.payment_method_details.card.network_reason_code == "13.1"
    assert dispute.balance_transactions[0].net == -4_000


def test_inquiry_moves_no_money(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, "createDisputeInquiry", amount=3_000)
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert dispute.status == "warning_needs_response" and dispute.reason == "general"
    assert dispute.is_charge_refundable is True
    assert dispute.balance_transactions == []
    assert dispute.payment_method_details.card.case_type == "inquiry"
    assert event_types(client, dispute_id) == ["charge.dispute.created"]
    assert balance_of(client) == (0, 3_000 - ledger.card_fee(3_000, "usd"))


def test_winning_evidence_wins_and_returns_the_amount(
    sk: Harness, client: stripe.StripeClient
) -> None:
    charge_id, dispute_id = disputed_charge(sk, amount=8_000)
    submitted = client.v1.disputes.update(
        dispute_id,
        params={
            "evidence": {
                "uncategorized_text": "winning_evidence",
                "customer_name": "Ada Lovelace",
            }
        },
    )
    # Stripe answers the submission with the dispute under review, then settles it.
    assert submitted.status == "under_review"
    assert submitted.evidence.uncategorized_text == "winning_evidence"
    assert submitted.evidence.customer_name == "Ada Lovelace"
    details = submitted.evidence_details
    assert (details.has_evidence, details.submission_count, details.past_due) == (True, 1, False)

    won = client.v1.disputes.retrieve(dispute_id)
    assert won.status == "won" and won.is_charge_refundable is True
    withdrawal, reversal = won.balance_transactions
    assert withdrawal.net == -9_500
    assert reversal.type == "adjustment" and reversal.reporting_category == "dispute_reversal"
    # The amount comes back; Stripe keeps the dispute fee.
    assert (reversal.amount, reversal.fee, reversal.net) == (8_000, 0, 8_000)
    assert reversal.fee_details == []
    assert reversal.description == f"Chargeback reversal for {charge_id}"
    assert event_types(client, dispute_id) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    ]
    updated = client.v1.events.list(params={"type": "charge.dispute.updated"}).data[0]
    previous = updated.data.previous_attributes.to_dict()
    assert previous["status"] == "needs_response"
    assert previous["evidence"] == {"uncategorized_text": None, "customer_name": None}
    assert previous["evidence_details"] == {"has_evidence": False, "submission_count": 0}
    assert balance_of(client)[1] == 8_000 - ledger.card_fee(8_000, "usd") - 1_500
    assert_books_balance(client)


def test_losing_evidence_loses(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, amount=5_000)
    submitted = client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    assert submitted.status == "under_review"
    lost = client.v1.disputes.retrieve(dispute_id)
    assert lost.status == "lost" and lost.is_charge_refundable is False
    assert len(lost.balance_transactions) == 1
    assert event_types(client, dispute_id)[-1] == "charge.dispute.closed"
    assert_books_balance(client)


def test_settling_waits_for_the_next_request_or_the_clock(sk: Harness) -> None:
    _, dispute_id = disputed_charge(sk)
    client = sk.client
    client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    sk.sandbox.advance_clock(1)  # time passing settles it without any request
    with sk.sandbox.engine.store.transaction(write=False) as tx:
        stored = tx.get(account_of(sk), "dispute", dispute_id)
    assert stored is not None and stored["status"] == "won"


def test_staged_evidence_is_submitted_later(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    staged = client.v1.disputes.update(
        dispute_id,
        params={"evidence": {"uncategorized_text": "winning_evidence"}, "submit": False},
    )
    assert staged.status == "needs_response"
    assert staged.evidence_details.has_evidence is True
    assert staged.evidence_details.submission_count == 0
    assert client.v1.disputes.retrieve(dispute_id).status == "needs_response"

    submitted = client.v1.disputes.update(dispute_id, params={"submit": True})
    assert submitted.status == "under_review"
    assert submitted.evidence_details.submission_count == 1
    assert client.v1.disputes.retrieve(dispute_id).status == "won"


def test_other_evidence_stays_under_review(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    submitted = client.v1.disputes.update(
        dispute_id, params={"evidence": {"product_description": "A blender."}}
    )
    assert submitted.status == "under_review"
    sk.sandbox.advance_clock(DAY)
    assert client.v1.disputes.retrieve(dispute_id).status == "under_review"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.update(
            dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
        )
    assert_stripe_error(exc.value, status=400, param="evidence")
    # Metadata may still change; accepting the loss is still possible.
    tagged = client.v1.disputes.update(dispute_id, params={"metadata": {"case": "7"}})
    assert tagged.metadata.to_dict() == {"case": "7"} and tagged.status == "under_review"
    assert client.v1.disputes.close(dispute_id).status == "lost"


def test_evidence_after_the_due_date_is_past_due(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    sk.sandbox.advance_clock(10 * DAY)
    late = client.v1.disputes.update(
        dispute_id, params={"evidence": {"product_description": "late"}}
    )
    assert late.evidence_details.past_due is True


def test_close_accepts_the_loss(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, amount=4_000)
    closed = client.v1.disputes.close(dispute_id)
    assert closed.status == "lost"
    assert len(closed.balance_transactions) == 1
    assert event_types(client, dispute_id)[-1] == "charge.dispute.closed"
    for call in (
        lambda: client.v1.disputes.close(dispute_id),
        lambda: client.v1.disputes.update(dispute_id, params={"metadata": {"a": "b"}}),
        lambda: client.v1.disputes.update(
            dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(exc.value, status=400, message="This dispute is already closed")
    assert client.v1.disputes.retrieve(dispute_id).status == "lost"


def test_closing_during_review_beats_the_settlement(
    sk: Harness, client: stripe.StripeClient
) -> None:
    _, dispute_id = disputed_charge(sk)
    sk.raw(
        "POST",
        f"/v1/disputes/{dispute_id}",
        body="evidence[uncategorized_text]=winning_evidence",
        headers={},
    )
    # The settlement timer is due, so this very request settles it first: already won.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.close(dispute_id)
    assert_stripe_error(exc.value, status=400, message="This dispute is already closed")
    assert client.v1.disputes.retrieve(dispute_id).status == "won"


def test_inquiry_escalates_to_a_chargeback(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, "createDisputeInquiry", amount=2_100)
    submitted = client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "escalate_inquiry_evidence"}}
    )
    assert submitted.status == "warning_under_review"
    escalated = client.v1.disputes.retrieve(dispute_id)
    assert escalated.status == "needs_response" and escalated.is_charge_refundable is False
    assert escalated.payment_method_details.card.case_type == "chargeback"
    [withdrawal] = escalated.balance_transactions
    assert (withdrawal.amount, withdrawal.fee) == (-2_100, 1_500)
    assert event_types(client, dispute_id) == [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.updated",
        "charge.dispute.funds_withdrawn",
    ]
    # Now a chargeback, it can be fought again.
    again = client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert again.status == "under_review" and again.evidence_details.submission_count == 2
    assert client.v1.disputes.retrieve(dispute_id).status == "won"
    assert_books_balance(client)


@pytest.mark.parametrize("text", ["winning_evidence", "losing_evidence"])
def test_inquiry_answered_closes_without_money(
    sk: Harness, client: stripe.StripeClient, text: str
) -> None:
    _, dispute_id = disputed_charge(sk, "createDisputeInquiry")
    client.v1.disputes.update(dispute_id, params={"evidence": {"uncategorized_text": text}})
    closed = client.v1.disputes.retrieve(dispute_id)
    assert closed.status == "warning_closed" and closed.balance_transactions == []
    assert closed.is_charge_refundable is True


def test_closing_an_inquiry(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk, "createDisputeInquiry")
    assert client.v1.disputes.close(dispute_id).status == "warning_closed"


def test_metadata_update_and_event(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    tagged = client.v1.disputes.update(dispute_id, params={"metadata": {"order": "42"}})
    assert tagged.metadata.to_dict() == {"order": "42"}
    assert tagged.status == "needs_response"  # metadata alone submits nothing
    event = client.v1.events.list(params={"type": "charge.dispute.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"metadata": {"order": None}}
    same = client.v1.disputes.update(dispute_id, params={"metadata": {"order": "42"}})
    assert same.metadata.to_dict() == {"order": "42"}
    assert len(client.v1.events.list(params={"type": "charge.dispute.updated"}).data) == 1
    cleared = client.v1.disputes.update(dispute_id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}


def test_list_filters(sk: Harness, client: stripe.StripeClient) -> None:
    first_charge, first = disputed_charge(sk)
    sk.sandbox.advance_clock(5)
    _, second = disputed_charge(sk, "createDisputeInquiry")
    listed = client.v1.disputes.list()
    assert [d.id for d in listed.data] == [second, first]
    assert listed.url == "/v1/disputes"
    by_charge = client.v1.disputes.list(params={"charge": first_charge}).data
    assert [d.id for d in by_charge] == [first]
    assert client.v1.disputes.list(params={"charge": "ch_other"}).data == []
    assert client.v1.disputes.list(params={"payment_intent": "pi_other"}).data == []
    newest = listed.data[0].created
    assert [d.id for d in client.v1.disputes.list(params={"created": {"gte": newest}}).data] == [
        second
    ]
    page = client.v1.disputes.list(params={"limit": 1})
    assert page.has_more is True
    rest = client.v1.disputes.list(params={"limit": 1, "starting_after": page.data[0].id})
    assert [d.id for d in rest.data] == [first] and rest.has_more is False


def test_legacy_charge_dispute_routes(sk: Harness, client: stripe.StripeClient) -> None:
    charge_id, dispute_id = disputed_charge(sk)
    got = sk.raw("GET", f"/v1/charges/{charge_id}/dispute")
    assert got.status == 200 and got.body["id"] == dispute_id
    updated = sk.raw(
        "POST", f"/v1/charges/{charge_id}/dispute", body="metadata[via]=charge&submit=false"
    )
    assert updated.status == 200 and updated.body["metadata"] == {"via": "charge"}
    closed = sk.raw("POST", f"/v1/charges/{charge_id}/dispute/close")
    assert closed.status == 200 and closed.body["status"] == "lost"
    assert client.v1.disputes.retrieve(dispute_id).status == "lost"

    plain = charge(sk, 1_000)
    none = sk.raw("GET", f"/v1/charges/{plain}/dispute")
    assert none.status == 404
    assert none.body["error"]["message"] == f"No dispute for charge: {plain}"
    assert "code" not in none.body["error"] and "param" not in none.body["error"]
    assert sk.raw("POST", f"/v1/charges/{plain}/dispute/close").status == 404
    missing = sk.raw("GET", "/v1/charges/ch_missing/dispute")
    assert missing.status == 404
    assert missing.body["error"]["message"] == "No such charge: 'ch_missing'"
    assert missing.body["error"]["param"] == "charge"


def test_missing_dispute(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.disputes.retrieve("du_missing"),
        lambda: client.v1.disputes.update("du_missing", params={"metadata": {"a": "b"}}),
        lambda: client.v1.disputes.close("du_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert_stripe_error(
            exc.value,
            status=404,
            code="resource_missing",
            param="dispute",
            message="No such dispute: 'du_missing'",
        )


def test_bad_updates_change_nothing(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.update(dispute_id, params={"evidence": {"receipt": "file_missing"}})
    assert_stripe_error(
        exc.value,
        status=400,
        code="resource_missing",
        param="evidence[receipt]",
        message="No such file upload: 'file_missing'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.update(
            dispute_id,
            params={
                "evidence": {"enhanced_evidence": {"visa_compliance": {"fee_acknowledged": True}}}
            },
        )
    assert_stripe_error(exc.value, status=400, param="evidence[enhanced_evidence]")
    for body, param in (
        ("evidence[nope]=1", "evidence[nope]"),
        ("submit=maybe", "submit"),
        ("evidence[customer_name]=" + "x" * 5001, "evidence[customer_name]"),
        ("metadata[" + "k" * 41 + "]=v", "metadata"),
        ("status=won", "status"),
    ):
        response = sk.raw("POST", f"/v1/disputes/{dispute_id}", body=body)
        assert response.status == 400 and response.body["error"]["param"] == param, body
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert dispute.status == "needs_response"
    assert dispute.evidence_details.has_evidence is False
    assert event_types(client, dispute_id) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]


def test_clearing_evidence(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    client.v1.disputes.update(
        dispute_id, params={"evidence": {"customer_name": "Ada"}, "submit": False}
    )
    cleared = client.v1.disputes.update(
        dispute_id, params={"evidence": {"customer_name": ""}, "submit": False}
    )
    assert cleared.evidence.customer_name is None
    assert cleared.evidence_details.has_evidence is False


def test_expand_balance_transaction_sources(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    dispute = client.v1.disputes.retrieve(
        dispute_id, params={"expand": ["balance_transactions.source"]}
    )
    assert dispute.balance_transactions[0].source.id == dispute_id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.retrieve(dispute_id, params={"expand": ["reason"]})
    assert_stripe_error(exc.value, status=400, message="This property cannot be expanded (reason).")


def test_withdrawal_status_follows_the_clock(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    [withdrawal] = client.v1.disputes.retrieve(dispute_id).balance_transactions
    assert withdrawal.status == "pending"
    sk.sandbox.advance_clock(withdrawal.available_on - withdrawal.created + 1)
    [later] = client.v1.disputes.retrieve(dispute_id).balance_transactions
    assert later.status == "available"
    listed = client.v1.disputes.list().data[0].balance_transactions[0]
    assert listed.status == "available"
    assert [t.status for t in all_transactions(client)] == ["available", "available"]


# -- end to end through payments (needs the PaymentIntents resource) ---------------------


@needs_payments
def test_dispute_card_payment_end_to_end(sk: Harness, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2_000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_createDispute",
            "payment_method_types": ["card"],
        }
    )
    assert intent.status == "succeeded"
    charge_obj = client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge_obj.disputed is True
    [dispute] = client.v1.disputes.list(params={"payment_intent": intent.id}).data
    assert dispute.charge == charge_obj.id and dispute.payment_intent == intent.id
    assert charge_obj["dispute"] == dispute.id
    types = [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]
    order = [
        t
        for t in types
        if t
        in (
            "charge.succeeded",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "payment_intent.succeeded",
        )
    ]
    assert order == [
        "charge.succeeded",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "payment_intent.succeeded",
    ]
    expanded = client.v1.disputes.retrieve(dispute.id, params={"expand": ["charge"]})
    assert expanded.charge.id == charge_obj.id


@needs_payments
@pytest.mark.skipif(not refunds.ROUTES, reason="Refunds are not implemented yet")
def test_charged_back_charge_cannot_be_refunded_until_won(
    sk: Harness, client: stripe.StripeClient
) -> None:
    charge_id, dispute_id = disputed_charge(sk, amount=3_000)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"charge": charge_id})
    assert_stripe_error(exc.value, status=400, code="charge_disputed")
    # Stripe's message goes on "; cannot issue a refund." (see disputes.refund_blocked).
    assert exc.value.user_message.startswith(f"Charge {charge_id} has been charged back")
    client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert client.v1.disputes.retrieve(dispute_id).status == "won"
    refund = client.v1.refunds.create(params={"charge": charge_id})
    assert refund.status == "succeeded"
    assert_books_balance(client)
