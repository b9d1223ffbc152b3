"""Collecting invoices by card: charge on issue, capture a pre-authorisation,
follow a payment to its final state, refund a credit note.

A call to the provider never runs inside a database transaction. Each
attempt is first written as a row with its own idempotency key and
committed; the provider is called; the answer is applied in a second
transaction. A crash or an outage between the two leaves a row in state
``created`` that the payment sweep sends again with the same key, which the
provider answers with the first result: money moves at most once."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from flotte.accounts.drivers import unpaid_suspend, unpaid_suspensions_lift
from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_value
from flotte.billing import params
from flotte.billing.models import Invoice, Payment, PaymentProfile, Refund
from flotte.billing.payments.providers import (
    IntentResult,
    ProviderUnavailable,
    RefundResult,
    payment_provider,
)
from flotte.billing.payments.selectors import ZERO, failed_attempts, invoice_balance
from flotte.core import clock
from flotte.core.audit import audit

log = logging.getLogger(__name__)

# Progress of a payment: a state is applied only if it goes forward, so a
# webhook arriving late or twice never takes a payment back.
_RANK = {
    Payment.State.CREATED: 0,
    Payment.State.PROCESSING: 1,
    Payment.State.AUTHORISED: 2,
    Payment.State.SUCCEEDED: 3,
    Payment.State.FAILED: 3,
    Payment.State.CANCELLED: 3,
}
# Refunds that moved no money and never will.
_GONE = (Refund.State.FAILED, Refund.State.CANCELLED)
_REFUND_RANK = {
    Refund.State.CREATED: 0,
    Refund.State.PENDING: 1,
    Refund.State.SUCCEEDED: 2,
    Refund.State.FAILED: 2,
    Refund.State.CANCELLED: 2,
}


def card_payments_enabled(organisation: Organisation) -> bool:
    return bool(param_value(params.CARD_PAYMENTS.key, organisation=organisation))


def charged_back(invoice: Invoice) -> bool:
    """A business invoice of an organisation that charges internal use back
    to its departments is settled on the monthly statement, not by card."""
    return invoice.buyer_is_business and bool(
        param_value(params.INTERNAL_CHARGEBACK.key, organisation=invoice.organisation)
    )


def new_key(organisation_id: int, what: str) -> str:
    return f"flotte-{organisation_id}-{what}-{uuid.uuid4().hex}"


def ready_profile(organisation_id: int, user_id: int) -> PaymentProfile | None:
    return PaymentProfile.objects.filter(
        organisation_id=organisation_id,
        user_id=user_id,
        provider=payment_provider_name(),
        state=PaymentProfile.State.READY,
    ).first()


def payment_provider_name() -> str:
    return str(settings.PAYMENT_PROVIDER)


# -- applying the provider's answers ------------------------------------


def _fee(payment: Payment, result: IntentResult) -> None:
    if result.fee is not None:
        payment.fee, payment.fee_is_estimate = result.fee, False
    elif payment.fee_is_estimate and payment.amount_received > 0:
        provider = payment_provider(payment.provider)
        payment.fee = provider.estimated_fee(payment.amount_received)


@transaction.atomic
def payment_apply(payment: Payment, result: IntentResult) -> Payment:
    """Record what the provider says of a payment, forward only; then what
    follows: a member suspended after too many failures, or freed once
    everything is paid."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if result.ref and not payment.provider_ref:
        payment.provider_ref = result.ref
    before = payment.state
    forward = _RANK[Payment.State(result.state)] > _RANK[Payment.State(before)]
    if forward:
        payment.state = result.state
        payment.failure_code = result.failure_code[:60]
        payment.failure_message = result.failure_message[:300]
        if result.state == Payment.State.SUCCEEDED:
            payment.amount_received = result.amount_received
            payment.succeeded_at = clock.now()
    if payment.state == Payment.State.SUCCEEDED:
        _fee(payment, result)
    payment.updated_at = clock.now()
    payment.save()
    if not forward:
        return payment
    audit(
        f"payment.{payment.state}",
        payment,
        data={
            "kind": payment.kind,
            "amount": str(payment.amount),
            "received": str(payment.amount_received),
            "invoice": payment.invoice_id,
            "booking": payment.booking_id,
            "failure": payment.failure_code,
        },
    )
    if payment.invoice_id is not None and payment.state == Payment.State.SUCCEEDED:
        invoice = payment.invoice
        assert invoice is not None
        if invoice_balance(invoice).due == 0:
            unpaid_suspensions_lift(
                organisation_id=payment.organisation_id,
                user_id=payment.user_id,
                why=f"{invoice.number} paid",
            )
    if payment.invoice_id is not None and payment.state == Payment.State.FAILED:
        _after_failure(payment)
    return payment


def _after_failure(payment: Payment) -> None:
    invoice = payment.invoice
    assert invoice is not None
    limit = param_value(params.FAILURES_BEFORE_SUSPENSION.key, organisation=invoice.organisation)
    if failed_attempts(invoice) >= limit:
        unpaid_suspend(
            organisation=invoice.organisation,
            user=invoice.buyer,
            reason=f"{invoice.number}: payment failed {limit} times",
        )
    from flotte.billing.tasks import send_payment_failed_email

    send_payment_failed_email.enqueue(payment.pk)


def payment_sync(payment: Payment) -> Payment:
    """Read the payment again from the provider and apply it (webhooks and
    the sweep call this; the object read is the truth, not the event)."""
    if not payment.provider_ref:
        return payment
    result = payment_provider(payment.provider).intent_get(payment.provider_ref)
    return payment_apply(payment, result)


@transaction.atomic
def refund_apply(refund: Refund, result: RefundResult) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if result.ref and not refund.provider_ref:
        refund.provider_ref = result.ref
    forward = _REFUND_RANK[Refund.State(result.state)] > _REFUND_RANK[Refund.State(refund.state)]
    if forward:
        refund.state = result.state
        refund.failure_message = result.failure_message[:300]
        if result.state == Refund.State.SUCCEEDED:
            refund.succeeded_at = clock.now()
    refund.updated_at = clock.now()
    refund.save()
    if forward:
        audit(
            f"refund.{refund.state}",
            refund,
            data={"amount": str(refund.amount), "payment": refund.payment_id},
        )
    return refund


def refund_sync(refund: Refund) -> Refund:
    if not refund.provider_ref:
        return refund
    provider = payment_provider(refund.payment.provider)
    return refund_apply(refund, provider.refund_get(refund.provider_ref))


# -- charging ------------------------------------------------------------


def new_payment(
    *,
    organisation_id: int,
    user_id: int,
    kind: str,
    amount: Decimal,
    invoice: Invoice | None = None,
    booking_id: int | None = None,
    attempt: int = 1,
) -> Payment:
    """A payment row with its own idempotency key, before any call."""
    now = clock.now()
    return Payment.objects.create(
        organisation_id=organisation_id,
        user_id=user_id,
        invoice=invoice,
        booking_id=booking_id,
        kind=kind,
        provider=payment_provider_name(),
        idempotency_key=new_key(organisation_id, kind),
        amount=amount,
        attempt=attempt,
        created_at=now,
        updated_at=now,
    )


def payment_submit(payment: Payment) -> Payment:
    """Send a payment row to the provider (again, with its own key, if an
    earlier try got no answer)."""
    profile = ready_profile(payment.organisation_id, payment.user_id)
    if profile is None:
        return payment_apply(
            payment,
            IntentResult(
                ref="",
                state=Payment.State.FAILED,
                amount_received=ZERO,
                failure_code="no_payment_method",
                failure_message="no card is saved for this organisation",
            ),
        )
    invoice = payment.invoice
    what = invoice.number if invoice else f"booking {payment.booking_id}"
    try:
        result = payment_provider(payment.provider).intent_create(
            customer_ref=profile.customer_ref,
            payment_method_ref=profile.payment_method_ref,
            amount=payment.amount,
            currency=payment.currency,
            capture=payment.kind == Payment.Kind.CHARGE,
            description=f"{payment.organisation} — {what}",
            metadata={
                "payment": str(payment.pk),
                "organisation": str(payment.organisation_id),
                "invoice": str(payment.invoice_id or ""),
                "booking": str(payment.booking_id or ""),
            },
            idempotency_key=payment.idempotency_key,
        )
    except ProviderUnavailable as exc:
        log.warning("payment %s not sent, will be retried: %s", payment.pk, exc)
        return payment
    return payment_apply(payment, result)


def _capture(preauth: Payment, invoice: Invoice, amount: Decimal) -> Payment:
    provider = payment_provider(preauth.provider)
    assert preauth.provider_ref
    with transaction.atomic():
        Payment.objects.filter(pk=preauth.pk).update(invoice=invoice)
        preauth.invoice = invoice
    try:
        if amount > 0:
            result = provider.intent_capture(
                preauth.provider_ref,
                amount=amount,
                idempotency_key=f"{preauth.idempotency_key}-capture",
            )
        else:
            result = provider.intent_cancel(
                preauth.provider_ref, idempotency_key=f"{preauth.idempotency_key}-cancel"
            )
    except ProviderUnavailable as exc:
        log.warning("capture of payment %s failed, will be retried: %s", preauth.pk, exc)
        return preauth
    return payment_apply(preauth, result)


def invoice_collect(invoice_id: int) -> Payment | None:
    """Collect an issued invoice: capture the booking's pre-authorisation,
    then charge the saved card for whatever remains. Does nothing when the
    organisation does not take cards, the invoice is charged back
    internally or already paid, or a payment is under way."""
    invoice = Invoice.objects.select_related("organisation", "buyer", "booking").get(pk=invoice_id)
    if (
        not invoice.is_issued
        or invoice.is_credit_note
        or not card_payments_enabled(invoice.organisation)
        or charged_back(invoice)
    ):
        return None
    preauth = (
        Payment.objects.filter(
            booking_id=invoice.booking_id,
            kind=Payment.Kind.PREAUTH,
            state=Payment.State.AUTHORISED,
        ).first()
        if invoice.booking_id
        else None
    )
    due = invoice_balance(invoice).due
    if preauth is not None:
        held = preauth.amount
        preauth = _capture(preauth, invoice, min(due, held))
        due = invoice_balance(invoice).due
        if preauth.state == Payment.State.AUTHORISED:
            return preauth  # capture to be retried: do not charge on top
    if due <= 0:
        return preauth
    with transaction.atomic():
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        if Payment.objects.filter(
            invoice=invoice, state__in=(Payment.State.CREATED, Payment.State.PROCESSING)
        ).exists():
            return None
        payment = new_payment(
            organisation_id=invoice.organisation_id,
            user_id=invoice.buyer_id,
            kind=Payment.Kind.CHARGE,
            amount=due,
            invoice=invoice,
            booking_id=invoice.booking_id,
            attempt=failed_attempts(invoice) + 1,
        )
    return payment_submit(payment)


def credit_note_refund(credit_note_id: int) -> list[Refund]:
    """Give back by card what a credit note corrects, where that money was
    collected: up to what the invoice's payments took beyond what is now
    owed, from the latest payments first."""
    credit_note = Invoice.objects.select_related("credits").get(pk=credit_note_id)
    invoice = credit_note.credits
    if invoice is None or not credit_note.is_issued:
        return []
    refunds: list[Refund] = []
    with transaction.atomic():
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        to_refund = invoice_balance(invoice).refundable - sum(
            (
                r.amount
                for r in Refund.objects.filter(payment__invoice=invoice, state__in=Refund.OPEN)
            ),
            ZERO,
        )
        for payment in Payment.objects.filter(
            invoice=invoice, state=Payment.State.SUCCEEDED
        ).order_by("-succeeded_at"):
            if to_refund <= 0:
                break
            given = sum((r.amount for r in payment.refunds.exclude(state__in=_GONE)), ZERO)
            amount = min(payment.amount_received - given, to_refund)
            if amount <= 0:
                continue
            now = clock.now()
            refunds.append(
                Refund.objects.create(
                    organisation_id=invoice.organisation_id,
                    payment=payment,
                    credit_note=credit_note,
                    idempotency_key=new_key(invoice.organisation_id, "refund"),
                    amount=amount,
                    created_at=now,
                    updated_at=now,
                )
            )
            to_refund -= amount
    return [refund_submit(refund) for refund in refunds]


def refund_submit(refund: Refund) -> Refund:
    payment = refund.payment
    assert payment.provider_ref
    try:
        result = payment_provider(payment.provider).refund_create(
            intent_ref=payment.provider_ref,
            amount=refund.amount,
            reason=refund.credit_note.number if refund.credit_note else "",  # type: ignore[arg-type]
            idempotency_key=refund.idempotency_key,
        )
    except ProviderUnavailable as exc:
        log.warning("refund %s not sent, will be retried: %s", refund.pk, exc)
        return refund
    return refund_apply(refund, result)
