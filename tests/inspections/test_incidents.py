"""Incident reports, their handling by a manager, and the damage excess."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking, ManagerAlert
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.inspections.incidents import (
    incident_acknowledge,
    incident_charge_excess,
    incident_photo_add,
    incident_report,
    incident_resolve,
    incidents_visible_to,
    inspection_charge_excess,
)
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Tenant
from tests.inspections.conftest import boxless_vehicle, photo, submitted
from tests.telematics.test_commands import other_member


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def _trip(alice: Tenant, end: bool = False) -> Booking:
    booking = book(alice, vehicle=boxless_vehicle(alice))
    with clock.frozen(hours(2)):
        booking_start(actor=alice.member, booking=booking)
    if end:
        with clock.frozen(hours(3)):
            booking_end(actor=alice.member, booking=booking, km=10)
    return booking


def _report(alice: Tenant, booking: Booking, kind: str = "damage", **extra: Any) -> Any:
    return incident_report(
        actor=alice.member,
        vehicle=booking.vehicle,
        kind=kind,
        description="Rayure sur la portière",
        **extra,
    )


def test_the_driver_reports_damage_during_the_trip_and_managers_are_alerted(
    alice: Tenant,
) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking, latitude=Decimal("44.7"), longitude=Decimal("5.0"))
    assert (incident.state, incident.booking_id, incident.organisation_id) == (
        "open",
        booking.pk,
        alice.organisation.pk,
    )
    alert = ManagerAlert.objects.get(organisation=alice.organisation, kind="damage")
    assert alert.vehicle_id == booking.vehicle_id and f"incident {incident.pk}" in alert.message


@pytest.mark.parametrize(("kind", "alerts"), [("accident", 1), ("breakdown", 1), ("dirt", 0)])
def test_only_damage_accidents_and_breakdowns_raise_an_alert(
    alice: Tenant, kind: str, alerts: int
) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        _report(alice, booking, kind=kind)
    assert ManagerAlert.objects.filter(organisation=alice.organisation).count() == alerts


def test_a_report_is_possible_a_few_days_after_the_trip_only(alice: Tenant) -> None:
    booking = _trip(alice, end=True)
    with clock.frozen(hours(3) + dt.timedelta(days=6)):
        assert _report(alice, booking, kind="dirt").booking_id == booking.pk
    with (
        clock.frozen(hours(3) + dt.timedelta(days=8)),
        pytest.raises(PermissionDenied),
    ):
        _report(alice, booking, kind="dirt")


def test_a_member_without_a_trip_of_the_vehicle_cannot_report(alice: Tenant) -> None:
    booking = _trip(alice)
    stranger = other_member(alice)
    with clock.frozen(hours(2.5)), pytest.raises(PermissionDenied):
        incident_report(actor=stranger, vehicle=booking.vehicle, kind="damage", description="x")


def test_a_manager_reports_about_any_vehicle_of_the_organisation(alice: Tenant) -> None:
    incident = incident_report(
        actor=alice.manager, vehicle=alice.vehicle, kind="breakdown", description="Batterie"
    )
    assert incident.booking_id is None


def test_a_report_needs_a_known_kind_and_a_description(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        with pytest.raises(ValidationFailed):
            _report(alice, booking, kind="fire")
        with pytest.raises(ValidationFailed):
            incident_report(
                actor=alice.member, vehicle=booking.vehicle, kind="dirt", description=" "
            )


def test_the_reporter_adds_photos(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking)
        incident_photo_add(actor=alice.member, incident=incident, upload=photo())
        with pytest.raises(PermissionDenied):
            incident_photo_add(actor=other_member(alice), incident=incident, upload=photo())
    assert incident.photos.count() == 1


def test_a_manager_acknowledges_then_resolves_and_the_alert_closes(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking)
    with pytest.raises(PermissionDenied):
        incident_acknowledge(actor=alice.member, incident=incident)
    assert incident_acknowledge(actor=alice.manager, incident=incident).state == "acknowledged"
    with pytest.raises(Conflict):
        incident_acknowledge(actor=alice.manager, incident=incident)
    resolved = incident_resolve(actor=alice.manager, incident=incident, resolution="Réparé")
    assert (resolved.state, resolved.resolution) == ("resolved", "Réparé")
    assert ManagerAlert.objects.get(kind="damage").resolved_at is not None
    with pytest.raises(Conflict):
        incident_resolve(actor=alice.manager, incident=incident)


def test_another_organisation_cannot_handle_or_see_the_incident(alice: Tenant, bob: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking)
    with pytest.raises(PermissionDenied):
        incident_resolve(actor=bob.manager, incident=incident)
    assert incident not in incidents_visible_to(bob.manager)
    assert incident in incidents_visible_to(alice.manager)
    assert incident in incidents_visible_to(alice.member)


def test_the_damage_excess_is_charged_once_on_an_exceptional_invoice(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking)
    with pytest.raises(PermissionDenied):
        incident_charge_excess(actor=alice.member, incident=incident, amount=Decimal("300"))
    charged = incident_charge_excess(actor=alice.manager, incident=incident, amount=Decimal("300"))
    invoice = charged.invoice
    assert invoice is not None
    assert invoice.buyer_id == alice.member.pk and invoice.state == "issued"
    line = invoice.lines.get()
    assert (line.kind, invoice.total_incl_vat) == ("damage", Decimal("300.00"))
    with pytest.raises(Conflict):
        incident_charge_excess(actor=alice.manager, incident=incident, amount=Decimal("300"))


def test_new_damage_at_a_check_out_is_charged_once(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        checkout = submitted(booking, "check_out", marks=[{"view": "rear", "x": 0.5, "y": 0.5}])
    charged = inspection_charge_excess(
        actor=alice.manager, inspection=checkout, amount=Decimal("150")
    )
    assert charged.invoice is not None and charged.invoice.lines.get().kind == "damage"
    with pytest.raises(Conflict):
        inspection_charge_excess(actor=alice.manager, inspection=checkout, amount=Decimal("1"))


def test_a_non_positive_excess_is_refused(alice: Tenant) -> None:
    booking = _trip(alice)
    with clock.frozen(hours(2.5)):
        incident = _report(alice, booking)
    with pytest.raises(ValidationFailed):
        incident_charge_excess(actor=alice.manager, incident=incident, amount=Decimal("0"))
    incident.refresh_from_db()
    assert incident.invoice_id is None
