"""Stripe's webhooks through the API: checked, de-duplicated, and used only
as a trigger to read the object again."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from django.test import Client

from flotte.billing.models import Payment, PaymentProfile, WebhookEvent
from flotte.billing.payments.cards import payment_method_setup
from flotte.billing.payments.selectors import invoice_balance
from flotte.billing.payments.services import invoice_collect
from tests.billing.fake_stripe import FakeStripe
from tests.billing.payments.conftest import card, card_payments, charged_invoice
from tests.conftest import Tenant

URL = "/api/v1/webhooks/stripe"


def deliver(stripe: FakeStripe, event: dict[str, Any], **sign: Any) -> Any:
    payload = json.dumps(event).encode()
    return Client().post(
        URL,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe.sign(payload, **sign)},
    )


def processing_payment(tenant: Tenant, stripe: FakeStripe) -> Payment:
    """A charge Stripe has taken but not finished: our row says processing."""
    card_payments(tenant)
    card(tenant, stripe)
    invoice = charged_invoice(tenant, "60.00")
    payment = invoice_collect(invoice.pk)
    assert payment is not None and payment.provider_ref
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.PROCESSING, amount_received=0, succeeded_at=None
    )
    return payment


def test_a_payment_event_makes_the_platform_read_the_payment_again(
    alice: Tenant, stripe: FakeStripe
) -> None:
    payment = processing_payment(alice, stripe)
    # The event's own object is stale on purpose: the platform trusts the
    # object it reads back, not the event.
    event = stripe.event(
        "payment_intent.succeeded",
        {"id": payment.provider_ref, "object": "payment_intent", "status": "processing"},
    )
    response = deliver(stripe, event)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == f"payment {payment.pk}: succeeded"
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert invoice_balance(payment.invoice).status == "paid"  # type: ignore[arg-type]


def test_a_replayed_event_is_dropped(alice: Tenant, stripe: FakeStripe) -> None:
    payment = processing_payment(alice, stripe)
    event = stripe.event(
        "payment_intent.succeeded", {"id": payment.provider_ref, "object": "payment_intent"}
    )
    assert deliver(stripe, event).json()["outcome"].endswith("succeeded")
    reads = len(stripe.requests)
    again = deliver(stripe, event)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert len(stripe.requests) == reads  # not even read again
    assert WebhookEvent.objects.count() == 1


def test_a_forged_event_is_refused_and_changes_nothing(alice: Tenant, stripe: FakeStripe) -> None:
    payment = processing_payment(alice, stripe)
    event = stripe.event(
        "payment_intent.succeeded", {"id": payment.provider_ref, "object": "payment_intent"}
    )
    forged = deliver(stripe, event, secret="whsec_attacker")
    assert forged.status_code == 400
    assert forged.json()["code"] == "bad_signature"
    too_old = deliver(stripe, event, at=int(time.time()) - 400)
    assert too_old.status_code == 400
    unsigned = Client().post(URL, data=json.dumps(event), content_type="application/json")
    assert unsigned.status_code == 400
    payment.refresh_from_db()
    assert payment.state == Payment.State.PROCESSING
    assert WebhookEvent.objects.count() == 0


def test_a_late_event_never_takes_a_payment_back(alice: Tenant, stripe: FakeStripe) -> None:
    payment = processing_payment(alice, stripe)
    deliver(
        stripe,
        stripe.event(
            "payment_intent.succeeded", {"id": payment.provider_ref, "object": "payment_intent"}
        ),
    )
    # Stripe's object is (wrongly, or in a race) seen as processing again
    # when an older event arrives: the succeeded payment stays succeeded.
    assert payment.provider_ref
    stripe.payment_intents[payment.provider_ref]["status"] = "processing"
    late = deliver(
        stripe,
        stripe.event(
            "payment_intent.processing", {"id": payment.provider_ref, "object": "payment_intent"}
        ),
    )
    assert late.status_code == 200
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert payment.amount_received == Decimal("60.00")


def test_a_card_setup_event_saves_the_card(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    setup = payment_method_setup(member=alice.member, organisation=alice.organisation)
    stripe.confirm_setup(setup.profile.setup_ref)
    response = deliver(
        stripe,
        stripe.event(
            "setup_intent.succeeded", {"id": setup.profile.setup_ref, "object": "setup_intent"}
        ),
    )
    assert response.status_code == 200
    profile = PaymentProfile.objects.get(pk=setup.profile.pk)
    assert (profile.state, profile.card_last4) == ("ready", "4242")


def test_events_about_unknown_objects_are_acknowledged(alice: Tenant, stripe: FakeStripe) -> None:
    response = deliver(
        stripe, stripe.event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    )
    assert (response.status_code, response.json()["outcome"]) == (200, "unknown payment")
    other = deliver(stripe, stripe.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert other.json()["outcome"] == "ignored customer.created"


def test_when_stripe_cannot_be_read_back_the_event_is_to_be_delivered_again(
    alice: Tenant, stripe: FakeStripe
) -> None:
    payment = processing_payment(alice, stripe)
    event = stripe.event(
        "payment_intent.succeeded", {"id": payment.provider_ref, "object": "payment_intent"}
    )
    stripe.failures_to_come = 10
    assert deliver(stripe, event).status_code == 503
    assert WebhookEvent.objects.count() == 0
    stripe.failures_to_come = 0
    assert deliver(stripe, event).status_code == 200
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
