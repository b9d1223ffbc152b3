"""Collecting invoices by card: charge at issue, failures and retries,
suspension until paid, fees, outages, refunds of credit notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import mail

from flotte.accounts.drivers import suspensions_in_force
from flotte.accounts.models import Suspension
from flotte.billing.amounts import LineInput
from flotte.billing.corrections import credit_note_issue
from flotte.billing.models import Payment, Refund
from flotte.billing.payments.selectors import invoice_balance
from flotte.billing.payments.services import credit_note_refund, invoice_collect
from flotte.billing.payments.sweeps import payments_sweep
from flotte.core import clock
from tests.billing.conftest import NOW, set_param
from tests.billing.fake_stripe import CARD_DECLINED, FakeStripe
from tests.billing.payments.conftest import card, card_payments, charged_invoice
from tests.conftest import Tenant


def test_an_issued_invoice_is_charged_to_the_saved_card(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    card(alice, stripe)
    invoice = charged_invoice(alice, "120.00")
    assert invoice_balance(invoice).status == "unpaid"
    payment = invoice_collect(invoice.pk)
    assert payment is not None and payment.state == Payment.State.SUCCEEDED
    assert payment.amount_received == Decimal("120.00")
    assert payment.provider_ref and payment.provider_ref.startswith("pi_")
    # Stripe's actual fee (1.5% + 0.25, plus the fake's cent), not the estimate.
    assert (payment.fee, payment.fee_is_estimate) == (Decimal("2.06"), False)
    balance = invoice_balance(invoice)
    assert (balance.status, balance.due, balance.paid) == ("paid", 0, Decimal("120.00"))
    # Collecting again changes nothing: nothing is due.
    assert invoice_collect(invoice.pk) is None
    assert stripe.charges_made() == 1


def test_issuing_an_invoice_enqueues_its_collection(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    card_payments(alice)
    card(alice, stripe)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = charged_invoice(alice, "30.00")
    assert invoice_balance(invoice).status == "paid"


def test_nothing_is_charged_when_the_organisation_takes_no_cards(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe)
    set_param(alice, "payment_card_enabled", False)
    invoice = charged_invoice(alice)
    assert invoice_collect(invoice.pk) is None
    assert stripe.charges_made() == 0


def test_business_invoices_charged_back_internally_are_not_charged_by_card(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice, billing_internal_chargeback=True)
    card(alice, stripe)
    business = charged_invoice(alice)
    business.buyer_snapshot = {**business.buyer_snapshot, "business": True}
    business.save(update_fields=["buyer_snapshot"])
    assert invoice_collect(business.pk) is None
    set_param(alice, "billing_internal_chargeback", False)
    assert invoice_collect(business.pk) is not None
    assert stripe.charges_made() == 1


def test_a_member_without_a_card_has_a_failed_attempt_and_is_told(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    card_payments(alice)
    invoice = charged_invoice(alice)
    with django_capture_on_commit_callbacks(execute=True):
        payment = invoice_collect(invoice.pk)
    assert payment is not None and payment.state == Payment.State.FAILED
    assert payment.failure_code == "no_payment_method"
    assert [m.to for m in mail.outbox] == [[alice.member.email]]
    assert invoice.number in mail.outbox[0].body


def test_a_declined_card_fails_and_the_invoice_stays_due(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    card(alice, stripe, CARD_DECLINED)
    invoice = charged_invoice(alice, "50.00")
    payment = invoice_collect(invoice.pk)
    assert payment is not None and payment.state == Payment.State.FAILED
    assert payment.failure_code == "insufficient_funds"
    assert invoice_balance(invoice).due == Decimal("50.00")
    assert payment.fee == 0


def test_failed_payments_are_retried_on_schedule_then_the_member_is_suspended_until_paid(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice, payment_retry_hours=24, payment_failures_before_suspension=2)
    card(alice, stripe, CARD_DECLINED)
    invoice = charged_invoice(alice, "50.00")
    invoice_collect(invoice.pk)
    # Not yet: the retry waits for its delay.
    with clock.frozen(NOW + dt.timedelta(hours=23)):
        assert payments_sweep().retried == 0
    assert suspensions_in_force(alice.member, alice.organisation.pk) == []
    with clock.frozen(NOW + dt.timedelta(hours=25)):
        assert payments_sweep().retried == 1
        [suspension] = suspensions_in_force(alice.member, alice.organisation.pk)
    assert suspension.kind == Suspension.Kind.UNPAID
    attempts = list(invoice.payments.order_by("attempt").values_list("attempt", "state"))
    assert attempts == [(1, "failed"), (2, "failed")]
    # Suspended: no more automatic retries on the refused card.
    with clock.frozen(NOW + dt.timedelta(hours=60)):
        assert payments_sweep().retried == 0
        # The member saves a new card: the invoice is charged and they are free.
        card(alice, stripe)
        assert invoice_collect(invoice.pk).state == Payment.State.SUCCEEDED  # type: ignore[union-attr]
        assert suspensions_in_force(alice.member, alice.organisation.pk) == []


def test_the_retry_delay_is_the_organisations(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice, payment_retry_hours=2)
    card(alice, stripe, CARD_DECLINED)
    invoice_collect(charged_invoice(alice).pk)
    with clock.frozen(NOW + dt.timedelta(hours=3)):
        assert payments_sweep().retried == 1


def test_a_charge_sent_during_an_outage_is_sent_again_with_the_same_key(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe)
    invoice = charged_invoice(alice, "80.00")
    stripe.failures_to_come = 10
    payment = invoice_collect(invoice.pk)
    assert payment is not None and payment.state == Payment.State.CREATED
    stripe.failures_to_come = 0
    # Collecting meanwhile does not start a second payment.
    assert invoice_collect(invoice.pk) is None
    with clock.frozen(NOW + dt.timedelta(minutes=3)):
        assert payments_sweep().resent == 1
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    keys = {key for method, path, _, key in stripe.requests if path == "/v1/payment_intents"}
    assert keys == {payment.idempotency_key}
    assert stripe.charges_made() == 1


def test_a_lost_answer_replayed_with_its_key_does_not_charge_twice(
    alice: Tenant, stripe: FakeStripe
) -> None:
    """The provider charged, but the answer never came back: the row stays
    created; sending it again with its key returns the first charge."""
    card_payments(alice)
    profile = card(alice, stripe)
    invoice = charged_invoice(alice, "80.00")
    payment = invoice_collect(invoice.pk)
    assert payment is not None
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.CREATED, provider_ref=None, amount_received=0, succeeded_at=None
    )
    assert profile.payment_method_ref
    with clock.frozen(NOW + dt.timedelta(minutes=3)):
        payments_sweep()
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert stripe.charges_made() == 1


def test_the_fee_is_estimated_until_stripe_gives_the_actual_one(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe)
    stripe.fee_known = False
    payment = invoice_collect(charged_invoice(alice, "100.00").pk)
    assert payment is not None
    assert (payment.fee, payment.fee_is_estimate) == (Decimal("1.75"), True)
    stripe.settle_fees()
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        assert payments_sweep().synced == 1
    payment.refresh_from_db()
    assert (payment.fee, payment.fee_is_estimate) == (Decimal("1.76"), False)


def test_a_credit_note_on_a_paid_invoice_is_refunded_to_the_card(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    card(alice, stripe)
    invoice = charged_invoice(alice, "120.00")
    invoice_collect(invoice.pk)
    note = credit_note_issue(
        actor=alice.manager,
        invoice=invoice,
        reason="Geste commercial",
        lines=[LineInput("Remise", Decimal("20.00"))],
    )
    [refund] = credit_note_refund(note.pk)
    assert (refund.state, refund.amount, refund.credit_note_id) == (
        Refund.State.SUCCEEDED,
        Decimal("20.00"),
        note.pk,
    )
    balance = invoice_balance(invoice)
    assert (balance.credited, balance.refunded, balance.due, balance.status) == (
        Decimal("20.00"),
        Decimal("20.00"),
        0,
        "paid",
    )
    # Once only.
    assert credit_note_refund(note.pk) == []
    assert len(stripe.refunds) == 1


def test_a_credit_note_on_an_unpaid_invoice_lowers_what_is_due_and_refunds_nothing(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice)
    invoice = charged_invoice(alice, "120.00")
    note = credit_note_issue(actor=alice.manager, invoice=invoice, reason="Erreur", lines=None)
    assert credit_note_refund(note.pk) == []
    assert invoice_balance(invoice).status == "credited"
    card(alice, stripe)
    assert invoice_collect(invoice.pk) is None
    assert stripe.charges_made() == 0
