"""Background tasks of billing: thin, they take ids and call a service."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("billing.draft_for_booking")
def draft_for_booking(booking_id: int) -> int | None:
    """Invoice a booking that has ended (enqueued when it ends): draft, then
    issue or queue for validation. Does nothing when the organisation does
    not bill. Returns the invoice's id."""
    from flotte.billing.services import invoice_for_ended_booking
    from flotte.booking.models import Booking

    invoice = invoice_for_ended_booking(Booking.objects.get(pk=booking_id))
    return invoice.pk if invoice is not None else None


@task("billing.collect_invoice")
def collect_invoice(invoice_id: int) -> int | None:
    """Charge an issued invoice to the member's card (enqueued at issue,
    and when a member saves a card). Returns the payment's id."""
    from flotte.billing.payments.services import invoice_collect

    payment = invoice_collect(invoice_id)
    return payment.pk if payment is not None else None


@task("billing.refund_credit_note")
def refund_credit_note(credit_note_id: int) -> list[int]:
    """Give back by card what an issued credit note corrects."""
    from flotte.billing.payments.services import credit_note_refund

    return [refund.pk for refund in credit_note_refund(credit_note_id)]


@task("billing.preauthorise_booking")
def preauthorise_booking(booking_id: int) -> int | None:
    """Hold the pre-authorisation of a booking just made, where it is due."""
    from flotte.billing.payments.sweeps import booking_preauthorise

    payment = booking_preauthorise(booking_id)
    return payment.pk if payment is not None else None


@task("billing.forget_customer")
def forget_customer(provider: str, customer_ref: str) -> None:
    """Delete an erased member's customer record at the payment provider
    (their name, e-mail and saved cards)."""
    from flotte.billing.payments.providers import payment_provider

    payment_provider(provider).customer_delete(customer_ref)


@task("billing.payments_sweep", every=dt.timedelta(minutes=1))
def payments_sweep() -> int:
    from flotte.billing.payments.sweeps import payments_sweep as sweep

    return sweep().total()


@task("billing.send_payment_failed_email")
def send_payment_failed_email(payment_id: int) -> None:
    """Tell the member their card was refused for an invoice (a mandatory
    notification, see flotte.notify)."""
    from flotte.notify.hooks import payment_failed

    payment_failed(payment_id)


@task("billing.send_preauth_failed_email")
def send_preauth_failed_email(payment_id: int) -> None:
    """Tell the member their booking was cancelled: the card could not be
    pre-authorised (a mandatory notification, see flotte.notify)."""
    from flotte.notify.hooks import preauth_failed

    preauth_failed(payment_id)


@task("billing.payout_statements", every=dt.timedelta(hours=1))
def payout_statements() -> list[int]:
    """Make the payout statements of the periods that ended, for the
    organisations that take cards. Returns the new statements' ids."""
    from flotte.billing.payouts import payout_statements_due

    return [statement.pk for statement in payout_statements_due()]
