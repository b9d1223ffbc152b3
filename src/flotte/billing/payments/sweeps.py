"""The payments' periodic work: hold the amount of bookings about to start,
release holds no longer needed, send again what got no answer, follow
payments still in progress, and present failed invoices again on schedule."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import organisation_param_values
from flotte.billing import params
from flotte.billing.models import Invoice, Payment, Refund
from flotte.billing.payments.providers import ProviderUnavailable, payment_provider
from flotte.billing.payments.selectors import failed_attempts, invoice_balance
from flotte.billing.payments.services import (
    invoice_collect,
    new_payment,
    payment_apply,
    payment_submit,
    payment_sync,
    refund_submit,
    refund_sync,
)
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel_by_platform
from flotte.core import clock

log = logging.getLogger(__name__)

# A row still "created" this long after it was written got no answer: it
# is sent again, with the same key.
UNANSWERED_AFTER = dt.timedelta(minutes=2)
# How long Flotte keeps reading a charge for its actual fee.
FEE_LOOKUP_DAYS = 7
# A hold is released this long after its booking ended without an invoice
# to capture it for (billing off, or nothing due).
RELEASE_AFTER_END = dt.timedelta(hours=2)


def _paying_organisations(*keys: str) -> dict[int, dict[str, object]]:
    ids = list(Organisation.objects.values_list("pk", flat=True))
    values = organisation_param_values([params.CARD_PAYMENTS.key, *keys], ids)
    return {org: v for org, v in values.items() if v[params.CARD_PAYMENTS.key]}


def booking_preauthorise(booking_id: int) -> Payment | None:
    """Hold the organisation's pre-authorisation amount on the member's
    card for a booking, once it starts within the organisation's delay (at
    once when the delay is 0). If it cannot be held, the booking is
    cancelled and the member told."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=booking_id)
        )
        if booking.state != Booking.State.CONFIRMED:
            return None
        if Payment.objects.filter(booking=booking, kind=Payment.Kind.PREAUTH).exists():
            return None
        values = organisation_param_values(
            [params.CARD_PAYMENTS.key, params.PREAUTH_AMOUNT.key, params.PREAUTH_HOURS_BEFORE.key],
            [booking.organisation_id],
        )[booking.organisation_id]
        amount = Decimal(str(values[params.PREAUTH_AMOUNT.key]))
        if not values[params.CARD_PAYMENTS.key] or amount <= 0:
            return None
        hours = int(str(values[params.PREAUTH_HOURS_BEFORE.key]))
        if hours and booking.start > clock.now() + dt.timedelta(hours=hours):
            return None  # too early: the sweep holds it when the time comes
        payment = new_payment(
            organisation_id=booking.organisation_id,
            user_id=booking.member_id,
            kind=Payment.Kind.PREAUTH,
            amount=amount,
            booking_id=booking.pk,
        )
    payment = payment_submit(payment)
    if payment.state == Payment.State.FAILED:
        cancelled = booking_cancel_by_platform(
            booking=booking, reason=f"card not pre-authorised: {payment.failure_code}"
        )
        if cancelled is not None:
            from flotte.billing.tasks import send_preauth_failed_email

            send_preauth_failed_email.enqueue(payment.pk)
    return payment


@dataclass
class SweepReport:
    held: int = 0
    released: int = 0
    resent: int = 0
    synced: int = 0
    retried: int = 0

    def total(self) -> int:
        return self.held + self.released + self.resent + self.synced + self.retried


def _due_preauths(now: dt.datetime, report: SweepReport) -> None:
    organisations = _paying_organisations(
        params.PREAUTH_AMOUNT.key, params.PREAUTH_HOURS_BEFORE.key
    )
    for org_id, values in organisations.items():
        if Decimal(str(values[params.PREAUTH_AMOUNT.key])) <= 0:
            continue
        hours = int(str(values[params.PREAUTH_HOURS_BEFORE.key]))
        bookings = Booking.objects.filter(
            organisation_id=org_id, state=Booking.State.CONFIRMED
        ).exclude(payments__kind=Payment.Kind.PREAUTH)
        if hours:
            bookings = bookings.filter(start__lte=now + dt.timedelta(hours=hours))
        for booking_id in bookings.values_list("pk", flat=True):
            if booking_preauthorise(booking_id) is not None:
                report.held += 1


def _release_unused_holds(now: dt.datetime, report: SweepReport) -> None:
    holds = Payment.objects.filter(
        kind=Payment.Kind.PREAUTH, state=Payment.State.AUTHORISED, invoice=None
    ).select_related("booking")
    for hold in holds:
        booking = hold.booking
        assert booking is not None
        gone = booking.state in (Booking.State.CANCELLED, Booking.State.NO_SHOW)
        ended_unbilled = (
            booking.ended_at is not None
            and booking.ended_at < now - RELEASE_AFTER_END
            and not booking.invoices.exclude(state=Invoice.State.DRAFT).exists()
        )
        if not (gone or ended_unbilled):
            continue
        assert hold.provider_ref
        try:
            result = payment_provider(hold.provider).intent_cancel(
                hold.provider_ref, idempotency_key=f"{hold.idempotency_key}-cancel"
            )
        except ProviderUnavailable as exc:
            log.warning("hold %s not released yet: %s", hold.pk, exc)
            continue
        payment_apply(hold, result)
        report.released += 1


def _unanswered(now: dt.datetime, report: SweepReport) -> None:
    stale = now - UNANSWERED_AFTER
    for payment in Payment.objects.filter(state=Payment.State.CREATED, updated_at__lt=stale):
        if payment.provider_ref:
            payment_sync(payment)
        else:
            payment_submit(payment)
        report.resent += 1
    for refund in Refund.objects.filter(state__in=Refund.OPEN, updated_at__lt=stale):
        if refund.provider_ref:
            refund_sync(refund)
        else:
            refund_submit(refund)
        report.resent += 1


def _in_progress(now: dt.datetime, report: SweepReport) -> None:
    """Payments the provider is still working on, and succeeded charges
    whose actual fee is not known yet."""
    following = Payment.objects.filter(state=Payment.State.PROCESSING) | Payment.objects.filter(
        state=Payment.State.SUCCEEDED,
        fee_is_estimate=True,
        succeeded_at__gte=now - dt.timedelta(days=FEE_LOOKUP_DAYS),
    )
    for payment in following.exclude(provider_ref=None):
        try:
            payment_sync(payment)
        except ProviderUnavailable as exc:
            log.warning("payment %s not followed yet: %s", payment.pk, exc)
            continue
        report.synced += 1


def _retries(now: dt.datetime, report: SweepReport) -> None:
    """Invoices whose last charge failed long enough ago, and whose member
    is not suspended for them yet, are charged again."""
    organisations = _paying_organisations(
        params.RETRY_HOURS.key, params.FAILURES_BEFORE_SUSPENSION.key
    )
    for org_id, values in organisations.items():
        wait = dt.timedelta(hours=int(str(values[params.RETRY_HOURS.key])))
        limit = int(str(values[params.FAILURES_BEFORE_SUSPENSION.key]))
        invoices = Invoice.objects.filter(
            organisation_id=org_id,
            kind=Invoice.Kind.INVOICE,
            state=Invoice.State.ISSUED,
            payments__state=Payment.State.FAILED,
        ).distinct()
        for invoice in invoices:
            latest = invoice.payments.order_by("-created_at", "-id").first()
            if latest is None or latest.state != Payment.State.FAILED:
                continue
            if latest.updated_at > now - wait or failed_attempts(invoice) >= limit:
                continue
            if invoice_balance(invoice).due <= 0:
                continue
            if invoice_collect(invoice.pk) is not None:
                report.retried += 1


def payments_sweep() -> SweepReport:
    report = SweepReport()
    now = clock.now()
    _due_preauths(now, report)
    _release_unused_holds(now, report)
    _unanswered(now, report)
    _in_progress(now, report)
    _retries(now, report)
    return report
