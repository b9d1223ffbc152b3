"""Pre-authorisation: an amount held on the card before departure,
captured for the invoice, released when not needed; a booking whose card
cannot be held is cancelled and its member told."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import mail

from flotte.billing.models import Invoice, Payment
from flotte.billing.payments.selectors import invoice_balance
from flotte.billing.payments.services import invoice_collect
from flotte.billing.payments.sweeps import booking_preauthorise, payments_sweep
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel
from flotte.core import clock
from tests.billing.conftest import NOW, hours
from tests.billing.fake_stripe import CARD_DECLINED, FakeStripe
from tests.billing.payments.conftest import card, card_payments, ended, priced
from tests.booking.test_services import book
from tests.conftest import Tenant


def test_the_amount_is_held_as_soon_as_the_booking_is_made(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(alice, 30, 32)
    hold = Payment.objects.get(booking=booking)
    assert (hold.kind, hold.state, hold.amount) == ("preauth", "authorised", Decimal("150.00"))
    assert stripe.payment_intents[hold.provider_ref]["capture_method"] == "manual"


def test_no_amount_is_held_when_the_parameter_is_zero(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice)
    card(alice, stripe)
    assert booking_preauthorise(book(alice).pk) is None
    assert stripe.payment_intents == {}


def test_with_a_delay_the_hold_waits_until_that_many_hours_before_departure(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice, payment_preauth_amount="100", payment_preauth_hours_before=24)
    card(alice, stripe)
    booking = book(alice, 30, 32)
    assert booking_preauthorise(booking.pk) is None
    assert payments_sweep().held == 0
    with clock.frozen(hours(7)):  # 23 hours before departure
        assert payments_sweep().held == 1
        assert payments_sweep().held == 0  # once
    assert Payment.objects.get(booking=booking).state == Payment.State.AUTHORISED


def test_a_booking_whose_card_is_refused_is_cancelled_and_the_member_told(
    alice: Tenant, stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe, CARD_DECLINED)
    booking = book(alice, 30, 32)
    with django_capture_on_commit_callbacks(execute=True):
        hold = booking_preauthorise(booking.pk)
    assert hold is not None and hold.state == Payment.State.FAILED
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED
    assert booking.cancellation_fee == 0
    [message] = mail.outbox
    assert message.to == [alice.member.email]
    assert "150" in message.body


def test_a_member_without_a_card_cannot_keep_a_booking_that_needs_a_hold(
    alice: Tenant, stripe: FakeStripe
) -> None:
    card_payments(alice, payment_preauth_amount="150")
    booking = book(alice, 30, 32)
    booking_preauthorise(booking.pk)
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED


def test_no_amount_is_held_for_a_booking_already_ended(alice: Tenant, stripe: FakeStripe) -> None:
    priced(alice)
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe)
    booking = ended(alice, 2, 4, km=30)
    assert booking_preauthorise(booking.pk) is None
    assert stripe.payment_intents == {}


def test_capture_takes_what_is_due_from_the_hold_and_charges_the_rest(
    alice: Tenant, stripe: FakeStripe
) -> None:
    priced(alice)
    card_payments(alice, payment_preauth_amount="10")
    card(alice, stripe)
    booking = book(alice, 2, 4, declared_km=30)
    hold = booking_preauthorise(booking.pk)
    assert hold is not None and hold.state == Payment.State.AUTHORISED
    booking = _end(alice, booking, km=30)
    invoice = Invoice.objects.get(booking=booking)
    assert invoice.total_incl_vat == Decimal("14.00")
    invoice_collect(invoice.pk)
    hold.refresh_from_db()
    assert (hold.state, hold.amount_received, hold.invoice_id) == (
        "succeeded",
        Decimal("10.00"),
        invoice.pk,
    )
    rest = invoice.payments.get(kind=Payment.Kind.CHARGE)
    assert (rest.state, rest.amount_received) == ("succeeded", Decimal("4.00"))
    assert invoice_balance(invoice).status == "paid"


def test_a_hold_larger_than_the_invoice_is_captured_in_part(
    alice: Tenant, stripe: FakeStripe
) -> None:
    priced(alice)
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe)
    booking = book(alice, 2, 4, declared_km=30)
    hold = booking_preauthorise(booking.pk)
    assert hold is not None
    invoice = Invoice.objects.get(booking=_end(alice, booking, km=30))
    invoice_collect(invoice.pk)
    hold.refresh_from_db()
    assert (hold.state, hold.amount_received) == ("succeeded", Decimal("14.00"))
    assert invoice.payments.count() == 1
    assert stripe.charges_made() == 1


def test_the_hold_of_a_cancelled_booking_is_released(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe)
    booking = book(alice, 30, 32)
    hold = booking_preauthorise(booking.pk)
    assert hold is not None
    booking_cancel(actor=alice.member, booking=booking)
    assert payments_sweep().released == 1
    hold.refresh_from_db()
    assert hold.state == Payment.State.CANCELLED
    assert stripe.payment_intents[hold.provider_ref]["status"] == "canceled"


def _end(tenant: Tenant, booking: Booking, *, km: int) -> Booking:
    from flotte.billing.services import invoice_for_ended_booking
    from flotte.booking.lifecycle import booking_end, booking_start
    from flotte.fleet.models import Box

    Box.objects.filter(organisation=tenant.organisation).update(vehicle=None)
    with clock.frozen(booking.start):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(booking.end):
        booking = booking_end(actor=tenant.member, booking=booking, km=km)
        invoice_for_ended_booking(booking)
    return booking


def test_a_hold_is_not_taken_twice(alice: Tenant, stripe: FakeStripe) -> None:
    card_payments(alice, payment_preauth_amount="150")
    card(alice, stripe)
    booking = book(alice, 30, 32)
    assert booking_preauthorise(booking.pk) is not None
    assert booking_preauthorise(booking.pk) is None
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        assert payments_sweep().held == 0
    assert stripe.charges_made() == 1
