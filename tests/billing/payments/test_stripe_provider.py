"""The Stripe adapter, through the official client, against the local fake."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from flotte.billing.models import Payment, Refund
from flotte.billing.payments.providers import BadSignature, ProviderUnavailable, payment_provider
from flotte.billing.payments.stripe_provider import StripeProvider, cents
from tests.billing.fake_stripe import CARD_AUTHENTICATION, CARD_DECLINED, CARD_OK, FakeStripe


def charge(stripe: FakeStripe, pm: str, amount: str = "42.50", key: str = "k1", **kw: object):
    customer = payment_provider().customer_create(email="a@b.fr", name="A", idempotency_key="c")
    return payment_provider().intent_create(
        customer_ref=customer,
        payment_method_ref=pm,
        amount=Decimal(amount),
        currency="EUR",
        capture=bool(kw.get("capture", True)),
        description="test",
        metadata={"invoice": "1"},
        idempotency_key=key,
    )


def test_a_charge_succeeds_with_stripes_actual_fee(stripe: FakeStripe) -> None:
    result = charge(stripe, stripe.saved_card(CARD_OK))
    assert result.state == Payment.State.SUCCEEDED
    assert result.amount_received == Decimal("42.50")
    # The fake's fee is Stripe's EEA price plus one cent: the actual one.
    estimate = payment_provider().estimated_fee(Decimal("42.50"))
    assert estimate == Decimal("0.89")
    assert result.fee == estimate + Decimal("0.01")
    sent = [params for method, path, params, _ in stripe.requests if path == "/v1/payment_intents"]
    assert sent[-1]["amount"] == "4250"
    assert sent[-1]["off_session"] == "true" and sent[-1]["confirm"] == "true"


def test_no_fee_is_given_until_the_balance_transaction_exists(stripe: FakeStripe) -> None:
    stripe.fee_known = False
    result = charge(stripe, stripe.saved_card())
    assert result.state == Payment.State.SUCCEEDED and result.fee is None
    stripe.settle_fees()
    assert payment_provider().intent_get(result.ref).fee is not None


def test_a_declined_card_is_a_failed_result_with_its_reason(stripe: FakeStripe) -> None:
    result = charge(stripe, stripe.saved_card(CARD_DECLINED))
    assert result.state == Payment.State.FAILED
    assert result.failure_code == "insufficient_funds"
    assert "insufficient funds" in result.failure_message
    assert result.ref.startswith("pi_")


def test_a_card_that_wants_authentication_fails_off_session(stripe: FakeStripe) -> None:
    result = charge(stripe, stripe.saved_card(CARD_AUTHENTICATION))
    assert result.state == Payment.State.FAILED
    assert result.failure_code == "authentication_required"


def test_the_same_idempotency_key_never_charges_twice(stripe: FakeStripe) -> None:
    pm = stripe.saved_card()
    first = charge(stripe, pm, key="same")
    again = charge(stripe, pm, key="same")
    assert first.ref == again.ref
    assert stripe.charges_made() == 1
    charge(stripe, pm, key="other")
    assert stripe.charges_made() == 2


def test_every_call_that_changes_something_carries_an_idempotency_key(
    stripe: FakeStripe,
) -> None:
    pm = stripe.saved_card()
    held = charge(stripe, pm, capture=False)
    provider = payment_provider()
    provider.intent_capture(held.ref, amount=Decimal("10"), idempotency_key="cap")
    provider.refund_create(
        intent_ref=held.ref, amount=Decimal("5"), reason="A-1", idempotency_key="r"
    )
    provider.transfer_create(
        destination="acct_1",
        amount=Decimal("3"),
        currency="EUR",
        description="x",
        idempotency_key="t",
    )
    posts = [key for method, _, _, key in stripe.requests if method == "POST"]
    assert posts and all(posts)


def test_a_hold_is_captured_in_part_and_the_rest_released(stripe: FakeStripe) -> None:
    held = charge(stripe, stripe.saved_card(), amount="150", capture=False)
    assert held.state == Payment.State.AUTHORISED
    assert held.amount_capturable == Decimal("150.00")
    captured = payment_provider().intent_capture(
        held.ref, amount=Decimal("37.20"), idempotency_key="cap"
    )
    assert captured.state == Payment.State.SUCCEEDED
    assert captured.amount_received == Decimal("37.20")


def test_a_hold_is_cancelled(stripe: FakeStripe) -> None:
    held = charge(stripe, stripe.saved_card(), capture=False)
    cancelled = payment_provider().intent_cancel(held.ref, idempotency_key="x")
    assert cancelled.state == Payment.State.CANCELLED


def test_a_refund_succeeds_and_an_excessive_one_is_refused(stripe: FakeStripe) -> None:
    paid = charge(stripe, stripe.saved_card(), amount="20")
    provider = payment_provider()
    refund = provider.refund_create(
        intent_ref=paid.ref, amount=Decimal("8"), reason="A-1", idempotency_key="r1"
    )
    assert refund.state == Refund.State.SUCCEEDED
    assert provider.refund_get(refund.ref).state == Refund.State.SUCCEEDED
    with pytest.raises(ProviderUnavailable, match="greater than unrefunded"):
        provider.refund_create(
            intent_ref=paid.ref, amount=Decimal("12.01"), reason="A-2", idempotency_key="r2"
        )


def test_an_outage_is_provider_unavailable_and_the_retry_charges_once(
    stripe: FakeStripe,
) -> None:
    pm = stripe.saved_card()
    charge(stripe, pm, key="warm-up")
    stripe.failures_to_come = 10  # beyond the client's own retries
    with pytest.raises(ProviderUnavailable):
        charge(stripe, pm, key="during-outage")
    stripe.failures_to_come = 0
    charge(stripe, pm, key="during-outage")
    assert stripe.charges_made() == 2


def test_a_wrong_secret_key_is_provider_unavailable(stripe: FakeStripe, settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(ProviderUnavailable, match="key"):
        payment_provider().customer_create(email="a@b.fr", name="A", idempotency_key="c")


def event_payload(stripe: FakeStripe) -> bytes:
    return json.dumps(
        stripe.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    ).encode()


def test_a_signed_webhook_names_its_event_and_object(stripe: FakeStripe) -> None:
    payload = event_payload(stripe)
    trigger = payment_provider().webhook_trigger(payload, stripe.sign(payload))
    assert trigger.kind == "payment_intent.succeeded"
    assert (trigger.object_type, trigger.object_ref) == ("payment_intent", "pi_1")
    assert trigger.event_ref.startswith("evt_")


@pytest.mark.parametrize(
    "tamper",
    ["other secret", "altered body", "too old", "no header", "not json"],
)
def test_a_webhook_that_does_not_check_out_is_refused(stripe: FakeStripe, tamper: str) -> None:
    payload = event_payload(stripe)
    header = stripe.sign(payload)
    if tamper == "other secret":
        header = stripe.sign(payload, secret="whsec_someone_else")
    elif tamper == "altered body":
        payload = payload.replace(b"pi_1", b"pi_2")
    elif tamper == "too old":
        header = stripe.sign(payload, at=int(time.time()) - 301)
    elif tamper == "no header":
        header = ""
    elif tamper == "not json":
        payload = b"{not json"
        header = stripe.sign(payload)
    with pytest.raises(BadSignature):
        payment_provider().webhook_trigger(payload, header)


def test_webhooks_are_refused_without_a_configured_secret(stripe: FakeStripe, settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event_payload(stripe)
    with pytest.raises(BadSignature, match="STRIPE_WEBHOOK_SECRET"):
        payment_provider().webhook_trigger(payload, stripe.sign(payload))


def test_without_a_secret_key_card_payments_are_not_configured(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        payment_provider()


def test_amounts_go_to_stripe_in_cents_rounded_half_up() -> None:
    assert cents(Decimal("12.345")) == 1235
    assert cents(Decimal("0.01")) == 1
    assert StripeProvider.name == "stripe"
