"""A vehicle in the console: its box and state, commands sent from the
console through the command service, and moving its upcoming bookings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from flotte.booking.models import Booking, ManagerAlert, Transfer
from flotte.core.models import AuditEntry
from flotte.fleet.models import Box
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
