"""Managers are told of every incident reported on their fleet: by e-mail
whatever they chose (the event is mandatory for them), the reporter never
about their own report, another organisation's managers never."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from flotte.booking.lifecycle import booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import ValidationFailed
from flotte.fleet.models import Box
from flotte.inspections.incidents import incident_report
from flotte.notify import context as values
from flotte.notify.events import EVENTS
from flotte.notify.models import NotificationPreference
from flotte.notify.preferences import preferences_of, preferences_set
from tests import factories as f
from tests.booking.test_services import book, hours
from tests.conftest import Tenant
from tests.notify.conftest import emails_to, rows


@pytest.fixture(autouse=True)
def _vehicles_without_box(alice: Tenant) -> None:
    """Trips here start by hand."""
    Box.objects.update(vehicle=None)


def _trip(tenant: Tenant) -> Booking:
    booking = book(tenant, 2, 4)
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    return booking


def _report(tenant: Tenant, booking: Booking, kind: str = "damage", **extra: Any) -> Any:
    with clock.frozen(hours(2.5)):
        return incident_report(
            actor=extra.pop("actor", tenant.member),
            vehicle=booking.vehicle,
            kind=kind,
            description="Rayure sur la portière avant droite",
            **extra,
        )


def test_damage_reported_by_a_driver_is_told_to_the_organisations_managers(
    alice: Tenant, delivered: Any
) -> None:
    booking = _trip(alice)
    with delivered():
        incident = _report(alice, booking)
    [row] = rows(alice.manager, "incident_reported")
    assert set(EVENTS["incident_reported"].sample) <= set(row.context)
    assert row.state == "sent", row.error
    assert row.key == f"incident:{incident.pk}"
    context = values.decode(row.context)
    assert context["booking_id"] == booking.pk and context["kind"] == "damage"
    [message] = emails_to(alice.manager)
    assert alice.vehicle.plate in message.subject
    assert "Rayure sur la portière avant droite" in message.body
    assert f"/manage/{alice.organisation.pk}/incidents/{incident.pk}/" in message.body
    assert rows(alice.member, "incident_reported") == []


def test_the_managers_read_it_in_their_language(alice: Tenant, delivered: Any) -> None:
    alice.manager.language = "en"
    alice.manager.save()
    booking = _trip(alice)
    with delivered():
        _report(alice, booking, kind="breakdown")
    [message] = emails_to(alice.manager)
    assert message.subject.startswith("Incident reported: breakdown")
    assert "Handle it from the manager console" in message.body


def test_a_manager_who_turned_email_off_still_gets_it(alice: Tenant, delivered: Any) -> None:
    NotificationPreference.objects.create(
        user=alice.manager, event="incident_reported", email=False, updated_at=clock.now()
    )
    booking = _trip(alice)
    with delivered():
        _report(alice, booking, kind="accident")
    assert [row.channel for row in rows(alice.manager, "incident_reported")] == ["email"]


def test_every_kind_of_incident_is_told_not_only_those_raising_an_alert(
    alice: Tenant, delivered: Any
) -> None:
    booking = _trip(alice)
    with delivered():
        _report(alice, booking, kind="dirt")
    [message] = emails_to(alice.manager)
    assert "saleté" in message.subject.lower()


def test_the_community_managers_are_told_too_and_another_organisation_never(
    alice: Tenant, bob: Tenant, delivered: Any
) -> None:
    community_manager = f.UserFactory(email="community-manager@example.org")
    f.MembershipFactory(user=community_manager, community=alice.community, role="manager")
    booking = _trip(alice)
    with delivered():
        _report(alice, booking)
    assert len(rows(community_manager, "incident_reported")) == 1
    assert rows(bob.manager) == []
    assert emails_to(bob.manager) == []


def test_a_manager_reporting_is_not_told_of_their_own_report(alice: Tenant, delivered: Any) -> None:
    colleague = f.UserFactory(email="colleague@example.org")
    f.OrganisationManagerFactory(user=colleague, organisation=alice.organisation)
    booking = _trip(alice)
    with delivered():
        _report(alice, booking, actor=alice.manager)
    assert rows(alice.manager, "incident_reported") == []
    [row] = rows(colleague, "incident_reported")
    assert row.context["reporter"] == (alice.manager.full_name or alice.manager.email)


def test_nothing_is_told_of_a_report_that_rolls_back(alice: Tenant, delivered: Any) -> None:
    booking = _trip(alice)
    with delivered():
        try:
            with transaction.atomic():
                _report(alice, booking)
                raise RuntimeError("the request failed after the report")
        except RuntimeError:
            pass
    assert rows(alice.manager) == [] and emails_to(alice.manager) == []


def test_a_refused_report_tells_no_one(alice: Tenant, delivered: Any) -> None:
    booking = _trip(alice)
    with delivered(), pytest.raises(Exception, match="kind"):
        _report(alice, booking, kind="meteor")
    assert rows(alice.manager) == []


def test_only_managers_see_the_managers_event_among_their_choices(alice: Tenant) -> None:
    member_events = [choice.event for choice in preferences_of(alice.member).events]
    assert "incident_reported" not in member_events
    [choice] = [c for c in preferences_of(alice.manager).events if c.event == "incident_reported"]
    assert choice.mandatory is True and choice.email is True


def test_a_member_cannot_choose_channels_for_the_managers_event(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as refused:
        preferences_set(user=alice.member, events=[{"event": "incident_reported", "push": True}])
    assert refused.value.code == "managers_event"
    assert not NotificationPreference.objects.filter(user=alice.member).exists()
    chosen = preferences_set(
        user=alice.manager, events=[{"event": "incident_reported", "email": True, "push": False}]
    )
    [choice] = [c for c in chosen.events if c.event == "incident_reported"]
    assert (choice.email, choice.push) == (True, False)
