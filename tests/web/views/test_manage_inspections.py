"""Inspections and incidents in the console: the lists and their filters,
an inspection with its photos and marks, the damage history, handling an
incident, and the damage excess."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from flotte.billing.models import Invoice
from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.models import AuditEntry
from flotte.inspections.incidents import incident_report
from flotte.inspections.models import Incident, Inspection
from tests import factories as f
from tests.booking.test_services import book, hours
from tests.conftest import Tenant
from tests.inspections.conftest import MARK, boxless_vehicle, submitted

SCRATCH = {"view": "top", "x": 0.5, "y": 0.2, "kind": "scratch", "note": "capot"}


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(alice.manager)
    return client


def trip(tenant: Tenant) -> Booking:
    """A trip under way, on a vehicle opened by hand (no box)."""
    booking = book(tenant, vehicle=boxless_vehicle(tenant))
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    return booking


def inspected(tenant: Tenant) -> tuple[Inspection, Inspection]:
    """A clean check-in, then a check-out with a new scratch on the bonnet
    and the old one on the left door."""
    booking = book(tenant, vehicle=boxless_vehicle(tenant))
    check_in = submitted(booking, "check_in", marks=[MARK])
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(hours(2.5)):
        check_out = submitted(booking, "check_out", marks=[MARK, SCRATCH])
    return check_in, check_out


def reported(tenant: Tenant, kind: str = "damage") -> Incident:
    booking = trip(tenant)
    with clock.frozen(hours(2.5)):
        return incident_report(
            actor=tenant.member, vehicle=booking.vehicle, kind=kind, description="Rétroviseur cassé"
        )


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/manage/{tenant.organisation.pk}/{rest}"


# Inspections


def test_the_list_shows_the_inspections_and_filters_them(alice: Tenant, manager: Client) -> None:
    check_in, check_out = inspected(alice)
    other = boxless_vehicle(alice)
    page = manager.get(url(alice, "inspections/"))
    assert page.status_code == 200
    assert list(page.context["page"]) == [check_out, check_in]
    filtered = manager.get(url(alice, "inspections/"), {"kind": "check_out"})
    assert list(filtered.context["page"]) == [check_out]
    by_vehicle = manager.get(url(alice, "inspections/"), {"vehicle": other.pk})
    assert list(by_vehicle.context["page"]) == []


def test_the_list_filters_on_damage_marks(alice: Tenant, manager: Client) -> None:
    check_in, check_out = inspected(alice)
    clean = submitted(trip(alice), "check_out")
    with_damage = manager.get(url(alice, "inspections/"), {"damage": "yes"})
    assert set(with_damage.context["page"]) == {check_in, check_out}
    without = manager.get(url(alice, "inspections/"), {"damage": "no"})
    assert list(without.context["page"]) == [clean]


def test_a_bad_filter_is_a_form_error_not_a_crash(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    inspected(alice)
    for query in ({"kind": "sideways"}, {"vehicle": "abc"}, {"vehicle": bob.vehicle.pk}):
        page = manager.get(url(alice, "inspections/"), query)
        assert page.status_code == 400
        assert page.context["form"].errors
        assert list(page.context["page"]) == []


def test_an_inspection_shows_its_photos_and_marks_on_the_outline(
    alice: Tenant, manager: Client
) -> None:
    _check_in, check_out = inspected(alice)
    page = manager.get(url(alice, f"inspections/{check_out.pk}/"))
    assert page.status_code == 200
    marks = page.context["marks"]
    assert [(m["number"], m["new"], m["on_outline"]) for m in marks] == [
        (1, False, False),
        (2, True, True),
    ]
    assert (marks[1]["cx"], marks[1]["cy"]) == (100.0, 80.0)
    assert page.context["new_marks"] == 1
    html = page.content.decode()
    assert 'id="car-outline"' in html and 'cx="100.0" cy="80.0"' in html
    photo = check_out.photos.first()
    assert photo is not None
    photo_url = url(alice, f"inspections/{check_out.pk}/photos/{photo.pk}/")
    assert f'src="{photo_url}"' in html
    response = manager.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # type: ignore[attr-defined]


def test_a_photo_of_another_inspection_is_not_found(alice: Tenant, manager: Client) -> None:
    check_in, check_out = inspected(alice)
    photo = check_in.photos.first()
    assert photo is not None
    assert (
        manager.get(url(alice, f"inspections/{check_out.pk}/photos/{photo.pk}/")).status_code == 404
    )


def test_the_damage_history_of_a_vehicle(alice: Tenant, manager: Client) -> None:
    check_in, check_out = inspected(alice)
    with clock.frozen(hours(3)):
        incident = incident_report(
            actor=alice.manager, vehicle=check_in.vehicle, kind="accident", description="Choc"
        )
    page = manager.get(url(alice, f"fleet/vehicles/{check_in.vehicle_id}/damage/"))
    assert page.status_code == 200
    entries = page.context["entries"]
    assert [(e["source"], e["id"]) for e in entries] == [
        ("incident", incident.pk),
        ("inspection", check_out.pk),
        ("inspection", check_in.pk),
    ]
    assert [m["new"] for m in entries[1]["rows"]] == [False, True]
    assert entries[0]["state_label"] == "open"


def test_a_manager_charges_the_damage_excess_of_a_check_out(alice: Tenant, manager: Client) -> None:
    _check_in, check_out = inspected(alice)
    response = manager.post(
        url(alice, f"inspections/{check_out.pk}/charge/"), {"amount": "150.00", "label": ""}
    )
    assert response.status_code == 302
    check_out.refresh_from_db()
    invoice = check_out.invoice
    assert invoice is not None and invoice.buyer == alice.member
    assert (invoice.state, invoice.total_incl_vat) == ("issued", Decimal("150.00"))
    assert AuditEntry.objects.filter(action="inspection.excess_charged").count() == 1
    page = manager.get(url(alice, f"inspections/{check_out.pk}/"))
    assert page.context["chargeable"] is False
    assert url(alice, f"invoices/{invoice.pk}/") in page.content.decode()
    again = manager.post(url(alice, f"inspections/{check_out.pk}/charge/"), {"amount": "10"})
    assert again.status_code == 400
    assert again.context["excess_form"].non_field_errors()
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize("amount", ["", "0", "-5", "abc", "12.345"])
def test_a_bad_excess_shows_on_the_form_and_charges_nothing(
    alice: Tenant, manager: Client, amount: str
) -> None:
    _check_in, check_out = inspected(alice)
    page = manager.post(url(alice, f"inspections/{check_out.pk}/charge/"), {"amount": amount})
    assert page.status_code == 400
    assert "amount" in page.context["excess_form"].errors
    assert not Invoice.objects.exists()


def test_a_check_in_cannot_be_charged(alice: Tenant, manager: Client) -> None:
    check_in, _check_out = inspected(alice)
    page = manager.post(url(alice, f"inspections/{check_in.pk}/charge/"), {"amount": "100"})
    assert page.status_code == 400
    assert page.context["excess_form"].non_field_errors()
    assert not Invoice.objects.exists()


def test_another_organisations_inspections_are_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    _check_in, check_out = inspected(alice)
    photo = check_out.photos.first()
    assert photo is not None
    client.force_login(bob.manager)
    for base in (url(alice), url(bob)):
        assert client.get(f"{base}inspections/{check_out.pk}/").status_code == 404
        assert client.get(f"{base}inspections/{check_out.pk}/photos/{photo.pk}/").status_code == 404
        charge = client.post(f"{base}inspections/{check_out.pk}/charge/", {"amount": "100"})
        assert charge.status_code == 404
        assert client.get(f"{base}fleet/vehicles/{check_out.vehicle_id}/damage/").status_code == 404
    assert list(client.get(url(bob, "inspections/")).context["page"]) == []
    assert not Invoice.objects.exists()


def test_a_member_is_refused_the_inspections(alice: Tenant, client: Client) -> None:
    _check_in, check_out = inspected(alice)
    photo = check_out.photos.first()
    assert photo is not None
    client.force_login(alice.member)  # the inspection's own driver
    assert client.get(url(alice, "inspections/")).status_code == 403
    assert client.get(url(alice, f"inspections/{check_out.pk}/")).status_code == 403
    assert (
        client.get(url(alice, f"inspections/{check_out.pk}/photos/{photo.pk}/")).status_code == 403
    )
    charge = client.post(url(alice, f"inspections/{check_out.pk}/charge/"), {"amount": "1"})
    assert charge.status_code == 403
    assert not Invoice.objects.exists()


# Incidents


def test_the_incident_list_filters_by_state_and_kind(alice: Tenant, manager: Client) -> None:
    damage = reported(alice)
    dirt = reported(alice, "dirt")
    page = manager.get(url(alice, "incidents/"))
    assert page.status_code == 200
    assert set(page.context["page"]) == {damage, dirt}
    assert list(manager.get(url(alice, "incidents/"), {"kind": "dirt"}).context["page"]) == [dirt]
    resolved = manager.get(url(alice, "incidents/"), {"state": "resolved"})
    assert list(resolved.context["page"]) == []
    assert manager.get(url(alice, "incidents/"), {"state": "lost"}).status_code == 400


def test_a_manager_acknowledges_then_resolves_an_incident(alice: Tenant, manager: Client) -> None:
    incident = reported(alice)
    assert manager.get(url(alice, f"incidents/{incident.pk}/")).status_code == 200
    assert manager.post(url(alice, f"incidents/{incident.pk}/acknowledge/")).status_code == 302
    incident.refresh_from_db()
    assert (incident.state, incident.handled_by) == ("acknowledged", alice.manager)
    again = manager.post(url(alice, f"incidents/{incident.pk}/acknowledge/"))
    assert again.status_code == 400 and again.context["error"]
    response = manager.post(
        url(alice, f"incidents/{incident.pk}/resolve/"), {"resolution": "Rétroviseur changé"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.state, incident.resolution) == ("resolved", "Rétroviseur changé")
    assert AuditEntry.objects.filter(action__startswith="incident.").count() == 3


def test_resolving_a_resolved_incident_shows_why_not(alice: Tenant, manager: Client) -> None:
    incident = reported(alice)
    manager.post(url(alice, f"incidents/{incident.pk}/resolve/"), {"resolution": "fait"})
    page = manager.post(url(alice, f"incidents/{incident.pk}/resolve/"), {"resolution": "encore"})
    assert page.status_code == 400
    assert page.context["resolve_form"].non_field_errors()
    incident.refresh_from_db()
    assert incident.resolution == "fait"


def test_a_manager_charges_an_incidents_excess_once(alice: Tenant, manager: Client) -> None:
    incident = reported(alice)
    response = manager.post(url(alice, f"incidents/{incident.pk}/charge/"), {"amount": "300"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.invoice is not None and incident.invoice.buyer == alice.member
    again = manager.post(url(alice, f"incidents/{incident.pk}/charge/"), {"amount": "300"})
    assert again.status_code == 400
    assert Invoice.objects.count() == 1


def test_an_incident_with_no_driver_cannot_be_charged(alice: Tenant, manager: Client) -> None:
    incident = incident_report(
        actor=alice.manager, vehicle=alice.vehicle, kind="damage", description="Trouvé rayé"
    )
    page = manager.get(url(alice, f"incidents/{incident.pk}/"))
    assert page.context["chargeable"] is False
    refused = manager.post(url(alice, f"incidents/{incident.pk}/charge/"), {"amount": "50"})
    assert refused.status_code == 400
    assert not Invoice.objects.exists()


def test_another_organisations_incidents_are_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    incident = reported(alice)
    client.force_login(bob.manager)
    for base in (url(alice), url(bob)):
        assert client.get(f"{base}incidents/{incident.pk}/").status_code == 404
        assert client.post(f"{base}incidents/{incident.pk}/acknowledge/").status_code == 404
        assert client.post(f"{base}incidents/{incident.pk}/resolve/").status_code == 404
        charge = client.post(f"{base}incidents/{incident.pk}/charge/", {"amount": "9"})
        assert charge.status_code == 404
    assert list(client.get(url(bob, "incidents/")).context["page"]) == []
    incident.refresh_from_db()
    assert (incident.state, incident.invoice) == ("open", None)


def test_a_member_is_refused_the_incidents(alice: Tenant, client: Client) -> None:
    incident = reported(alice)
    client.force_login(alice.member)  # its reporter
    assert client.get(url(alice, "incidents/")).status_code == 403
    assert client.get(url(alice, f"incidents/{incident.pk}/")).status_code == 403
    assert client.post(url(alice, f"incidents/{incident.pk}/resolve/")).status_code == 403
    incident.refresh_from_db()
    assert incident.state == "open"


def test_a_community_manager_sees_the_incidents_but_cannot_charge(
    alice: Tenant, client: Client
) -> None:
    incident = reported(alice)
    user = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=user, community=alice.community, role="manager")
    client.force_login(user)
    assert client.get(url(alice, f"incidents/{incident.pk}/")).status_code == 200
    refused = client.post(url(alice, f"incidents/{incident.pk}/charge/"), {"amount": "300"})
    assert refused.status_code == 403
    assert not Invoice.objects.exists()


def test_the_console_pages_are_in_the_navigation(alice: Tenant, manager: Client) -> None:
    html = manager.get(url(alice)).content.decode()
    for rest in ("groups/", "inspections/", "incidents/"):
        assert f'href="{url(alice, rest)}"' in html
