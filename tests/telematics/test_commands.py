"""Commands to the boxes: who may send what, the payload on the wire, and
the retry loop until an answer or the expiry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from flotte.accounts.drivers import member_suspend
from flotte.booking import params as booking_params
from flotte.core import clock
from flotte.core.errors import NotFound, PermissionDenied
from flotte.core.models import AuditEntry
from flotte.fleet.models import Box
from flotte.telematics import params
from flotte.telematics.commands import (
    RETRY_AFTER,
    command_issue,
    command_retry_sweep,
    command_send,
)
from flotte.telematics.ingest import Incoming, ingest_batch
from flotte.telematics.models import Command
from flotte.telematics.protocol import format_ts
from flotte.telematics.publisher import RecordingPublisher, use_publisher
from tests import factories as f
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def at(h: float) -> Any:
    return clock.frozen(hours(h))


def later(seconds: float) -> Any:
    return clock.frozen(NOW + dt.timedelta(seconds=seconds))


def other_member(tenant: Tenant) -> Any:
    member = f.UserFactory()
    f.MembershipFactory(
        user=member, community=tenant.community, group=tenant.member.memberships.get().group
    )
    f.DriverProfileFactory(user=member)
    f.DriverApprovalFactory(organisation=tenant.organisation, user=member, status="validated")
    return member


def commands_sent(published: RecordingPublisher, tenant: Tenant) -> list[dict[str, Any]]:
    topic = f"flotte/v1/boxes/{tenant.box.box_id}/commands"
    return [payload for t, payload, _ in published.sent if t == topic]


def issue_and_send(capture: Any, **kwargs: Any) -> Command:
    with capture(execute=True):
        command = command_issue(**kwargs)
    command.refresh_from_db()
    return command


# Who may send what
def test_a_member_unlocks_the_vehicle_of_their_booking_inside_its_window(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    with at(1.76):  # inside the 15 minutes before the start
        command = command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
    assert command.state == Command.State.QUEUED
    assert (command.kind, command.booking_id, command.requested_by_id) == (
        "unlock",
        booking.pk,
        alice.member.pk,
    )
    assert (command.box_id, command.organisation_id) == (alice.box.pk, alice.organisation.pk)


def test_a_member_locks_the_vehicle_during_the_booking(alice: Tenant) -> None:
    book(alice, 2, 4)
    with at(3.9):
        assert command_issue(actor=alice.member, vehicle=alice.vehicle, kind="lock").kind == "lock"


@pytest.mark.parametrize("when", [1.74, 4.0, 5.0], ids=["too-early", "at-the-end", "after"])
def test_a_member_cannot_unlock_outside_the_booking_window(alice: Tenant, when: float) -> None:
    book(alice, 2, 4)
    with at(when), pytest.raises(PermissionDenied) as error:
        command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
    assert error.value.code == "no_current_booking"
    assert not Command.objects.exists()


def test_the_early_start_parameter_widens_the_member_window(alice: Tenant) -> None:
    set_param(alice, booking_params.EARLY_START.key, 60)
    book(alice, 2, 4)
    with at(1.1):
        command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
    assert Command.objects.count() == 1


def test_a_member_cannot_unlock_another_member_booked_vehicle(alice: Tenant) -> None:
    book(alice, 2, 4)
    with at(2.5), pytest.raises(PermissionDenied):
        command_issue(actor=other_member(alice), vehicle=alice.vehicle, kind="unlock")
    assert not Command.objects.exists()


def test_a_member_cannot_name_someone_else_booking(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    stranger = other_member(alice)
    with at(2.5), pytest.raises(PermissionDenied):
        command_issue(actor=stranger, vehicle=alice.vehicle, kind="unlock", booking=booking)
    assert not Command.objects.exists()


@pytest.mark.parametrize("kind", ["immobilize", "release_immobilizer", "locate", "sync"])
def test_a_member_cannot_send_a_manager_command(alice: Tenant, kind: str) -> None:
    book(alice, 2, 4)
    with at(2.5), pytest.raises(PermissionDenied):
        command_issue(actor=alice.member, vehicle=alice.vehicle, kind=kind)
    assert not Command.objects.exists()


def test_a_manager_immobilizes_a_vehicle_of_the_organisation(alice: Tenant) -> None:
    command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="immobilize")
    assert (command.kind, command.requested_by_id, command.booking_id) == (
        "immobilize",
        alice.manager.pk,
        None,
    )


def test_a_manager_unlocks_without_any_booking(alice: Tenant) -> None:
    assert command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="unlock").kind == "unlock"


@pytest.mark.parametrize("kind", ["unlock", "immobilize"])
def test_another_organisation_manager_cannot_command_the_vehicle(
    alice: Tenant, bob: Tenant, kind: str
) -> None:
    with pytest.raises(PermissionDenied):
        command_issue(actor=bob.manager, vehicle=alice.vehicle, kind=kind)
    assert not Command.objects.exists()


def test_an_unknown_command_is_refused(alice: Tenant) -> None:
    with pytest.raises(NotFound) as error:
        command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="self_destruct")
    assert error.value.code == "unknown_command"
    assert not Command.objects.exists()


def test_a_vehicle_without_a_box_cannot_be_commanded(alice: Tenant) -> None:
    Box.objects.filter(pk=alice.box.pk).update(vehicle=None)
    with pytest.raises(NotFound) as error:
        command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    assert error.value.code == "no_box"


def test_a_suspended_member_cannot_unlock(alice: Tenant) -> None:
    """The access list leaves a suspended driver out (access.py); the app
    must not open the car for them either."""
    book(alice, 2, 4)
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="dégâts"
    )
    with at(2.5), pytest.raises(PermissionDenied):
        command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
    assert not Command.objects.exists()


def test_a_command_is_audited(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    with at(2.5):
        command = command_issue(actor=alice.member, vehicle=alice.vehicle, kind="unlock")
    entry = AuditEntry.objects.get(action="command.unlock")
    assert entry.object_id == str(command.pk)
    assert entry.actor == alice.member
    assert entry.organisation_id == alice.organisation.pk
    assert entry.data == {"vehicle": alice.vehicle.pk, "box": "box-alice", "booking": booking.pk}


def test_a_refused_command_is_not_audited(alice: Tenant, bob: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        command_issue(actor=bob.manager, vehicle=alice.vehicle, kind="immobilize")
    assert not AuditEntry.objects.filter(action__startswith="command.").exists()


# On the wire
def test_the_command_is_sent_after_commit_as_the_protocol_says(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    booking = book(alice, 2, 4)
    with at(2.5):
        command = issue_and_send(
            django_capture_on_commit_callbacks,
            actor=alice.member,
            vehicle=alice.vehicle,
            kind="unlock",
        )
    [(topic, payload, retain)] = [s for s in published.sent if s[0].endswith("/commands")]
    assert topic == "flotte/v1/boxes/box-alice/commands"
    assert retain is False
    assert payload == {
        "command_id": str(command.pk),
        "type": "unlock",
        "issued_at": format_ts(hours(2.5)),
        "expires_at": format_ts(hours(2.5) + dt.timedelta(seconds=120)),
        "booking_id": str(booking.pk),
    }
    json.dumps(payload)  # what goes to the broker is plain JSON
    assert (command.state, command.attempts, command.sent_at) == ("sent", 1, hours(2.5))


def test_a_command_without_booking_has_no_booking_id(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    issue_and_send(
        django_capture_on_commit_callbacks,
        actor=alice.manager,
        vehicle=alice.vehicle,
        kind="immobilize",
    )
    [payload] = commands_sent(published, alice)
    assert set(payload) == {"command_id", "type", "issued_at", "expires_at"}
    assert payload["type"] == "immobilize"


def test_nothing_is_sent_before_the_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    assert commands_sent(published, alice) == []
    command.refresh_from_db()
    assert command.state == Command.State.QUEUED


# Retries and expiry
def test_an_unanswered_command_is_sent_again_with_the_same_id_after_retry_after(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    command = issue_and_send(
        django_capture_on_commit_callbacks, actor=alice.manager, vehicle=alice.vehicle, kind="lock"
    )
    with later(RETRY_AFTER.total_seconds() - 1):
        assert command_retry_sweep() == 0
    with later(RETRY_AFTER.total_seconds() + 1):
        assert command_retry_sweep() == 1
    first, second = commands_sent(published, alice)
    assert second == first
    assert second["command_id"] == str(command.pk)
    command.refresh_from_db()
    assert command.attempts == 2
    assert command.sent_at == NOW + RETRY_AFTER + dt.timedelta(seconds=1)
    assert command.state == Command.State.SENT


def test_an_answered_command_is_not_sent_again(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    command = issue_and_send(
        django_capture_on_commit_callbacks, actor=alice.manager, vehicle=alice.vehicle, kind="lock"
    )
    ack = {"command_id": str(command.pk), "status": "ok", "ts": format_ts(NOW)}
    ingest_batch([Incoming("flotte/v1/boxes/box-alice/acks", json.dumps(ack).encode(), NOW)])
    with later(10):
        assert command_retry_sweep() == 0
        assert command_send(str(command.pk)) == Command.State.ACKED
    assert len(commands_sent(published, alice)) == 1


def test_an_unanswered_command_expires_after_command_expiry(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    command = issue_and_send(
        django_capture_on_commit_callbacks, actor=alice.manager, vehicle=alice.vehicle, kind="lock"
    )
    assert command.expires_at == NOW + dt.timedelta(seconds=120)
    with later(119):
        command_retry_sweep()
    command.refresh_from_db()
    assert command.state == Command.State.SENT
    sent_before = len(commands_sent(published, alice))
    with later(120):
        assert command_retry_sweep() == 0
    command.refresh_from_db()
    assert command.state == Command.State.EXPIRED
    assert command.detail == "no answer from the box"
    assert len(commands_sent(published, alice)) == sent_before


def test_the_command_expiry_parameter_sets_the_expiry(
    alice: Tenant, bob: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    set_param(alice, params.COMMAND_EXPIRY.key, 30)
    command = issue_and_send(
        django_capture_on_commit_callbacks, actor=alice.manager, vehicle=alice.vehicle, kind="lock"
    )
    other = issue_and_send(
        django_capture_on_commit_callbacks, actor=bob.manager, vehicle=bob.vehicle, kind="lock"
    )
    assert command.expires_at == NOW + dt.timedelta(seconds=30)
    with later(31):
        command_retry_sweep()
    command.refresh_from_db()
    other.refresh_from_db()
    assert command.state == Command.State.EXPIRED
    assert other.state == Command.State.SENT


def test_an_expired_command_is_never_sent(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    with later(121):
        assert command_send(str(command.pk)) == Command.State.EXPIRED
    assert commands_sent(published, alice) == []


def test_an_unreachable_broker_leaves_the_command_queued(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    old = use_publisher(RecordingPublisher(reachable=False))
    try:
        command = issue_and_send(
            django_capture_on_commit_callbacks,
            actor=alice.manager,
            vehicle=alice.vehicle,
            kind="lock",
        )
    finally:
        use_publisher(old)
    assert (command.state, command.attempts, command.sent_at) == ("queued", 0, None)
    with later(1):
        assert command_retry_sweep() == 1
    command.refresh_from_db()
    assert (command.state, command.attempts) == ("sent", 1)
    assert [p["command_id"] for p in commands_sent(published, alice)] == [str(command.pk)]


def test_the_sweep_sends_every_organisation_commands(
    alice: Tenant, bob: Tenant, published: RecordingPublisher
) -> None:
    command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    command_issue(actor=bob.manager, vehicle=bob.vehicle, kind="lock")
    assert command_retry_sweep() == 2
    assert len(commands_sent(published, alice)) == 1
    assert len(commands_sent(published, bob)) == 1


def test_the_current_trip_is_the_booking_that_lets_the_member_in_now(
    alice: Tenant, bob: Tenant
) -> None:
    from flotte.booking.lifecycle import booking_mark_started
    from flotte.telematics.commands import current_trip

    first, second = book(alice, 2, 4), book(alice, 6, 8)
    assert current_trip(alice.member, alice.community, hours(1)) is None
    assert current_trip(alice.member, alice.community, hours(1.9)) == first  # early start
    assert current_trip(alice.member, alice.community, hours(6.5)) == second
    assert current_trip(alice.member, bob.community, hours(3)) is None
    booking_mark_started(first, at=hours(2), actor=None)
    assert current_trip(alice.member, alice.community, hours(5)) == first  # running late
