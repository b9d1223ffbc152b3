"""A vehicle in the console: its box and state, commands sent from the
console through the command service, and moving its upcoming bookings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.core.models import AuditEntry
from flotte.fleet.models import Box, Vehicle
from flotte.inspections.models import Incident
from flotte.telematics.models import Command, VehicleState
from flotte.telematics.publisher import RecordingPublisher
from tests import factories as f
from tests.booking.test_services import book, set_param
from tests.booking.test_transfers import twin
from tests.conftest import Tenant
from tests.telematics.test_commands import commands_sent


@pytest.fixture
def manager(alice: Tenant, client: Client) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(alice.manager)
    return client


def url(tenant: Tenant, rest: str = "", vehicle: Any = None) -> str:
    vehicle = vehicle or tenant.vehicle
    return f"/manage/{tenant.organisation.pk}/fleet/vehicles/{vehicle.pk}/{rest}"


def test_the_vehicle_page_shows_its_box_state_and_commands(alice: Tenant, manager: Client) -> None:
    VehicleState.objects.create(
        vehicle=alice.vehicle, organisation=alice.organisation, energy_pct=64, locked=True
    )
    page = manager.get(url(alice))
    assert page.status_code == 200
    assert page.context["box"] == alice.box
    assert page.context["state"]["energy_pct"] == 64
    html = page.content.decode()
    for kind in Command.Kind.values:
        assert f'name="kind" value="{kind}"' in html


def test_the_fleet_page_links_each_vehicle_to_its_page(alice: Tenant, manager: Client) -> None:
    html = manager.get(f"/manage/{alice.organisation.pk}/fleet/").content.decode()
    assert f'href="{url(alice)}"' in html


@pytest.mark.parametrize(
    "kind", ["unlock", "lock", "immobilize", "release_immobilizer", "locate", "sync"]
)
def test_a_manager_sends_every_command_to_the_box(
    alice: Tenant,
    manager: Client,
    kind: str,
    published: RecordingPublisher,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url(alice, "commands/"), {"kind": kind})
    assert response.status_code == 302 and response["Location"] == url(alice)
    command = Command.objects.get()
    assert (command.kind, command.requested_by, command.box) == (kind, alice.manager, alice.box)
    assert [payload["type"] for payload in commands_sent(published, alice)] == [kind]
    assert AuditEntry.objects.get(action=f"command.{kind}").actor == alice.manager
    page = manager.get(url(alice))
    assert list(page.context["commands"]) == [command]


def test_an_unknown_command_is_refused_and_nothing_is_sent(alice: Tenant, manager: Client) -> None:
    page = manager.post(url(alice, "commands/"), {"kind": "self_destruct"})
    assert page.status_code == 400 and page.context["error"]
    assert not Command.objects.exists()


def test_a_vehicle_without_a_box_says_so(alice: Tenant, manager: Client) -> None:
    Box.objects.filter(pk=alice.box.pk).update(vehicle=None)
    page = manager.post(url(alice, "commands/"), {"kind": "locate"})
    assert page.status_code == 400
    assert "no box" in page.context["error"]
    assert not Command.objects.exists()


def test_a_manager_moves_the_upcoming_bookings_of_a_vehicle(alice: Tenant, manager: Client) -> None:
    other = twin(alice)
    set_param(alice, "booking_max_concurrent", 5)
    first, second = book(alice, 2, 4), book(alice, 30, 32)
    assert list(manager.get(url(alice)).context["upcoming"]) == [first, second]
    response = manager.post(url(alice, "transfer/"), {"confirm": "on"})
    assert response.status_code == 302
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.vehicle == other
    assert Transfer.objects.filter(actor=alice.manager).count() == 2


def test_a_booking_that_cannot_move_raises_an_alert(alice: Tenant, manager: Client) -> None:
    booking = book(alice, 2, 4)
    response = manager.post(url(alice, "transfer/"), {"confirm": "on"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.vehicle == alice.vehicle
    assert ManagerAlert.objects.get(booking=booking).kind == "transfer_failed"


def test_the_transfer_needs_its_confirmation(alice: Tenant, manager: Client) -> None:
    twin(alice)
    booking = book(alice, 2, 4)
    page = manager.post(url(alice, "transfer/"), {})
    assert page.status_code == 400
    assert "confirm" in page.context["transfer_form"].errors
    booking.refresh_from_db()
    assert booking.vehicle == alice.vehicle
    assert not Transfer.objects.exists()


def test_another_organisations_vehicle_is_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    booking = book(alice, 2, 4)
    assert client.get(url(alice)).status_code == 404
    # Alice's vehicle through Bob's console
    assert client.get(url(bob, vehicle=alice.vehicle)).status_code == 404
    assert client.post(url(bob, "commands/", alice.vehicle), {"kind": "unlock"}).status_code == 404
    assert client.post(url(bob, "transfer/", alice.vehicle), {"confirm": "on"}).status_code == 404
    assert not Command.objects.exists() and not Transfer.objects.exists()
    booking.refresh_from_db()
    assert booking.vehicle == alice.vehicle


def test_a_member_is_refused_the_vehicle_page_and_its_commands(
    alice: Tenant, client: Client
) -> None:
    client.force_login(alice.member)
    book(alice, 0, 2)  # even during their own booking
    assert client.get(url(alice)).status_code == 403
    assert client.post(url(alice, "commands/"), {"kind": "immobilize"}).status_code == 403
    assert client.post(url(alice, "transfer/"), {"confirm": "on"}).status_code == 403
    assert not Command.objects.exists()
    assert Booking.objects.get().vehicle == alice.vehicle


def test_a_community_manager_cannot_immobilize(alice: Tenant, client: Client) -> None:
    """The command service lets the organisation's managers send any command."""
    user = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=user, community=alice.community, role="manager")
    client.force_login(user)
    page = client.post(url(alice, "commands/"), {"kind": "immobilize"})
    assert page.status_code == 403 and page.context["error"]
    assert not Command.objects.exists()


# Status, new vehicle, edit vehicle


def community_manager(tenant: Tenant, client: Client) -> Client:
    user = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=user, community=tenant.community, role="manager")
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_a_manager_takes_a_vehicle_into_maintenance_and_back(
    alice: Tenant, manager: Client
) -> None:
    page = manager.get(url(alice))
    assert page.context["status_form"].initial == {"status": "available"}
    response = manager.post(url(alice, "status/"), {"status": "maintenance", "note": " brakes "})
    assert response.status_code == 302 and response["Location"] == url(alice)
    alice.vehicle.refresh_from_db()
    assert (alice.vehicle.status, alice.vehicle.status_note) == ("maintenance", "brakes")
    entry = AuditEntry.objects.get(action="vehicle.status_changed")
    assert entry.actor == alice.manager and entry.data["to"] == "maintenance"
    assert manager.get(url(alice)).context["status_form"].initial == {"status": "maintenance"}
    manager.post(url(alice, "status/"), {"status": "available"})
    alice.vehicle.refresh_from_db()
    assert (alice.vehicle.status, alice.vehicle.status_note) == ("available", "")


def test_an_unknown_status_is_refused_on_the_form(alice: Tenant, manager: Client) -> None:
    page = manager.post(url(alice, "status/"), {"status": "scrapped"})
    assert page.status_code == 400 and page.context["status_form"].errors["status"]
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.status == "available"
    assert not AuditEntry.objects.filter(action="vehicle.status_changed").exists()


def test_a_community_manager_cannot_change_the_status(alice: Tenant, client: Client) -> None:
    client = community_manager(alice, client)
    page = client.post(url(alice, "status/"), {"status": "out_of_service"})
    assert page.status_code == 403 and page.context["status_form"].non_field_errors()
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.status == "available"


def vehicle_data(tenant: Tenant, **changes: Any) -> dict[str, Any]:
    data = {
        "plate": "gh 123 ij",
        "make": "Renault",
        "model": "Zoe",
        "category": "city",
        "energy": "electric",
        "seats": "4",
        "range_km": "300",
        "battery_kwh": "52",
        "consumption_per_100km": "17.5",
        "co2_g_km": "0",
        "home_station": str(tenant.station.pk),
        "communities": [str(tenant.community.pk)],
        "accessories": ["child_seat", "charging_cable"],
        "carpool_friendly": "on",
    }
    data.update(changes)
    return data


def new_url(tenant: Tenant) -> str:
    return f"/manage/{tenant.organisation.pk}/fleet/vehicles/new/"


def test_a_manager_adds_a_vehicle(alice: Tenant, manager: Client) -> None:
    assert manager.get(new_url(alice)).status_code == 200
    response = manager.post(new_url(alice), vehicle_data(alice))
    vehicle = Vehicle.objects.get(plate="GH-123-IJ")
    assert response.status_code == 302 and response["Location"] == url(alice, vehicle=vehicle)
    assert (vehicle.organisation, vehicle.home_station) == (alice.organisation, alice.station)
    assert (vehicle.seats, vehicle.range_km, vehicle.energy) == (4, 300, "electric")
    assert list(vehicle.communities.all()) == [alice.community]
    assert sorted(vehicle.accessories) == ["charging_cable", "child_seat"]
    assert vehicle.carpool_friendly
    assert AuditEntry.objects.get(action="vehicle.created").actor == alice.manager


def test_the_fleet_and_vehicle_pages_link_to_the_vehicle_forms(
    alice: Tenant, manager: Client
) -> None:
    fleet_html = manager.get(f"/manage/{alice.organisation.pk}/fleet/").content.decode()
    assert f'href="{new_url(alice)}"' in fleet_html
    assert f'href="{url(alice, "edit/")}"' in manager.get(url(alice)).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seats": "12"}, "seats"),
        ({"range_km": ""}, "range_km"),
        ({"energy": "steam"}, "energy"),
        ({"accessories": ["jacuzzi"]}, "accessories"),
        ({"co2_g_km": "90"}, "co2_g_km"),  # an electric car emits none: the service says so
        ({"vin": "NOT-A-VIN"}, "vin"),
    ],
)
def test_bad_vehicle_input_is_refused_on_its_field(
    alice: Tenant, manager: Client, changes: dict[str, Any], field: str
) -> None:
    page = manager.post(new_url(alice), vehicle_data(alice, **changes))
    assert page.status_code == 400 and page.context["form"].errors[field]
    assert Vehicle.objects.count() == 1


def test_a_plate_already_in_use_is_refused(alice: Tenant, manager: Client) -> None:
    page = manager.post(new_url(alice), vehicle_data(alice, plate=alice.vehicle.plate))
    assert page.status_code in {400, 409} and page.context["form"].errors
    assert Vehicle.objects.count() == 1


def test_another_organisations_station_or_community_is_refused(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    for changes in (
        {"home_station": str(bob.station.pk)},
        {"communities": [str(bob.community.pk)]},
    ):
        page = manager.post(new_url(alice), vehicle_data(alice, **changes))
        assert page.status_code == 400
    assert not Vehicle.objects.filter(plate="GH-123-IJ").exists()


def test_a_manager_edits_a_vehicle(alice: Tenant, manager: Client) -> None:
    other = f.StationFactory(organisation=alice.organisation, name="Gare")
    page = manager.get(url(alice, "edit/"))
    assert page.status_code == 200
    assert page.context["form"].initial["plate"] == alice.vehicle.plate
    data = vehicle_data(alice, plate=alice.vehicle.plate, home_station=str(other.pk))
    response = manager.post(url(alice, "edit/"), data)
    assert response.status_code == 302 and response["Location"] == url(alice)
    alice.vehicle.refresh_from_db()
    assert (alice.vehicle.make, alice.vehicle.home_station) == ("Renault", other)
    assert AuditEntry.objects.get(action="vehicle.updated").actor == alice.manager


def test_a_bad_edit_changes_nothing(alice: Tenant, manager: Client) -> None:
    before = (alice.vehicle.make, alice.vehicle.co2_g_km)
    page = manager.post(url(alice, "edit/"), vehicle_data(alice, make="Tesla", co2_g_km="90"))
    assert page.status_code == 400 and page.context["form"].errors["co2_g_km"]
    alice.vehicle.refresh_from_db()
    assert (alice.vehicle.make, alice.vehicle.co2_g_km) == before


def test_a_community_manager_cannot_add_or_edit_a_vehicle(alice: Tenant, client: Client) -> None:
    client = community_manager(alice, client)
    page = client.post(new_url(alice), vehicle_data(alice))
    assert page.status_code == 403 and page.context["form"].non_field_errors()
    page = client.post(url(alice, "edit/"), vehicle_data(alice, make="Tesla"))
    assert page.status_code == 403
    assert Vehicle.objects.count() == 1
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.make != "Tesla"


def test_the_vehicle_forms_of_another_organisation_are_not_found(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    assert client.get(url(bob, "edit/", alice.vehicle)).status_code == 404
    assert client.post(url(bob, "edit/", alice.vehicle), vehicle_data(bob)).status_code == 404
    assert (
        client.post(url(bob, "status/", alice.vehicle), {"status": "maintenance"}).status_code
        == 404
    )
    assert client.get(new_url(alice)).status_code == 404
    assert client.post(new_url(alice), vehicle_data(alice)).status_code == 404
    alice.vehicle.refresh_from_db()
    assert alice.vehicle.status == "available" and Vehicle.objects.count() == 2


def test_a_member_is_refused_the_vehicle_forms(alice: Tenant, client: Client) -> None:
    client.force_login(alice.member)
    assert client.get(new_url(alice)).status_code == 403
    assert client.post(new_url(alice), vehicle_data(alice)).status_code == 403
    assert client.get(url(alice, "edit/")).status_code == 403
    assert client.post(url(alice, "status/"), {"status": "maintenance"}).status_code == 403
    assert Vehicle.objects.count() == 1


# Fitting and taking out a box


def test_a_manager_takes_the_box_out_and_fits_another(alice: Tenant, manager: Client) -> None:
    spare = f.BoxFactory(organisation=alice.organisation, box_id="spare-1")
    page = manager.get(url(alice))
    assert list(page.context["box_form"].fields["box"].queryset) == [spare]
    response = manager.post(url(alice, "box/fit/"), {"box": spare.pk})
    assert response.status_code == 302 and response["Location"] == url(alice)
    spare.refresh_from_db()
    alice.box.refresh_from_db()
    assert (spare.vehicle, alice.box.vehicle) == (alice.vehicle, None)
    assert AuditEntry.objects.filter(action="box.fitted").get().actor == alice.manager
    response = manager.post(url(alice, "box/remove/"))
    assert response.status_code == 302
    spare.refresh_from_db()
    assert spare.vehicle is None and not Box.objects.filter(vehicle=alice.vehicle).exists()
    page = manager.get(url(alice))
    assert page.context["box"] is None
    assert set(page.context["box_form"].fields["box"].queryset) == {spare, alice.box}


def test_a_box_fitted_elsewhere_or_of_another_organisation_cannot_be_fitted(
    alice: Tenant, bob: Tenant, manager: Client
) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    for box in (alice.box, bob.box):
        page = manager.post(url(alice, "box/fit/", other), {"box": box.pk})
        assert page.status_code == 400 and page.context["box_form"].errors["box"]
    alice.box.refresh_from_db()
    bob.box.refresh_from_db()
    assert (alice.box.vehicle, bob.box.vehicle) == (alice.vehicle, bob.vehicle)


def test_taking_out_a_box_that_is_not_there_is_refused(alice: Tenant, manager: Client) -> None:
    other = f.VehicleFactory(organisation=alice.organisation, home_station=alice.station)
    page = manager.post(url(alice, "box/remove/", other))
    assert page.status_code == 400 and page.context["error"]
    alice.box.refresh_from_db()
    assert alice.box.vehicle == alice.vehicle


def test_a_community_manager_cannot_fit_or_take_out_a_box(alice: Tenant, client: Client) -> None:
    spare = f.BoxFactory(organisation=alice.organisation)
    client = community_manager(alice, client)
    page = client.post(url(alice, "box/fit/"), {"box": spare.pk})
    assert page.status_code == 403 and page.context["box_form"].non_field_errors()
    assert client.post(url(alice, "box/remove/")).status_code == 403
    spare.refresh_from_db()
    alice.box.refresh_from_db()
    assert (spare.vehicle, alice.box.vehicle) == (None, alice.vehicle)


def test_the_box_forms_of_another_organisation_are_refused(
    alice: Tenant, bob: Tenant, client: Client
) -> None:
    client.force_login(bob.manager)
    spare = f.BoxFactory(organisation=bob.organisation)
    assert client.post(url(bob, "box/fit/", alice.vehicle), {"box": spare.pk}).status_code == 404
    assert client.post(url(bob, "box/remove/", alice.vehicle)).status_code == 404
    client.force_login(alice.member)
    assert client.post(url(alice, "box/remove/")).status_code == 403
    alice.box.refresh_from_db()
    spare.refresh_from_db()
    assert (alice.box.vehicle, spare.vehicle) == (alice.vehicle, None)


# -- a manager's own incident report -------------------------------------------


def test_a_manager_reports_an_incident_found_on_the_vehicle(alice: Tenant, manager: Client) -> None:
    response = manager.post(
        url(alice, "incidents/new/"),
        {"kind": "damage", "description": "Rétroviseur gauche cassé, vu au parking"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manage/{alice.organisation.pk}/incidents/{incident.pk}/"
    assert (incident.reporter, incident.vehicle, incident.booking) == (
        alice.manager,
        alice.vehicle,
        None,
    )
    assert ManagerAlert.objects.filter(kind="damage").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "fire", "description": "x"}, "kind"),
        ({"kind": "damage", "description": "   "}, "description"),
    ],
)
def test_a_bad_incident_report_is_refused_on_its_field(
    alice: Tenant, manager: Client, data: dict[str, str], field: str
) -> None:
    page = manager.post(url(alice, "incidents/new/"), data)
    assert page.status_code == 400
    assert field in page.context["incident_form"].errors
    assert not Incident.objects.exists()
