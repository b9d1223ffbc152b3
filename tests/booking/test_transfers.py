from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from flotte.booking import params
from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.booking.transfers import booking_transfer, late_return_sweep, vehicle_bulk_transfer
from flotte.core import clock
from flotte.core.errors import PermissionDenied
from flotte.core.tasks import registered_tasks
from flotte.fleet.models import Box, Vehicle
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Api, Tenant


@pytest.fixture(autouse=True)
def _vehicles_without_box(alice: Tenant) -> None:
    """These trips start and end by hand: the vehicles have no box (trips
    of vehicles with a box are in tests/telematics/test_trips.py)."""
    Box.objects.update(vehicle=None)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def twin(tenant: Tenant, **fields: Any) -> Vehicle:
    """An equivalent vehicle at the same station."""
    vehicle = f.VehicleFactory(
        organisation=tenant.organisation, home_station=tenant.station, **fields
    )
    vehicle.communities.add(tenant.community)
    return vehicle


def test_a_booking_moves_to_an_equivalent_free_vehicle_and_the_driver_is_told(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    other = twin(alice)
    booking = book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = booking_transfer(booking=booking, reason="out_of_service")
    booking.refresh_from_db()
    assert (transfer.to_vehicle, booking.vehicle) == (other, other)
    assert booking.sequence == 1
    assert mail.outbox[0].to == [alice.member.email]
    assert other.plate in mail.outbox[0].body


def test_a_vehicle_at_another_station_or_with_fewer_seats_is_not_equivalent(
    alice: Tenant,
) -> None:
    elsewhere = f.StationFactory(organisation=alice.organisation)
    far = twin(alice)
    Vehicle.objects.filter(pk=far.pk).update(home_station=elsewhere)
    small = twin(alice, seats=2)
    booking = book(alice, 2, 4)
    transfer = booking_transfer(booking=booking, reason="out_of_service")
    assert transfer.to_vehicle is None
    alert = ManagerAlert.objects.get(booking=booking)
    assert alert.kind == "transfer_failed"
    assert {a["vehicle_id"] for a in alert.alternatives} == {far.pk, small.pk}


def test_bulk_transfer_moves_every_upcoming_booking(alice: Tenant) -> None:
    twin(alice)
    twin(alice)
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    first, second = book(alice, 2, 4), book(alice, 30, 32)
    transfers = vehicle_bulk_transfer(actor=alice.manager, vehicle=alice.vehicle)
    assert [t.booking for t in transfers] == [first, second]
    assert all(t.succeeded for t in transfers)
    assert not Booking.objects.filter(vehicle=alice.vehicle, state="confirmed").exists()
    with pytest.raises(PermissionDenied):
        vehicle_bulk_transfer(actor=alice.member, vehicle=alice.vehicle)


def _late_trip(alice: Tenant) -> tuple[Booking, Booking]:
    """Alice's member drives 2-4; a colleague has the same car at 5."""
    set_param(alice, params.MAX_CONCURRENT.key, 5)
    trip = book(alice, 2, 4)
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=trip)
    colleague = f.UserFactory()
    f.MembershipFactory(
        user=colleague, community=alice.community, group=alice.member.memberships.get().group
    )
    f.DriverProfileFactory(user=colleague)
    f.DriverApprovalFactory(organisation=alice.organisation, user=colleague, status="validated")
    following = book(alice, 5, 6, member=colleague)
    return trip, following


def test_a_late_vehicle_alerts_the_manager_and_moves_the_next_booking(alice: Tenant) -> None:
    trip, following = _late_trip(alice)
    spare = twin(alice)
    with clock.frozen(hours(4.1)):
        assert late_return_sweep() == 0  # within the grace period
    with clock.frozen(hours(4.25)):
        assert late_return_sweep() == 1
        # Extended, the trip is not late any more; nothing is done twice.
        assert late_return_sweep() == 0
    with clock.frozen(hours(5)):
        assert late_return_sweep() == 1
    following.refresh_from_db()
    assert following.vehicle == spare
    assert ManagerAlert.objects.filter(booking=trip, kind="late_return").count() == 1
    assert Transfer.objects.filter(booking=following, reason="late_return").count() == 1
    trip.refresh_from_db()
    assert trip.end == hours(5 + 0.5)  # extended twice: the next slot is free


def test_the_look_ahead_window_is_a_parameter(alice: Tenant) -> None:
    _, following = _late_trip(alice)
    twin(alice)
    set_param(alice, params.TRANSFER_LOOKAHEAD.key, 15)
    with clock.frozen(hours(4.25)):
        late_return_sweep()
    following.refresh_from_db()
    assert following.vehicle == alice.vehicle  # 45 minutes away: not yet


def test_a_late_trip_is_not_extended_over_the_next_booking(alice: Tenant) -> None:
    trip, _ = _late_trip(alice)
    set_param(alice, params.TRANSFER_LOOKAHEAD.key, 0)
    set_param(alice, params.LATE_EXTENSION.key, 60)
    with clock.frozen(hours(4.25)):
        late_return_sweep()
    trip.refresh_from_db()
    assert trip.end == hours(4)
    assert registered_tasks()["booking.late_return_sweep"].every is not None


def test_managers_see_and_resolve_alerts_through_the_api(alice: Tenant) -> None:
    book(alice, 2, 4)
    booking_transfer(booking=Booking.objects.get(), reason="out_of_service")
    url = f"organisations/{alice.organisation.pk}/alerts"
    alerts = Api(alice.manager).get(url).json()["items"]
    assert [a["kind"] for a in alerts] == ["transfer_failed"]
    assert Api(alice.member).get(url).status_code == 403
    resolved = Api(alice.manager).post(f"{url}/{alerts[0]['id']}/resolve").json()
    assert resolved["resolved_at"] is not None
    assert Api(alice.manager).get(url).json()["items"] == []


def test_bulk_transfer_through_the_api(alice: Tenant) -> None:
    twin(alice)
    book(alice, 2, 4)
    response = Api(alice.manager).post(f"vehicles/{alice.vehicle.pk}/transfer-bookings", {})
    assert response.status_code == 200
    assert response.json()[0]["reason"] == "out_of_service"
    bad = Api(alice.manager).post(
        f"vehicles/{alice.vehicle.pk}/transfer-bookings", {"reason": "whim"}
    )
    assert bad.status_code == 400
