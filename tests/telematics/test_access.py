"""The retained access list and config each box keeps for offline access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flotte.accounts.drivers import member_suspend, suspension_lift
from flotte.accounts.models import Suspension
from flotte.booking import params as booking_params
from flotte.booking.models import Booking
from flotte.booking.services import booking_cancel
from flotte.core import clock
from flotte.fleet.models import Badge, Box
from flotte.fleet.services import badge_deactivate, badge_issue
from flotte.telematics import keys, params
from flotte.telematics.access import (
    access_entries,
    access_list_refresh,
    access_sweep,
    box_config_refresh,
)
from flotte.telematics.protocol import format_ts
from flotte.telematics.publisher import RecordingPublisher, use_publisher
from tests.booking.test_services import NOW, book, hours, set_param
from tests.conftest import Tenant
from tests.telematics.messages import private_trip


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def box(tenant: Tenant) -> Box:
    return Box.objects.get(pk=tenant.box.pk)


def entries(tenant: Tenant) -> list[dict[str, str]]:
    return access_entries(box(tenant), clock.now())


def access_sent(published: RecordingPublisher, tenant: Tenant) -> list[tuple[dict, bool]]:
    topic = f"flotte/v1/boxes/{tenant.box.box_id}/access"
    return [(payload, retain) for t, payload, retain in published.sent if t == topic]


# Entries
def test_a_confirmed_booking_in_the_window_lets_the_member_badge_in(alice: Tenant) -> None:
    booking = book(alice, 2, 4)
    assert entries(alice) == [
        {
            "booking_id": str(booking.pk),
            "badge_uid": alice.badge.uid,
            "valid_from": format_ts(hours(2) - dt.timedelta(minutes=15)),
            "valid_until": format_ts(hours(4)),
        }
    ]


def test_the_early_start_parameter_moves_valid_from(alice: Tenant) -> None:
    set_param(alice, booking_params.EARLY_START.key, 45)
    book(alice, 2, 4)
    assert entries(alice)[0]["valid_from"] == format_ts(hours(1.25))


def test_every_active_badge_of_the_member_gets_an_entry(alice: Tenant) -> None:
    second = badge_issue(
        actor=alice.manager, organisation=alice.organisation, uid="04FFEE0011", user=alice.member
    )
    booking = book(alice, 2, 4)
    assert sorted((e["booking_id"], e["badge_uid"]) for e in entries(alice)) == sorted(
        [(str(booking.pk), alice.badge.uid), (str(booking.pk), second.uid)]
    )


def test_a_booking_beyond_the_access_window_has_no_entry(alice: Tenant) -> None:
    near = book(alice, 24, 25)  # valid from 23:45 from now: inside 24 h
    assert [e["booking_id"] for e in entries(alice)] == [str(near.pk)]
    booking_cancel(actor=alice.member, booking=near)
    book(alice, 24.25, 26)  # valid from exactly 24 h from now: outside
    assert entries(alice) == []


def test_the_access_window_parameter_widens_the_list(alice: Tenant) -> None:
    far = book(alice, 30, 32)
    assert entries(alice) == []
    set_param(alice, params.ACCESS_WINDOW.key, 48)
    assert [e["booking_id"] for e in entries(alice)] == [str(far.pk)]


def test_a_cancelled_or_finished_booking_has_no_entry(alice: Tenant) -> None:
    set_param(alice, booking_params.MAX_CONCURRENT.key, 5)
    booking_cancel(actor=alice.member, booking=book(alice, 2, 4))
    with clock.frozen(NOW - dt.timedelta(hours=3)):
        book(alice, -2, -1)
    assert entries(alice) == []


def test_a_trip_running_late_stays_open_for_an_hour_ahead(alice: Tenant) -> None:
    with clock.frozen(NOW - dt.timedelta(hours=3)):
        booking = book(alice, -2, -1)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED)
    with clock.frozen(NOW + dt.timedelta(seconds=42)):
        (entry,) = entries(alice)
    assert entry["booking_id"] == str(booking.pk)
    assert entry["valid_until"] == format_ts(hours(1))


def test_a_deactivated_badge_is_left_out(alice: Tenant) -> None:
    book(alice, 2, 4)
    badge_deactivate(actor=alice.manager, badge=alice.badge, reason="lost")
    assert entries(alice) == []


def test_a_badge_of_another_member_is_left_out(alice: Tenant) -> None:
    book(alice, 2, 4)
    Badge.objects.filter(pk=alice.badge.pk).update(user=alice.manager)
    assert entries(alice) == []


def test_a_suspended_member_is_left_out(alice: Tenant) -> None:
    book(alice, 2, 4)
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="dégâts"
    )
    assert entries(alice) == []


def test_a_lifted_suspension_lets_the_member_in_again(alice: Tenant) -> None:
    book(alice, 2, 4)
    suspension = member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="dégâts"
    )
    suspension_lift(actor=alice.manager, suspension=suspension)
    assert [e["badge_uid"] for e in entries(alice)] == [alice.badge.uid]


def test_a_suspension_in_another_organisation_does_not_count(alice: Tenant, bob: Tenant) -> None:
    book(alice, 2, 4)
    member_suspend(
        actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="dégâts"
    )
    Suspension.objects.filter(user=alice.member).update(organisation=bob.organisation)
    assert [e["badge_uid"] for e in entries(alice)] == [alice.badge.uid]


def test_a_box_lists_only_its_own_vehicle_bookings(alice: Tenant, bob: Tenant) -> None:
    book(alice, 2, 4)
    assert access_entries(box(bob), NOW) == []


# Versions and publication
def test_the_first_list_is_published_retained_as_version_one(
    alice: Tenant, published: RecordingPublisher
) -> None:
    booking = book(alice, 2, 4)
    assert access_list_refresh(alice.box.pk) == 1
    [(payload, retain)] = access_sent(published, alice)
    assert retain is True
    assert payload["version"] == 1
    assert payload["generated_at"] == format_ts(NOW)
    assert [e["booking_id"] for e in payload["entries"]] == [str(booking.pk)]
    assert box(alice).access_version == 1


def test_the_version_grows_by_one_when_the_content_changes(
    alice: Tenant, published: RecordingPublisher
) -> None:
    set_param(alice, booking_params.MAX_CONCURRENT.key, 5)
    book(alice, 2, 4)
    access_list_refresh(alice.box.pk)
    book(alice, 6, 7)
    assert access_list_refresh(alice.box.pk) == 2
    payloads = [payload for payload, _ in access_sent(published, alice)]
    assert [p["version"] for p in payloads] == [1, 2]
    assert len(payloads[1]["entries"]) == 2
    assert box(alice).access_version == 2


def test_nothing_is_published_when_the_content_is_unchanged(
    alice: Tenant, published: RecordingPublisher
) -> None:
    book(alice, 2, 4)
    access_list_refresh(alice.box.pk)
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        assert access_list_refresh(alice.box.pk) is None
    assert len(access_sent(published, alice)) == 1
    assert box(alice).access_version == 1


def test_force_republishes_an_unchanged_list_with_a_new_version(
    alice: Tenant, published: RecordingPublisher
) -> None:
    book(alice, 2, 4)
    access_list_refresh(alice.box.pk)
    assert access_list_refresh(alice.box.pk, force=True) == 2
    first, second = (payload for payload, _ in access_sent(published, alice))
    assert second["version"] == 2
    assert second["entries"] == first["entries"]


def test_a_list_the_broker_did_not_take_is_sent_again_with_a_higher_version(
    alice: Tenant, published: RecordingPublisher
) -> None:
    book(alice, 2, 4)
    old = use_publisher(RecordingPublisher(reachable=False))
    try:
        assert access_list_refresh(alice.box.pk) == 1
    finally:
        use_publisher(old)
    assert access_sent(published, alice) == []
    assert access_list_refresh(alice.box.pk) == 2
    [(payload, _)] = access_sent(published, alice)
    assert payload["version"] == 2


def test_the_sweep_publishes_only_the_lists_that_changed(
    alice: Tenant, bob: Tenant, published: RecordingPublisher
) -> None:
    book(alice, 2, 4)
    assert access_sweep() == 2  # both boxes get a first list
    assert access_sweep() == 0
    book(bob, 2, 4)
    assert access_sweep() == 1
    assert [p["version"] for p, _ in access_sent(published, bob)] == [1, 2]
    assert [p["version"] for p, _ in access_sent(published, alice)] == [1]


def test_the_sweep_drops_a_booking_once_it_is_over(
    alice: Tenant, published: RecordingPublisher
) -> None:
    book(alice, 2, 4)
    access_sweep()
    with clock.frozen(hours(4)):
        access_sweep()
    assert [p["entries"] for p, _ in access_sent(published, alice)][-1] == []


# Refreshes after a change
def test_a_new_booking_refreshes_the_box_after_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(alice, 2, 4)
    [(payload, retain)] = access_sent(published, alice)
    assert retain is True
    assert [e["booking_id"] for e in payload["entries"]] == [str(booking.pk)]


def test_a_cancelled_booking_refreshes_the_box_after_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(actor=alice.member, booking=booking)
    payloads = [payload for payload, _ in access_sent(published, alice)]
    assert [p["version"] for p in payloads] == [1, 2]
    assert payloads[-1]["entries"] == []


def test_nothing_is_refreshed_before_the_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(alice, 2, 4)
    assert callbacks
    assert access_sent(published, alice) == []


def test_a_suspension_refreshes_the_box_after_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        member_suspend(
            actor=alice.manager, organisation=alice.organisation, user=alice.member, reason="x"
        )
    assert access_sent(published, alice)[-1][0]["entries"] == []


def test_deactivating_a_badge_refreshes_the_box_after_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    """A lost badge must stop opening the car at once, not at the next sweep."""
    with django_capture_on_commit_callbacks(execute=True):
        book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        badge_deactivate(actor=alice.manager, badge=alice.badge, reason="lost")
    payloads = [payload for payload, _ in access_sent(published, alice)]
    assert [p["version"] for p in payloads] == [1, 2]
    assert payloads[-1]["entries"] == []


def test_a_new_badge_refreshes_the_box_after_commit(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        badge_issue(
            actor=alice.manager,
            organisation=alice.organisation,
            uid="04FFEE0011",
            user=alice.member,
        )
    payloads = [payload for payload, _ in access_sent(published, alice)]
    assert [p["version"] for p in payloads] == [1, 2]
    assert {e["badge_uid"] for e in payloads[-1]["entries"]} == {alice.badge.uid, "04FFEE0011"}


# Config
def config_sent(published: RecordingPublisher, tenant: Tenant) -> list[tuple[dict, bool]]:
    topic = f"flotte/v1/boxes/{tenant.box.box_id}/config"
    return [(payload, retain) for t, payload, retain in published.sent if t == topic]


def test_the_config_carries_the_defaults_and_the_public_key(
    alice: Tenant, published: RecordingPublisher
) -> None:
    assert box_config_refresh(alice.box.pk) is True
    [(payload, retain)] = config_sent(published, alice)
    assert retain is True
    assert payload == {
        "telemetry_interval_s": 30,
        "parked_interval_s": 900,
        "send_position": "booking_edges",
        "key_public_key": keys.public_key(),
    }


def test_the_config_follows_the_organisation_parameters(
    alice: Tenant, bob: Tenant, published: RecordingPublisher
) -> None:
    set_param(alice, params.TELEMETRY_INTERVAL.key, 15)
    set_param(alice, params.PARKED_INTERVAL.key, 600)
    set_param(alice, params.POSITION_POLICY.key, "parked_only")
    box_config_refresh(alice.box.pk)
    box_config_refresh(bob.box.pk)
    [(payload, _)] = config_sent(published, alice)
    assert payload["telemetry_interval_s"] == 15
    assert payload["parked_interval_s"] == 600
    assert payload["send_position"] == "parked_only"
    [(other, _)] = config_sent(published, bob)
    assert (other["telemetry_interval_s"], other["send_position"]) == (30, "booking_edges")


def test_always_without_a_purpose_is_sent_as_booking_edges(
    alice: Tenant, published: RecordingPublisher
) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    box_config_refresh(alice.box.pk)
    set_param(alice, params.POSITION_PURPOSE.key, "vol des véhicules de service")
    box_config_refresh(alice.box.pk)
    assert [p["send_position"] for p, _ in config_sent(published, alice)] == [
        "booking_edges",
        "always",
    ]


def test_a_private_trip_asks_for_parked_positions_only(
    alice: Tenant, published: RecordingPublisher
) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    set_param(alice, params.POSITION_PURPOSE.key, "vol des véhicules de service")
    private_trip(alice)
    box_config_refresh(alice.box.pk)
    [(payload, _)] = config_sent(published, alice)
    assert payload["send_position"] == "parked_only"


def test_a_private_trip_keeps_never_as_never(alice: Tenant, published: RecordingPublisher) -> None:
    set_param(alice, params.POSITION_POLICY.key, "never")
    private_trip(alice)
    box_config_refresh(alice.box.pk)
    [(payload, _)] = config_sent(published, alice)
    assert payload["send_position"] == "never"


def test_an_unchanged_config_is_not_sent_again_unless_forced(
    alice: Tenant, published: RecordingPublisher
) -> None:
    assert box_config_refresh(alice.box.pk) is True
    assert box_config_refresh(alice.box.pk) is False
    assert box_config_refresh(alice.box.pk, force=True) is True
    assert len(config_sent(published, alice)) == 2


def test_a_config_the_broker_did_not_take_is_sent_again(
    alice: Tenant, published: RecordingPublisher
) -> None:
    old = use_publisher(RecordingPublisher(reachable=False))
    try:
        assert box_config_refresh(alice.box.pk) is False
    finally:
        use_publisher(old)
    assert box_config_refresh(alice.box.pk) is True
    assert len(config_sent(published, alice)) == 1


def test_a_member_who_leaves_the_community_no_longer_opens_the_car(
    alice: Tenant, published: RecordingPublisher, django_capture_on_commit_callbacks: Any
) -> None:
    from flotte.accounts.models import Membership
    from flotte.accounts.organisations import membership_end

    with django_capture_on_commit_callbacks(execute=True):
        booking = book(alice, 2, 4)
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(
            actor=alice.manager,
            membership=Membership.objects.get(user=alice.member, community=alice.community),
        )
    assert access_sent(published, alice)[-1][0]["entries"] == []
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED  # kept on record
