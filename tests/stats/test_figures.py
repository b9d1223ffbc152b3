from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking.models import Booking, Transfer
from flotte.stats.carpool import SharedRide
from flotte.stats.figures import period_figures
from flotte.telematics.models import Trip
from tests import factories as f
from tests.conftest import Tenant
from tests.stats.conftest import END, START, T0, make_booking, make_invoice


def totals(tenant: Tenant) -> dict[str, Any]:
    return period_figures(tenant.organisation, START, END, "organisation")[0]


def test_bookings_hours_km_and_trips_of_the_period(alice: Tenant) -> None:
    make_booking(alice, hours=2, km=30)
    make_booking(alice, start=T0 + dt.timedelta(days=1), hours=3, km=10, driven_hours=2.5)
    row = totals(alice)
    assert (row["bookings"], row["trips"], row["km"]) == (2, 2, 40)
    assert row["hours_booked"] == 5
    assert row["hours_driven"] == 4.5


def test_a_booking_outside_the_period_is_not_counted(alice: Tenant) -> None:
    make_booking(alice, start=END + dt.timedelta(hours=1))
    make_booking(alice, start=START - dt.timedelta(hours=5))
    assert totals(alice)["bookings"] == 0


def test_cancelled_bookings_are_counted_apart(alice: Tenant) -> None:
    make_booking(alice, state=Booking.State.CANCELLED)
    row = totals(alice)
    assert (row["bookings"], row["cancelled"], row["hours_booked"]) == (0, 1, 0)


def test_occupancy_is_booked_hours_over_vehicle_hours(alice: Tenant) -> None:
    make_booking(alice, hours=31 * 24 / 4)  # a quarter of March for the only vehicle
    row = totals(alice)
    assert row["available_hours"] == 31 * 24
    assert row["occupancy_booked_pct"] == 25.0


def test_no_shows_are_booked_but_not_driven(alice: Tenant) -> None:
    make_booking(alice, state=Booking.State.NO_SHOW)
    row = totals(alice)
    assert (row["no_shows"], row["bookings"], row["trips"], row["hours_driven"]) == (1, 1, 0, 0)


def test_a_return_after_the_booked_end_is_late(alice: Tenant) -> None:
    make_booking(alice, late_minutes=20)
    make_booking(alice, start=T0 + dt.timedelta(days=1))
    assert totals(alice)["late_returns"] == 1


def test_active_members_are_counted_once(alice: Tenant) -> None:
    make_booking(alice)
    make_booking(alice, start=T0 + dt.timedelta(days=1))
    other = f.UserFactory()
    f.MembershipFactory(user=other, community=alice.community)
    make_booking(alice, start=T0 + dt.timedelta(days=2), member=other)
    assert totals(alice)["active_members"] == 2


def test_revenue_is_issued_invoices_less_credit_notes(alice: Tenant) -> None:
    booking = make_booking(alice)
    invoice = make_invoice(alice, "40.00", booking=booking)
    make_invoice(alice, "15.50", credits=invoice)
    make_invoice(alice, "99.00", issued_at=END + dt.timedelta(days=1))
    assert totals(alice)["revenue"] == "24.50"


def test_energy_of_an_electric_vehicle_is_measured_by_its_box(alice: Tenant) -> None:
    alice.vehicle.battery_kwh = Decimal("50")
    alice.vehicle.save()
    booking = make_booking(alice, km=100)
    Trip.objects.create(
        booking=booking,
        organisation=alice.organisation,
        vehicle=alice.vehicle,
        started_at=T0,
        start_energy_pct=80,
        end_energy_pct=50,
    )
    assert totals(alice)["energy_kwh"] == 15.0


def test_energy_without_a_measure_is_estimated_from_the_km(alice: Tenant) -> None:
    make_booking(alice, km=100)  # 17.2 kWh/100 km
    assert totals(alice)["energy_kwh"] == 17.2


def test_fuel_is_counted_in_litres(alice: Tenant) -> None:
    petrol = f.VehicleFactory(
        organisation=alice.organisation,
        home_station=alice.station,
        energy="petrol",
        consumption_per_100km=Decimal("6"),
    )
    make_booking(alice, vehicle=petrol, km=200)
    row = totals(alice)
    assert (row["fuel_litres"], row["energy_kwh"]) == (12.0, 0)


def test_transfers_of_the_period(alice: Tenant) -> None:
    booking = make_booking(alice)
    Transfer.objects.create(
        organisation=alice.organisation,
        booking=booking,
        from_vehicle=alice.vehicle,
        reason=Transfer.Reason.MANUAL,
        created_at=T0,
    )
    assert totals(alice)["transfers"] == 1


def test_carpool_figures_are_zero_until_the_carpool_app_feeds_them(
    alice: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = make_booking(alice)
    assert totals(alice)["carpool_passengers"] == 0
    # Restored after the test: the carpool app registers its own source.
    monkeypatch.setattr(
        "flotte.stats.carpool._source", lambda org, start, end: {booking.pk: SharedRide(2, 60.0)}
    )
    row = totals(alice)
    assert (row["carpool_passengers"], row["carpool_passenger_km"]) == (2, 60.0)


def test_every_station_has_a_row_even_without_bookings(alice: Tenant) -> None:
    empty = f.StationFactory(organisation=alice.organisation)
    rows = period_figures(alice.organisation, START, END, "station")
    assert {r["key"] for r in rows} == {alice.station.pk, empty.pk}


def test_group_rows_follow_the_members_group_in_the_community(alice: Tenant) -> None:
    make_booking(alice)
    rows = period_figures(alice.organisation, START, END, "group")
    (row,) = [r for r in rows if r["bookings"]]
    assert row["label"] == "Agents"
    assert row["occupancy_booked_pct"] is None


def test_another_organisations_bookings_are_not_counted(alice: Tenant, bob: Tenant) -> None:
    make_booking(bob)
    make_invoice(bob, "10.00")
    row = totals(alice)
    assert (row["bookings"], row["revenue"]) == (0, "0.00")


def test_an_unknown_dimension_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValueError, match="dimension"):
        period_figures(alice.organisation, START, END, "planet")
