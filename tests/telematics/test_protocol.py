"""The checks a box message must pass (docs/box-protocol.md), without a
database: each reason a message is refused, and what is let through."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from flotte.telematics import protocol
from flotte.telematics.protocol import MAX_PAYLOAD, Rejected, parse

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
TS = "2026-12-01T07:59:00Z"


def topic(leaf: str, box_id: str = "box-alice") -> str:
    return f"flotte/v1/boxes/{box_id}/{leaf}"


def raw(data: Any) -> bytes:
    return json.dumps(data).encode()


def telemetry(**extra: Any) -> dict[str, Any]:
    return {
        "ts": TS,
        "seq": 1042,
        "odometer_km": 48211.4,
        "energy": {"kind": "soc", "pct": 63.0, "range_km": 171},
        "ignition": False,
        "locked": True,
        "doors_closed": True,
        "charging": False,
        "key_present": True,
        "immobilized": True,
        "position": {"lat": 44.933, "lon": 4.892, "accuracy_m": 8},
        **extra,
    }


def refused(leaf: str, payload: bytes, box_id: str = "box-alice") -> Rejected:
    with pytest.raises(Rejected) as error:
        parse(topic(leaf, box_id), payload, NOW)
    return error.value


# invalid_json
@pytest.mark.parametrize(
    "payload",
    [b'{"ts": "2026-12-01T07:59:00Z", "seq": ', b"\xff\xfe{}", b"[1, 2]", b'"text"', b""],
    ids=["truncated", "not-utf8", "array", "string", "empty"],
)
def test_a_payload_that_is_not_a_json_object_is_invalid_json(payload: bytes) -> None:
    error = refused("telemetry", payload)
    assert error.reason == "invalid_json"
    assert error.box_id == "box-alice"


@pytest.mark.parametrize("payload", [b"[" * 16_000, b'{"a":' * 3_000], ids=["arrays", "objects"])
def test_json_nested_too_deep_to_decode_is_invalid_json(payload: bytes) -> None:
    """Under 16 KiB, yet deep enough to exhaust the decoder's recursion: a
    box message must be refused, never raise anything but Rejected."""
    assert len(payload) <= MAX_PAYLOAD
    error = refused("telemetry", payload)
    assert error.reason == "invalid_json"


# too_large
def test_a_payload_over_16_kib_is_too_large() -> None:
    body = raw(telemetry(padding=""))
    padded = raw(telemetry(padding="x" * (MAX_PAYLOAD + 1 - len(body))))
    assert len(padded) == MAX_PAYLOAD + 1
    error = refused("telemetry", padded)
    assert error.reason == "too_large"
    assert error.box_id == "box-alice"


def test_a_payload_of_exactly_16_kib_is_accepted() -> None:
    body = raw(telemetry(padding=""))
    padded = raw(telemetry(padding="x" * (MAX_PAYLOAD - len(body))))
    assert len(padded) == MAX_PAYLOAD
    assert parse(topic("telemetry"), padded, NOW).seq == 1042


def test_size_is_checked_before_the_json_is_read() -> None:
    assert refused("telemetry", b"{" * (MAX_PAYLOAD + 1)).reason == "too_large"


# missing_field
@pytest.mark.parametrize("missing", ["ts", "seq"])
def test_telemetry_without_ts_or_seq_misses_a_field(missing: str) -> None:
    data = telemetry()
    del data[missing]
    error = refused("telemetry", raw(data))
    assert error.reason == "missing_field"
    assert missing in error.detail


def test_a_null_ts_counts_as_missing() -> None:
    assert refused("telemetry", raw(telemetry(ts=None))).reason == "missing_field"


def test_an_event_without_type_misses_a_field() -> None:
    error = refused("events", raw({"ts": TS, "seq": 3}))
    assert error.reason == "missing_field"
    assert "type" in error.detail


def test_a_badge_event_without_badge_uid_misses_a_field() -> None:
    error = refused("events", raw({"ts": TS, "seq": 3, "type": "badge", "source": "badge"}))
    assert error.reason == "missing_field"
    assert "badge_uid" in error.detail


def test_a_key_presented_event_without_key_id_misses_a_field() -> None:
    error = refused("events", raw({"ts": TS, "seq": 3, "type": "key_presented"}))
    assert error.reason == "missing_field"
    assert "key_id" in error.detail


def test_an_ack_without_command_id_misses_a_field() -> None:
    assert refused("acks", raw({"status": "ok", "ts": TS})).reason == "missing_field"


def test_a_status_without_online_misses_a_field() -> None:
    assert refused("status", raw({"firmware": "1.4.2", "ts": TS})).reason == "missing_field"


def test_a_position_with_lat_but_no_lon_misses_a_field() -> None:
    error = refused("telemetry", raw(telemetry(position={"lat": 44.9})))
    assert error.reason == "missing_field"


# bad_value
@pytest.mark.parametrize(
    "ts",
    ["yesterday", "2026-13-01T07:59:00Z", "2026-12-01T07:59:00", 1764576000],
    ids=["words", "no-such-month", "no-time-zone", "epoch-number"],
)
def test_a_ts_that_is_not_rfc3339_utc_is_a_bad_value(ts: Any) -> None:
    error = refused("telemetry", raw(telemetry(ts=ts)))
    assert error.reason == "bad_value"
    assert "ts" in error.detail


def test_a_ts_more_than_five_minutes_ahead_is_a_bad_value() -> None:
    error = refused("telemetry", raw(telemetry(ts="2026-12-01T08:05:01Z")))
    assert error.reason == "bad_value"
    assert "future" in error.detail


def test_a_box_clock_up_to_five_minutes_fast_is_tolerated() -> None:
    message = parse(topic("telemetry"), raw(telemetry(ts="2026-12-01T08:05:00Z")), NOW)
    assert message.ts == NOW + dt.timedelta(minutes=5)


def test_a_ts_with_an_offset_is_read_as_utc() -> None:
    message = parse(topic("telemetry"), raw(telemetry(ts="2026-12-01T08:30:00+01:00")), NOW)
    assert message.ts == dt.datetime(2026, 12, 1, 7, 30, tzinfo=dt.UTC)
    assert message.ts.tzinfo == dt.UTC


def test_an_unknown_event_type_is_a_bad_value() -> None:
    error = refused("events", raw({"ts": TS, "seq": 3, "type": "teleported"}))
    assert error.reason == "bad_value"
    assert "teleported" in error.detail


def test_an_unknown_event_source_is_a_bad_value() -> None:
    data = {"ts": TS, "seq": 3, "type": "unlocked", "source": "magic"}
    assert refused("events", raw(data)).reason == "bad_value"


@pytest.mark.parametrize("seq", [-1, 1.5, "12", 2**63], ids=["negative", "float", "text", "huge"])
def test_a_seq_that_is_not_a_non_negative_integer_is_a_bad_value(seq: Any) -> None:
    error = refused("telemetry", raw(telemetry(seq=seq)))
    assert error.reason == "bad_value"
    assert "seq" in error.detail


def test_a_boolean_seq_is_a_bad_value() -> None:
    assert refused("telemetry", raw(telemetry(seq=True))).reason == "bad_value"


@pytest.mark.parametrize(
    "extra",
    [
        {"odometer_km": True},
        {"energy": {"kind": "soc", "pct": False}},
        {"position": {"lat": True, "lon": 4.8}},
    ],
    ids=["odometer", "energy-pct", "latitude"],
)
def test_a_boolean_where_a_number_is_due_is_a_bad_value(extra: dict[str, Any]) -> None:
    error = refused("telemetry", raw(telemetry(**extra)))
    assert error.reason == "bad_value"
    assert "number" in error.detail


@pytest.mark.parametrize(
    "extra",
    [
        {"odometer_km": -1},
        {"energy": {"kind": "soc", "pct": 101}},
        {"position": {"lat": 91, "lon": 4.8}},
        {"position": {"lat": 44.9, "lon": -181}},
    ],
    ids=["odometer", "pct", "lat", "lon"],
)
def test_a_number_out_of_range_is_a_bad_value(extra: dict[str, Any]) -> None:
    assert refused("telemetry", raw(telemetry(**extra))).reason == "bad_value"


def test_a_number_where_a_flag_is_due_is_a_bad_value() -> None:
    assert refused("telemetry", raw(telemetry(locked=1))).reason == "bad_value"


def test_an_unknown_energy_kind_is_a_bad_value() -> None:
    data = telemetry(energy={"kind": "steam", "pct": 50})
    assert refused("telemetry", raw(data)).reason == "bad_value"


def test_an_unknown_ack_status_is_a_bad_value() -> None:
    data = {"command_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "status": "maybe", "ts": TS}
    assert refused("acks", raw(data)).reason == "bad_value"


# wrong_topic
@pytest.mark.parametrize(
    "name",
    [
        "other/v1/boxes/box-alice/telemetry",
        "flotte/v2/boxes/box-alice/telemetry",
        "flotte/v1/boxes/box-alice",
        "flotte/v1/boxes/box-alice/telemetry/extra",
        "flotte/v1/boxes/a/telemetry",
        "flotte/v1/boxes/box+alice/telemetry",
    ],
    ids=["prefix", "version", "no-leaf", "too-deep", "short-box-id", "bad-box-id"],
)
def test_a_topic_outside_the_box_tree_is_the_wrong_topic(name: str) -> None:
    with pytest.raises(Rejected) as error:
        parse(name, raw(telemetry()), NOW)
    assert error.value.reason == "wrong_topic"


@pytest.mark.parametrize("leaf", ["commands", "access", "config", "whatever"])
def test_a_box_may_not_publish_on_a_platform_topic(leaf: str) -> None:
    error = refused(leaf, raw(telemetry()))
    assert error.reason == "wrong_topic"
    assert error.box_id == "box-alice"


def test_the_topic_is_checked_before_the_payload() -> None:
    error = refused("commands", b"not json at all")
    assert error.reason == "wrong_topic"


# What passes
def test_the_last_will_is_accepted_without_ts_or_seq() -> None:
    message = parse(topic("status"), raw({"online": False}), NOW)
    assert message.kind == "status"
    assert message.online is False
    assert message.ts is None
    assert message.seq is None


def test_a_status_on_connect_carries_the_firmware_and_ts() -> None:
    message = parse(topic("status"), raw({"online": True, "firmware": "1.4.2", "ts": TS}), NOW)
    assert message.online is True
    assert message.firmware == "1.4.2"
    assert message.ts == dt.datetime(2026, 12, 1, 7, 59, tzinfo=dt.UTC)


def test_a_telemetry_message_is_read_field_by_field() -> None:
    message = parse(topic("telemetry"), raw(telemetry()), NOW)
    assert (message.box_id, message.kind, message.seq) == ("box-alice", "telemetry", 1042)
    assert message.ts == dt.datetime(2026, 12, 1, 7, 59, tzinfo=dt.UTC)
    assert message.telemetry == protocol.Telemetry(
        odometer_km=48211.4,
        energy_kind="soc",
        energy_pct=63.0,
        range_km=171.0,
        ignition=False,
        locked=True,
        doors_closed=True,
        charging=False,
        key_present=True,
        immobilized=True,
        latitude=44.933,
        longitude=4.892,
        accuracy_m=8.0,
    )


def test_a_telemetry_message_without_position_has_none() -> None:
    data = telemetry()
    del data["position"]
    message = parse(topic("telemetry"), raw(data), NOW)
    assert message.telemetry is not None
    assert not message.telemetry.has_position
    assert message.telemetry.latitude is None


def test_unknown_fields_are_ignored() -> None:
    data = telemetry(firmware_build="2026.11", tyres={"front": 2.4}, mood="cheerful")
    data["energy"]["cell_temp_c"] = 21
    message = parse(topic("telemetry"), raw(data), NOW)
    assert message.telemetry == parse(topic("telemetry"), raw(telemetry()), NOW).telemetry
    assert message.extra == {}


def test_speed_never_reaches_the_parsed_telemetry() -> None:
    message = parse(topic("telemetry"), raw(telemetry(speed=87.5, speed_kmh=87.5)), NOW)
    assert message.telemetry is not None
    names = {f.name for f in dataclasses.fields(message.telemetry)}
    assert not any("speed" in name for name in names)
    assert 87.5 not in dataclasses.asdict(message.telemetry).values()
    assert 87.5 not in message.extra.values()


def test_an_event_is_read_with_its_badge_uid_in_upper_case() -> None:
    data = {"ts": TS, "seq": 7, "type": "badge", "source": "badge", "badge_uid": "04a1b2c3d4"}
    message = parse(topic("events"), raw(data), NOW)
    assert (message.kind, message.event_type, message.source) == ("events", "badge", "badge")
    assert message.badge_uid == "04A1B2C3D4"
    assert message.seq == 7


def test_an_unlock_event_keeps_the_booking_id() -> None:
    data = {"ts": TS, "seq": 8, "type": "unlocked", "source": "badge", "booking_id": "42"}
    message = parse(topic("events"), raw(data), NOW)
    assert message.event_type == "unlocked"
    assert message.booking_ref == "42"


def test_an_ack_is_read_with_its_status_and_detail() -> None:
    data = {
        "command_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "status": "rejected",
        "detail": "expired",
        "ts": TS,
    }
    message = parse(topic("acks"), raw(data), NOW)
    assert message.command_id == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert (message.ack_status, message.detail) == ("rejected", "expired")


def test_format_ts_writes_rfc3339_utc_with_a_z() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert protocol.format_ts(dt.datetime(2026, 12, 1, 9, 0, 30, 123, tzinfo=paris)) == (
        "2026-12-01T08:00:30Z"
    )


def test_a_message_naming_another_box_is_on_the_wrong_topic() -> None:
    error = refused("telemetry", raw(telemetry(box_id="box-bob")))
    assert (error.reason, error.box_id) == ("wrong_topic", "box-alice")
    assert parse(topic("telemetry"), raw(telemetry(box_id="box-alice")), NOW).box_id == "box-alice"
