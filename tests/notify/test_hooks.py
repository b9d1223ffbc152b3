"""Each event is told where it happens: bookings, transfers, late returns,
no-shows, the end of a trip, invoices and payments. Each hook gives the
values its templates use (the event's sample)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from flotte.billing.amounts import LineInput
from flotte.billing.corrections import invoice_exceptional_create
from flotte.booking.lifecycle import booking_change, booking_end, booking_start, no_show_sweep
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel
from flotte.booking.transfers import booking_transfer, late_return_sweep
from flotte.core import clock
from flotte.fleet.models import Box
from flotte.notify import context as values
from flotte.notify.events import EVENTS
from flotte.notify.models import NotificationPreference
from tests import factories as f
from tests.booking.test_services import book, hours
from tests.conftest import Tenant
from tests.notify.conftest import emails_to, rows


@pytest.fixture(autouse=True)
def _vehicles_without_box(alice: Tenant) -> None:
    """Trips here start and end by hand."""
    Box.objects.update(vehicle=None)


def twin(tenant: Tenant) -> Any:
    vehicle = f.VehicleFactory(organisation=tenant.organisation, home_station=tenant.station)
    vehicle.communities.add(tenant.community)
    return vehicle


def told(user: Any, event: str) -> Any:
    """The one notification of this event, checked to carry every value its
    templates use."""
    [row] = rows(user, event)
    assert set(EVENTS[event].sample) <= set(row.context), event
    assert row.state == "sent", row.error
    return row


def test_a_booking_made_is_confirmed_to_its_member(alice: Tenant, delivered: Any) -> None:
    with delivered():
        booking = book(alice, 2, 4)
    row = told(alice.member, "booking_confirmed")
    assert row.key == f"booking:{booking.pk}"
    [message] = emails_to(alice.member)
    assert alice.vehicle.plate in message.body
    assert f"/bookings/{booking.pk}/" in message.body


def test_a_booking_made_by_a_manager_is_confirmed_to_the_member_not_the_manager(
    alice: Tenant, delivered: Any
) -> None:
    with delivered():
        book(alice, 2, 4, actor=alice.manager)
    told(alice.member, "booking_confirmed")
    assert rows(alice.manager) == []


def test_a_changed_booking_is_told_with_its_new_times(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 2, 4)
    with delivered():
        booking_change(actor=alice.member, booking=booking, end=hours(5))
    row = told(alice.member, "booking_changed")
    assert values.decode(row.context)["end"] == hours(5)


def test_a_cancelled_booking_is_told_with_its_fee(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 2, 4)  # within the free cancellation time: a fee
    with delivered():
        booking_cancel(actor=alice.member, booking=booking)
    row = told(alice.member, "booking_cancelled")
    assert values.decode(row.context)["fee"] == Decimal("5.00")
    assert "5,00 €" in emails_to(alice.member)[0].body


def test_a_booking_cancelled_by_a_manager_says_so(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 30, 32)
    with delivered():
        booking_cancel(actor=alice.manager, booking=booking)
    assert told(alice.member, "booking_cancelled").context["by_member"] is False
    assert "par un gestionnaire" in emails_to(alice.member)[0].body


def test_a_transfer_tells_the_driver_even_without_email_chosen(
    alice: Tenant, delivered: Any
) -> None:
    NotificationPreference.objects.create(
        user=alice.member,
        event="booking_transferred",
        email=False,
        updated_at=clock.now(),
    )
    other = twin(alice)
    booking = book(alice, 2, 4)
    with delivered():
        booking_transfer(booking=booking, reason="out_of_service")
    row = told(alice.member, "booking_transferred")
    assert row.context["plate"] == other.plate
    assert row.context["previous_plate"] == alice.vehicle.plate
    [message] = emails_to(alice.member)
    assert other.plate in message.body and "hors service" in message.body


def late_trip(tenant: Tenant) -> Booking:
    """Alice's member drove 2 h to 4 h and is not back; the clock is past the
    grace time."""
    booking = book(tenant, 2, 4)
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    return booking


def colleague(tenant: Tenant) -> Any:
    """Another validated member of the community, in the member's group."""
    person = f.UserFactory(email="waiting@example.org")
    f.MembershipFactory(
        user=person, community=tenant.community, group=tenant.member.memberships.get().group
    )
    f.DriverProfileFactory(user=person)
    f.DriverApprovalFactory(organisation=tenant.organisation, user=person, status="validated")
    return person


def test_a_late_driver_is_asked_to_come_back_once(alice: Tenant, delivered: Any) -> None:
    trip = late_trip(alice)
    with delivered(), clock.frozen(hours(4.5)):
        late_return_sweep()
        late_return_sweep()
    row = told(alice.member, "vehicle_late_driver")
    assert row.key == f"late:{trip.pk}"
    assert row.context["waiting"] is False


def test_the_waiting_member_is_told_when_no_vehicle_can_replace_the_late_one(
    alice: Tenant, delivered: Any
) -> None:
    late_trip(alice)
    waiting = colleague(alice)
    next_booking = book(alice, 5, 6, member=waiting)
    with delivered(), clock.frozen(hours(4.25)):
        late_return_sweep()
    row = told(waiting, "vehicle_late_waiting")
    assert row.context["booking_id"] == next_booking.pk
    assert told(alice.member, "vehicle_late_driver").context["waiting"] is True
    assert len(emails_to(waiting)) == 1


def test_the_waiting_member_moved_to_another_vehicle_gets_the_transfer_only(
    alice: Tenant, delivered: Any
) -> None:
    late_trip(alice)
    twin(alice)
    waiting = colleague(alice)
    book(alice, 5, 6, member=waiting)
    with delivered(), clock.frozen(hours(4.25)):
        late_return_sweep()
    told_then = [row.event for row in rows(waiting) if row.event != "booking_confirmed"]
    assert told_then == ["booking_transferred"]


def test_a_no_show_is_told(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 2, 4)
    with delivered(), clock.frozen(hours(3)):
        assert no_show_sweep() == 1
    assert told(alice.member, "booking_no_show").key == f"booking:{booking.pk}"


def test_the_end_of_a_trip_sends_the_survey_link(alice: Tenant, delivered: Any) -> None:
    booking = book(alice, 2, 4)
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=booking)
    with delivered(), clock.frozen(hours(3.5)):
        booking_end(actor=alice.member, booking=booking, km=12)
    row = told(alice.member, "trip_survey")
    assert "/n/survey/" in row.context["survey_url"]
    assert row.context["survey_url"] in emails_to(alice.member)[-1].body


def test_an_issued_invoice_is_told_to_its_buyer(alice: Tenant, delivered: Any) -> None:
    with delivered():
        invoice = invoice_exceptional_create(
            actor=alice.manager,
            organisation=alice.organisation,
            buyer=alice.member,
            lines=[LineInput("Franchise", Decimal("300.00"), kind="damage")],
            reason="dommages",
        )
    row = told(alice.member, "invoice_issued")
    assert row.context["number"] == invoice.number
    assert invoice.number in emails_to(alice.member)[0].subject


def test_no_hook_fires_for_another_organisations_members(
    alice: Tenant, bob: Tenant, delivered: Any
) -> None:
    with delivered():
        book(alice, 2, 4)
    assert rows(bob.member) == []
    assert emails_to(bob.member) == []
