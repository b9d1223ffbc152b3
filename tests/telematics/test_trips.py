from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.audit import AuditEntry
from flotte.core.errors import Conflict, ValidationFailed
from flotte.fleet.models import Box
from flotte.pricing.services import tariff_create
from flotte.telematics.models import BoxEvent, Command, PrivateModeSwitch, Trip
from flotte.telematics.trips import distance_m, private_mode_set, trip_end
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Api, Tenant
from tests.telematics.messages import STATION, FakeBox, send


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def box(alice: Tenant) -> FakeBox:
    fake = FakeBox(alice.box.box_id)
    send(fake.telemetry(NOW - dt.timedelta(minutes=5)))
    return fake


def unlock(box: FakeBox, booking: Booking, capture: Any, source: str = "badge") -> None:
    with capture(execute=True):
        send(box.event("unlocked", source=source, booking_id=str(booking.pk)))


def started(alice: Tenant, box: FakeBox, capture: Any, **extra: Any) -> Booking:
    booking = book(alice, start=0, end=2, **extra)
    unlock(box, booking, capture)
    booking.refresh_from_db()
    return booking


def test_the_first_unlock_in_the_window_starts_the_trip_with_odometer_and_energy(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    assert booking.state == Booking.State.STARTED
    trip = Trip.objects.get(booking=booking)
    assert (trip.start_odometer_km, trip.start_energy_pct, trip.start_source) == (
        1000.0,
        80.0,
        "badge",
    )
    event = BoxEvent.objects.get(type="unlocked")
    assert event.handled_at is not None and "started" in event.outcome


def test_an_unlock_before_the_early_start_margin_starts_nothing(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = book(alice, start=3, end=5)
    unlock(box, booking, django_capture_on_commit_callbacks)
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED
    assert not Trip.objects.exists()
    assert BoxEvent.objects.get(type="unlocked").outcome == "no booking starts now"


def test_a_second_unlock_during_the_trip_starts_no_other(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    unlock(box, booking, django_capture_on_commit_callbacks)
    assert Trip.objects.count() == 1
    assert BoxEvent.objects.filter(outcome="trip under way").count() == 1


def test_a_vehicle_with_a_box_does_not_start_by_hand(alice: Tenant) -> None:
    booking = book(alice, start=0, end=2)
    with pytest.raises(Conflict, match="unlock"):
        booking_start(actor=alice.member, booking=booking)


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"ignition": True}, "ignition"),
        ({"doors_closed": False}, "doors"),
        ({"key_present": False}, "key"),
        ({"position": (44.80, 5.10)}, "station"),
    ],
)
def test_the_trip_ends_only_back_at_the_station_parked_and_shut(
    alice: Tenant,
    box: FakeBox,
    django_capture_on_commit_callbacks: Any,
    changes: dict[str, Any],
    refused: str,
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    send(box.telemetry(**{"ignition": False, "locked": False, **changes}))
    with pytest.raises(ValidationFailed) as error:
        trip_end(actor=alice.member, booking=booking)
    assert refused in error.value.fields
    # While driving no position is sent: the station cannot be told yet.
    assert set(error.value.fields) - {refused} <= ({"position"} if refused == "ignition" else set())
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED
    assert AuditEntry.objects.filter(action="trip.end_refused").exists()


def test_the_end_waits_for_a_position_taken_during_the_trip_and_asks_for_one(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any, published: Any
) -> None:
    booking = book(alice, start=0, end=2)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        unlock(box, booking, django_capture_on_commit_callbacks)
        booking.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
            trip_end(actor=alice.member, booking=booking)
    assert [c["type"] for c in published.on("commands")] == ["locate"]


def test_a_trip_ends_with_the_km_from_the_odometer_in_the_price_then_locks_and_immobilizes(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any, published: Any
) -> None:
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="2026",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.20"),
    )
    booking = started(alice, box, django_capture_on_commit_callbacks)
    with clock.frozen(hours(1.5)):
        send(box.telemetry(ignition=True, position=(44.9, 5.2), odometer_km=1020.0))
        send(box.telemetry(ignition=False, position=STATION, odometer_km=1042.4, pct=61.0))
        with django_capture_on_commit_callbacks(execute=True):
            ended = trip_end(actor=alice.member, booking=booking)
    assert ended.state == Booking.State.ENDED
    assert ended.actual_km == 42
    # Booked two hours at 4.00 plus 42 km at 0.20.
    assert ended.final_total == Decimal("8.00") + Decimal("8.40")
    trip = Trip.objects.get(booking=booking)
    assert (trip.end_odometer_km, trip.end_energy_pct, trip.km) == (1042.4, 61.0, 42)
    assert [c["type"] for c in published.on("commands")] == ["lock", "immobilize"]
    assert Command.objects.filter(booking=booking, requested_by=None).count() == 2


def test_an_unlock_reported_before_any_reading_takes_the_first_reading_after_it(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    """A box's unlock may land in an earlier batch than its first telemetry:
    the trip then starts without an odometer and takes the first reading."""
    fresh = FakeBox(alice.box.box_id)  # nothing reported yet
    booking = book(alice, start=0, end=2)
    unlock(fresh, booking, django_capture_on_commit_callbacks)
    assert Trip.objects.get(booking=booking).start_odometer_km is None
    send(fresh.telemetry(NOW + dt.timedelta(seconds=2), odometer_km=1000.0, pct=80.0))
    with clock.frozen(hours(1)):
        send(fresh.telemetry(odometer_km=1042.4, pct=61.0))
        with django_capture_on_commit_callbacks(execute=True):
            ended = trip_end(actor=alice.member, booking=booking)
    assert ended.actual_km == 42
    trip = Trip.objects.get(booking=booking)
    assert (trip.start_odometer_km, trip.start_energy_pct) == (1000.0, 80.0)


def test_the_return_radius_is_a_parameter(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    nearby = (STATION[0] + 0.002, STATION[1])  # about 220 m north
    assert 200 < distance_m(*STATION, *nearby) < 250
    with clock.frozen(hours(1)):
        send(box.telemetry(ignition=False, position=nearby))
        with pytest.raises(ValidationFailed):
            trip_end(actor=alice.member, booking=booking)
        set_param(alice, "return_radius_m", 300)
        assert trip_end(actor=alice.member, booking=booking).state == Booking.State.ENDED


def test_a_station_taking_one_way_returns_is_an_allowed_return(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    other = f.StationFactory(
        organisation=alice.organisation,
        latitude=Decimal("44.900000"),
        longitude=Decimal("5.200000"),
        one_way_returns=True,
    )
    booking = started(alice, box, django_capture_on_commit_callbacks)
    with clock.frozen(hours(1)):
        send(box.telemetry(ignition=False, position=(44.9, 5.2)))
        with pytest.raises(ValidationFailed):
            trip_end(actor=alice.member, booking=booking)
        other.communities.add(alice.community)
        assert trip_end(actor=alice.member, booking=booking).state == Booking.State.ENDED


def test_without_any_position_kept_the_station_is_not_checked(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    set_param(alice, "position_policy", "never")
    booking = started(alice, box, django_capture_on_commit_callbacks)
    with clock.frozen(hours(1)):
        send(box.telemetry(ignition=False, position=(45.5, 6.0)))
        assert trip_end(actor=alice.member, booking=booking).state == Booking.State.ENDED
    assert Trip.objects.get(booking=booking).end_latitude is None


def test_the_drivers_badge_during_the_trip_ends_it(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    with clock.frozen(hours(1)), django_capture_on_commit_callbacks(execute=True):
        send(
            box.telemetry(ignition=False, locked=False),
            box.event("badge", badge_uid=alice.badge.uid, booking_id=str(booking.pk)),
        )
    booking.refresh_from_db()
    assert booking.state == Booking.State.ENDED
    assert "ended by badge" in BoxEvent.objects.get(type="badge").outcome


def test_someone_elses_badge_does_not_end_the_trip(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    stranger = f.BadgeFactory(organisation=alice.organisation, user=alice.manager)
    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("badge", badge_uid=stranger.uid, booking_id=str(booking.pk)))
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED
    assert BoxEvent.objects.get(type="badge").outcome == "badge of someone else"


def test_a_refused_badge_end_says_why_in_the_event(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        send(
            box.telemetry(ignition=True, locked=False),
            box.event("badge", badge_uid=alice.badge.uid, booking_id=str(booking.pk)),
        )
    assert "ignition" in BoxEvent.objects.get(type="badge").outcome
    booking.refresh_from_db()
    assert booking.state == Booking.State.STARTED


def test_private_mode_is_for_the_driver_of_a_private_trip_and_keeps_only_switch_times(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any, published: Any
) -> None:
    business = started(alice, box, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationFailed):
        private_mode_set(actor=alice.member, booking=business, on=True)
    Booking.objects.filter(pk=business.pk).update(use=Booking.Use.PRIVATE)
    business.refresh_from_db()
    with pytest.raises(ValidationFailed):
        private_mode_set(actor=alice.manager, booking=business, on=True)
    with django_capture_on_commit_callbacks(execute=True):
        trip = private_mode_set(actor=alice.member, booking=business, on=True)
    assert trip.private_mode
    assert published.on("config")[-1]["send_position"] == "parked_only"
    send(box.telemetry(ignition=True, position=(44.9, 5.2)))
    state = Trip.objects.get(pk=trip.pk).vehicle.state
    assert (state.latitude, state.longitude) == STATION
    private_mode_set(actor=alice.member, booking=business, on=False)
    assert list(PrivateModeSwitch.objects.values_list("on", flat=True)) == [True, False]


def test_tampering_a_crash_and_an_unauthorized_door_alert_the_managers(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    from flotte.booking.models import ManagerAlert

    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("tamper"), box.event("crash"), box.event("door_opened_unauthorized"))
    alerts = ManagerAlert.objects.filter(organisation=alice.organisation, vehicle=alice.vehicle)
    assert sorted(alerts.values_list("kind", flat=True)) == [
        "crash",
        "tamper",
        "unauthorized_door",
    ]


def test_a_release_of_the_immobilizer_outside_any_booking_is_undone_and_alerted(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any, published: Any
) -> None:
    from flotte.booking.models import ManagerAlert

    with django_capture_on_commit_callbacks(execute=True):
        send(box.event("immobilizer_released", source="local"))
    assert [c["type"] for c in published.on("commands")] == ["immobilize"]
    assert ManagerAlert.objects.filter(kind="immobilizer", vehicle=alice.vehicle).exists()


def test_the_api_ends_a_trip_or_says_which_condition_failed(
    alice: Tenant, box: FakeBox, django_capture_on_commit_callbacks: Any
) -> None:
    booking = started(alice, box, django_capture_on_commit_callbacks)
    send(box.telemetry(ignition=True, locked=False))
    refused = Api(alice.member).post(f"bookings/{booking.pk}/end")
    assert refused.status_code == 400
    assert refused.json()["code"] == "end_refused"
    assert "ignition" in refused.json()["fields"]
    send(box.telemetry(ignition=False))
    ended = Api(alice.member).post(f"bookings/{booking.pk}/end")
    assert ended.status_code == 200, ended.content
    assert ended.json()["state"] == "ended"
    trip = Api(alice.member).get(f"bookings/{booking.pk}/trip").json()
    assert trip["km"] == 0 and trip["ended_at"] is not None


def test_a_vehicle_without_a_box_still_ends_with_declared_km(alice: Tenant) -> None:
    Box.objects.update(vehicle=None)
    booking = book(alice, start=0, end=2)
    booking_start(actor=alice.member, booking=booking)
    missing = Api(alice.member).post(f"bookings/{booking.pk}/end")
    assert missing.status_code == 400 and "km" in missing.json()["fields"]
    assert (
        Api(alice.member).post(f"bookings/{booking.pk}/end", {"km": 12}).json()["actual_km"] == 12
    )
