"""Card payments tell the member through notify: the billing tasks that
billing enqueues after a refused charge or pre-authorisation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.billing.models import Payment
from flotte.billing.tasks import send_payment_failed_email, send_preauth_failed_email
from flotte.core import clock
from tests.booking.test_services import book
from tests.conftest import Tenant
from tests.notify.conftest import emails_to
from tests.notify.test_hooks import told


def payment(tenant: Tenant, **fields: Any) -> Payment:
    now = clock.now()
    return Payment.objects.create(
        organisation=tenant.organisation,
        user=tenant.member,
        provider="stripe",
        idempotency_key=f"test-{now.timestamp()}-{fields.get('kind', 'charge')}",
        amount=Decimal("150.00"),
        state=Payment.State.FAILED,
        failure_code="card_declined",
        failure_message="Your card was declined.",
        created_at=now,
        updated_at=now,
        **fields,
    )


def test_a_failed_payment_is_told_by_the_billing_task(alice: Tenant, delivered: Any) -> None:
    invoice = invoice_exceptional_create(
        actor=alice.manager,
        organisation=alice.organisation,
        buyer=alice.member,
        lines=[LineInput("Franchise", Decimal("150.00"), kind="damage")],
        reason="dommages",
    )
    failed = payment(alice, invoice=invoice)
    with delivered():
        send_payment_failed_email.run(failed.pk)
    row = told(alice.member, "payment_failed")
    assert row.key == f"payment:{failed.pk}"
    [message] = emails_to(alice.member)
    assert invoice.number in message.body and "Your card was declined." in message.body


def test_a_booking_cancelled_for_its_preauthorisation_is_told(
    alice: Tenant, delivered: Any
) -> None:
    booking = book(alice, 30, 32)
    failed = payment(alice, booking=booking, kind=Payment.Kind.PREAUTH)
    with delivered():
        send_preauth_failed_email.run(failed.pk)
    row = told(alice.member, "preauth_failed")
    assert row.context["booking_id"] == booking.pk
    assert "150,00 €" in emails_to(alice.member)[0].body
