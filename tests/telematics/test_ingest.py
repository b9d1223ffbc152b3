"""Ingestion of box messages: history, de-duplication, the per-field merge
of the vehicle state, status, acks, events, rejections, and the
organisation's position policy."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from flotte.core import clock
from flotte.fleet.models import Box
from flotte.telematics import params
from flotte.telematics.commands import command_issue
from flotte.telematics.ingest import BatchResult, Incoming, ingest_batch
from flotte.telematics.models import (
    BoxEvent,
    Command,
    RejectedMessage,
    Telemetry,
    Trip,
    VehicleState,
)
from flotte.telematics.protocol import format_ts
from tests.booking.test_services import NOW, set_param
from tests.conftest import Tenant
from tests.telematics.messages import private_trip

POSITION = {"lat": 44.933, "lon": 4.892, "accuracy_m": 8}


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def minutes_ago(m: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=m)


def incoming(
    tenant: Tenant, leaf: str, data: dict[str, Any] | bytes, received_at: dt.datetime = NOW
) -> Incoming:
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    return Incoming(f"flotte/v1/boxes/{tenant.box.box_id}/{leaf}", payload, received_at)


def telemetry(tenant: Tenant, seq: int, at: dt.datetime = NOW, **fields: Any) -> Incoming:
    return incoming(tenant, "telemetry", {"ts": format_ts(at), "seq": seq, **fields})


def event(tenant: Tenant, seq: int, kind: str, at: dt.datetime = NOW, **fields: Any) -> Incoming:
    return incoming(tenant, "events", {"ts": format_ts(at), "seq": seq, "type": kind, **fields})


def ack(tenant: Tenant, command_id: str, status: str = "ok", **fields: Any) -> Incoming:
    return incoming(
        tenant,
        "acks",
        {"command_id": command_id, "status": status, "ts": format_ts(NOW), **fields},
    )


def state_of(tenant: Tenant) -> VehicleState:
    return VehicleState.objects.get(vehicle=tenant.vehicle)


def history(tenant: Tenant) -> list[Telemetry]:
    return list(Telemetry.objects.filter(vehicle=tenant.vehicle).order_by("seq"))


def box(tenant: Tenant) -> Box:
    return Box.objects.get(pk=tenant.box.pk)


# Telemetry
def test_telemetry_is_stored_with_every_field(alice: Tenant) -> None:
    result = ingest_batch(
        [
            telemetry(
                alice,
                1042,
                minutes_ago(1),
                odometer_km=48211.4,
                energy={"kind": "soc", "pct": 63.0, "range_km": 171},
                ignition=False,
                locked=True,
                doors_closed=True,
                charging=False,
                key_present=True,
                immobilized=True,
                position=POSITION,
            )
        ]
    )
    assert (result.received, result.stored, result.duplicates) == (1, 1, 0)
    assert not result.rejected
    row = Telemetry.objects.get()
    assert (row.box_id, row.organisation_id, row.vehicle_id, row.seq) == (
        alice.box.pk,
        alice.organisation.pk,
        alice.vehicle.pk,
        1042,
    )
    assert (row.ts, row.received_at) == (minutes_ago(1), NOW)
    assert (row.odometer_km, row.energy_pct, row.range_km) == (48211.4, 63.0, 171.0)
    assert (row.ignition, row.locked, row.doors_closed) == (False, True, True)
    assert (row.charging, row.key_present, row.immobilized) == (False, True, True)
    state = state_of(alice)
    assert state.organisation_id == alice.organisation.pk
    assert (state.odometer_km, state.odometer_at) == (48211.4, minutes_ago(1))
    assert (state.energy_kind, state.energy_pct, state.range_km) == ("soc", 63.0, 171.0)
    assert (state.ignition, state.locked, state.doors_closed) == (False, True, True)
    assert (state.charging, state.key_present, state.immobilized) == (False, True, True)
    assert (state.latitude, state.longitude, state.accuracy_m) == (44.933, 4.892, 8.0)
    assert state.position_at == minutes_ago(1)


def test_a_duplicate_box_seq_in_one_batch_is_dropped_and_counted(alice: Tenant) -> None:
    result = ingest_batch(
        [telemetry(alice, 7, odometer_km=100.0), telemetry(alice, 7, odometer_km=100.0)]
    )
    assert (result.received, result.stored, result.duplicates) == (2, 1, 1)
    assert Telemetry.objects.count() == 1


def test_a_message_delivered_again_in_a_later_batch_is_dropped_and_counted(
    alice: Tenant,
) -> None:
    first = ingest_batch([telemetry(alice, 7, odometer_km=100.0), event(alice, 8, "locked")])
    again = ingest_batch([telemetry(alice, 7, odometer_km=100.0), event(alice, 8, "locked")])
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (0, 2)
    assert Telemetry.objects.count() == 1
    assert BoxEvent.objects.count() == 1


def test_the_same_seq_from_two_boxes_is_not_a_duplicate(alice: Tenant, bob: Tenant) -> None:
    result = ingest_batch([telemetry(alice, 7, locked=True), telemetry(bob, 7, locked=True)])
    assert (result.stored, result.duplicates) == (2, 0)


def test_a_late_replay_is_kept_in_history_but_does_not_overwrite_newer_state(
    alice: Tenant,
) -> None:
    ingest_batch([telemetry(alice, 20, minutes_ago(5), odometer_km=1200.0, locked=True)])
    # Buffered while offline: older, and carrying a field never seen before.
    ingest_batch(
        [telemetry(alice, 11, minutes_ago(90), odometer_km=1100.0, locked=False, charging=True)]
    )
    assert [(t.seq, t.odometer_km) for t in history(alice)] == [(11, 1100.0), (20, 1200.0)]
    state = state_of(alice)
    assert (state.odometer_km, state.odometer_at) == (1200.0, minutes_ago(5))
    assert (state.locked, state.locked_at) == (True, minutes_ago(5))
    assert (state.charging, state.charging_at) == (True, minutes_ago(90))


def test_the_newest_observation_of_a_batch_wins_whatever_its_order(alice: Tenant) -> None:
    ingest_batch(
        [
            telemetry(alice, 30, minutes_ago(2), odometer_km=1300.0, energy={"pct": 40}),
            telemetry(alice, 29, minutes_ago(10), odometer_km=1290.0, energy={"pct": 45}),
        ]
    )
    state = state_of(alice)
    assert (state.odometer_km, state.energy_pct) == (1300.0, 40.0)
    assert state.energy_at == minutes_ago(2)


def test_a_newer_message_updates_the_state(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 1, minutes_ago(10), odometer_km=1000.0, locked=True)])
    ingest_batch([telemetry(alice, 2, minutes_ago(1), odometer_km=1012.5, locked=False)])
    state = state_of(alice)
    assert (state.odometer_km, state.odometer_at) == (1012.5, minutes_ago(1))
    assert (state.locked, state.locked_at) == (False, minutes_ago(1))


# Rejections
def test_an_unknown_box_is_rejected_counted_and_nothing_else_is_stored(alice: Tenant) -> None:
    stranger = Incoming(
        "flotte/v1/boxes/box-nobody/telemetry",
        json.dumps({"ts": format_ts(NOW), "seq": 1, "odometer_km": 5.0}).encode(),
        NOW,
    )
    result = ingest_batch([stranger])
    assert result.rejected == {"unknown_box": 1}
    assert (result.stored, result.duplicates) == (0, 0)
    rejected = RejectedMessage.objects.get()
    assert (rejected.reason, rejected.box_id, rejected.received_at) == (
        "unknown_box",
        "box-nobody",
        NOW,
    )
    assert rejected.topic == "flotte/v1/boxes/box-nobody/telemetry"
    assert '"odometer_km": 5.0' in rejected.excerpt
    assert not Telemetry.objects.exists()
    assert not VehicleState.objects.exists()
    assert not BoxEvent.objects.exists()
    assert Box.objects.filter(last_seen_at__isnull=False).count() == 0


def test_a_bad_message_in_a_batch_does_not_stop_the_good_ones(alice: Tenant) -> None:
    result = ingest_batch(
        [
            telemetry(alice, 1, odometer_km=10.0),
            incoming(alice, "telemetry", b"{broken"),
            incoming(alice, "telemetry", {"seq": 2, "odometer_km": 11.0}),
            event(alice, 3, "locked", source="app"),
        ]
    )
    assert result.received == 4
    assert result.stored == 2
    assert result.rejected == {"invalid_json": 1, "missing_field": 1}
    assert sorted(RejectedMessage.objects.values_list("reason", flat=True)) == [
        "invalid_json",
        "missing_field",
    ]
    assert [t.seq for t in history(alice)] == [1]
    assert BoxEvent.objects.get().type == "locked"


def test_json_nested_too_deep_is_rejected_without_failing_the_batch(alice: Tenant) -> None:
    result = ingest_batch(
        [telemetry(alice, 1, odometer_km=10.0), incoming(alice, "telemetry", b"[" * 16_000)]
    )
    assert result.rejected == {"invalid_json": 1}
    assert [t.seq for t in history(alice)] == [1]


def test_a_rejected_message_keeps_an_excerpt_of_the_payload_only(alice: Tenant) -> None:
    ingest_batch([incoming(alice, "telemetry", b"{" + b"x" * 1000)])
    rejected = RejectedMessage.objects.get()
    assert rejected.reason == "invalid_json"
    assert rejected.box_id == "box-alice"
    assert len(rejected.excerpt) == 300


# Status
def test_a_status_sets_the_box_online_with_its_firmware(alice: Tenant) -> None:
    at = NOW - dt.timedelta(seconds=2)
    ingest_batch(
        [incoming(alice, "status", {"online": True, "firmware": "1.4.2", "ts": format_ts(at)})]
    )
    fresh = box(alice)
    assert fresh.online is True
    assert fresh.firmware == "1.4.2"
    assert fresh.status_at == NOW


def test_the_last_will_sets_the_box_offline_and_keeps_its_firmware(alice: Tenant) -> None:
    ingest_batch(
        [incoming(alice, "status", {"online": True, "firmware": "1.4.2", "ts": format_ts(NOW)})]
    )
    later = NOW + dt.timedelta(minutes=3)
    with clock.frozen(later):
        result = ingest_batch([incoming(alice, "status", {"online": False}, received_at=later)])
    assert result.stored == 1
    fresh = box(alice)
    assert fresh.online is False
    assert fresh.firmware == "1.4.2"
    assert fresh.status_at == later


def test_a_status_received_before_the_latest_one_does_not_override_it(alice: Tenant) -> None:
    ingest_batch([incoming(alice, "status", {"online": False}, received_at=NOW)])
    ingest_batch(
        [
            incoming(
                alice,
                "status",
                {"online": True, "ts": format_ts(minutes_ago(2))},
                received_at=minutes_ago(1),
            )
        ]
    )
    fresh = box(alice)
    assert fresh.online is False
    assert fresh.status_at == NOW


# Acks
@pytest.mark.parametrize(
    ("status", "state"), [("ok", "acked"), ("rejected", "rejected"), ("failed", "failed")]
)
def test_an_ack_answers_the_command(alice: Tenant, status: str, state: str) -> None:
    command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="locate")
    result = ingest_batch([ack(alice, str(command.pk), status, detail="as you wish")])
    assert result.stored == 1
    command.refresh_from_db()
    assert command.state == state
    assert command.answered_at == NOW
    assert command.detail == "as you wish"


def test_a_repeated_ack_changes_nothing(alice: Tenant) -> None:
    command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    ingest_batch([ack(alice, str(command.pk), "ok")])
    later = NOW + dt.timedelta(seconds=30)
    with clock.frozen(later):
        ingest_batch(
            [
                incoming(
                    alice,
                    "acks",
                    {"command_id": str(command.pk), "status": "failed", "ts": format_ts(later)},
                    received_at=later,
                )
            ]
        )
    command.refresh_from_db()
    assert command.state == Command.State.ACKED
    assert command.answered_at == NOW
    assert command.detail == ""


def test_a_box_cannot_answer_another_box_command(alice: Tenant, bob: Tenant) -> None:
    command = command_issue(actor=alice.manager, vehicle=alice.vehicle, kind="lock")
    ingest_batch([ack(bob, str(command.pk), "ok")])
    command.refresh_from_db()
    assert command.state == Command.State.QUEUED
    assert command.answered_at is None


def test_an_ack_whose_command_id_is_not_a_uuid_is_rejected(alice: Tenant) -> None:
    result = ingest_batch([ack(alice, "not-a-uuid")])
    assert result.rejected == {"bad_value": 1}
    assert result.stored == 0
    rejected = RejectedMessage.objects.get()
    assert (rejected.reason, rejected.box_id) == ("bad_value", "box-alice")
    assert "UUID" in rejected.detail


# Position policy
def test_position_policy_never_keeps_no_position_anywhere(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "never")
    ingest_batch(
        [
            telemetry(alice, 1, minutes_ago(5), ignition=True, position=POSITION),
            telemetry(alice, 2, minutes_ago(1), ignition=False, position=POSITION),
        ]
    )
    assert [(t.latitude, t.longitude, t.accuracy_m) for t in history(alice)] == [
        (None, None, None),
        (None, None, None),
    ]
    state = state_of(alice)
    assert (state.latitude, state.longitude, state.position_at) == (None, None, None)
    assert state.ignition is False


def test_booking_edges_is_the_default_and_keeps_no_position_in_history(alice: Tenant) -> None:
    ingest_batch(
        [
            telemetry(alice, 1, minutes_ago(5), ignition=True, position=POSITION),
            telemetry(alice, 2, minutes_ago(1), ignition=False, position=POSITION),
        ]
    )
    assert [t.latitude for t in history(alice)] == [None, None]


def test_booking_edges_keeps_the_parked_position_in_the_state(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 1, minutes_ago(3), ignition=False, position=POSITION)])
    state = state_of(alice)
    assert (state.latitude, state.longitude, state.accuracy_m) == (44.933, 4.892, 8.0)
    assert state.position_at == minutes_ago(3)


def test_booking_edges_keeps_no_driving_position_in_the_state(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 1, minutes_ago(3), ignition=True, position=POSITION)])
    state = state_of(alice)
    assert (state.latitude, state.position_at) == (None, None)
    assert state.ignition is True


def test_parked_only_keeps_history_positions_only_when_parked(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "parked_only")
    ingest_batch(
        [
            telemetry(alice, 1, minutes_ago(5), ignition=True, position=POSITION),
            telemetry(alice, 2, minutes_ago(1), ignition=False, position=POSITION),
        ]
    )
    assert [(t.seq, t.latitude) for t in history(alice)] == [(1, None), (2, 44.933)]
    assert state_of(alice).position_at == minutes_ago(1)


def test_always_with_a_purpose_keeps_every_position(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    set_param(alice, params.POSITION_PURPOSE.key, "vol des véhicules de service")
    ingest_batch(
        [
            telemetry(alice, 1, minutes_ago(5), ignition=False, position=POSITION),
            telemetry(alice, 2, minutes_ago(1), ignition=True, position={"lat": 44.94, "lon": 4.9}),
        ]
    )
    assert [(t.latitude, t.longitude) for t in history(alice)] == [(44.933, 4.892), (44.94, 4.9)]
    state = state_of(alice)
    assert (state.latitude, state.longitude, state.position_at) == (44.94, 4.9, minutes_ago(1))


def test_always_without_a_purpose_acts_as_booking_edges(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    ingest_batch(
        [
            telemetry(alice, 1, minutes_ago(5), ignition=False, position=POSITION),
            telemetry(alice, 2, minutes_ago(1), ignition=True, position={"lat": 44.94, "lon": 4.9}),
        ]
    )
    assert [t.latitude for t in history(alice)] == [None, None]
    state = state_of(alice)
    assert (state.latitude, state.position_at) == (44.933, minutes_ago(5))


def test_a_private_trip_hides_the_driving_positions(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    set_param(alice, params.POSITION_PURPOSE.key, "vol des véhicules de service")
    private_trip(alice)
    ingest_batch([telemetry(alice, 1, minutes_ago(1), ignition=True, position=POSITION)])
    assert history(alice)[0].latitude is None
    state = state_of(alice)
    assert (state.latitude, state.position_at) == (None, None)


def test_a_private_trip_still_keeps_the_parked_position_for_the_return(alice: Tenant) -> None:
    private_trip(alice)
    ingest_batch([telemetry(alice, 1, minutes_ago(1), ignition=False, position=POSITION)])
    assert history(alice)[0].latitude is None
    assert state_of(alice).latitude == 44.933


def test_a_trip_no_longer_private_keeps_positions_again(alice: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "always")
    set_param(alice, params.POSITION_PURPOSE.key, "vol des véhicules de service")
    trip = private_trip(alice)
    Trip.objects.filter(pk=trip.pk).update(private_mode=False)
    ingest_batch([telemetry(alice, 1, minutes_ago(1), ignition=True, position=POSITION)])
    assert history(alice)[0].latitude == 44.933


# Tenants
def test_a_box_updates_only_its_own_organisation_vehicle(alice: Tenant, bob: Tenant) -> None:
    ingest_batch([telemetry(bob, 1, odometer_km=777.0, ignition=False, position=POSITION)])
    assert not VehicleState.objects.filter(vehicle=alice.vehicle).exists()
    assert not Telemetry.objects.filter(vehicle=alice.vehicle).exists()
    state = state_of(bob)
    assert (state.organisation_id, state.odometer_km) == (bob.organisation.pk, 777.0)
    row = Telemetry.objects.get()
    assert (row.organisation_id, row.vehicle_id) == (bob.organisation.pk, bob.vehicle.pk)


def test_one_organisation_policy_does_not_apply_to_another(alice: Tenant, bob: Tenant) -> None:
    set_param(alice, params.POSITION_POLICY.key, "never")
    set_param(bob, params.POSITION_POLICY.key, "parked_only")
    ingest_batch(
        [
            telemetry(alice, 1, ignition=False, position=POSITION),
            telemetry(bob, 1, ignition=False, position=POSITION),
        ]
    )
    assert history(alice)[0].latitude is None
    assert history(bob)[0].latitude == 44.933
    assert state_of(alice).latitude is None
    assert state_of(bob).latitude == 44.933


def test_a_box_not_fitted_to_a_vehicle_keeps_history_but_no_state(alice: Tenant) -> None:
    Box.objects.filter(pk=alice.box.pk).update(vehicle=None)
    result = ingest_batch([telemetry(alice, 1, odometer_km=5.0, ignition=False)])
    assert result.stored == 1
    row = Telemetry.objects.get()
    assert (row.box_id, row.vehicle_id) == (alice.box.pk, None)
    assert not VehicleState.objects.exists()


# Events
def test_an_event_is_stored_with_its_fields(alice: Tenant) -> None:
    result = ingest_batch(
        [
            event(
                alice,
                5,
                "badge",
                minutes_ago(1),
                source="badge",
                badge_uid="04a1b2c3d4",
                booking_id="12",
                refused=True,
            )
        ]
    )
    assert result.stored == 1
    assert result.boxes_with_events == {alice.box.pk}
    stored = BoxEvent.objects.get()
    assert (stored.box_id, stored.organisation_id, stored.vehicle_id) == (
        alice.box.pk,
        alice.organisation.pk,
        alice.vehicle.pk,
    )
    assert (stored.seq, stored.ts, stored.received_at) == (5, minutes_ago(1), NOW)
    assert (stored.type, stored.source, stored.badge_uid, stored.booking_ref) == (
        "badge",
        "badge",
        "04A1B2C3D4",
        "12",
    )
    assert stored.outcome == "refused by the box"
    assert stored.handled_at is None


def test_an_event_without_reaction_is_handled_after_commit_as_recorded(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch([event(alice, 5, "low_battery", minutes_ago(1), source="local")])
    stored = BoxEvent.objects.get()
    assert stored.handled_at == NOW
    assert stored.outcome == "recorded"


def test_events_wait_for_the_commit_to_be_handled(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest_batch([event(alice, 5, "low_battery")])
    assert len(callbacks) == 1
    assert BoxEvent.objects.get().handled_at is None


def test_duplicate_events_are_not_handled_again(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    ingest_batch([event(alice, 5, "low_battery")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = ingest_batch([event(alice, 5, "low_battery")])
    assert result.duplicates == 1
    assert result.boxes_with_events == set()
    assert callbacks == []


# Box contact
def test_a_message_marks_the_box_as_seen_at_its_time(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 1, minutes_ago(2), locked=True)])
    assert box(alice).last_seen_at == minutes_ago(2)


def test_last_seen_only_moves_forward(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 20, minutes_ago(2), locked=True)])
    ingest_batch([telemetry(alice, 3, minutes_ago(240), locked=False)])
    assert box(alice).last_seen_at == minutes_ago(2)
    ingest_batch([event(alice, 21, "locked", minutes_ago(1))])
    assert box(alice).last_seen_at == minutes_ago(1)


def test_a_box_clock_running_fast_does_not_put_last_seen_in_the_future(alice: Tenant) -> None:
    ingest_batch([telemetry(alice, 1, NOW + dt.timedelta(minutes=4), locked=True)])
    assert box(alice).last_seen_at == NOW


def test_a_batch_result_adds_up(alice: Tenant) -> None:
    total = BatchResult()
    total.add(ingest_batch([telemetry(alice, 1, locked=True), incoming(alice, "events", b"[")]))
    total.add(ingest_batch([telemetry(alice, 1, locked=True)]))
    assert (total.received, total.stored, total.duplicates) == (3, 1, 1)
    assert total.rejected == {"invalid_json": 1}
