"""The box protocol, version 1 (docs/box-protocol.md): topics, and the
checks a box message must pass before the platform believes it. Pure: no
database, no network."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

PREFIX = "flotte/v1/boxes"
MAX_PAYLOAD = 16 * 1024
BOX_ID = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
INBOUND = ("status", "telemetry", "events", "acks")
EVENT_TYPES = frozenset(
    {
        "badge",
        "key_presented",
        "unlocked",
        "locked",
        "ignition_on",
        "ignition_off",
        "key_removed",
        "key_returned",
        "immobilizer_engaged",
        "immobilizer_released",
        "low_battery",
        "tamper",
        "crash",
        "door_opened_unauthorized",
    }
)
SOURCES = frozenset({"badge", "app", "key", "platform", "local"})
ACK_STATUSES = frozenset({"ok", "rejected", "failed"})
# A box clock may run a little fast; beyond this, a timestamp is refused.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def topic(box_id: str, leaf: str) -> str:
    return f"{PREFIX}/{box_id}/{leaf}"


class Rejected(Exception):
    """A message the gateway refuses; ``reason`` is a RejectedMessage reason."""

    def __init__(self, reason: str, detail: str, box_id: str = "") -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.box_id = box_id


# Slotted, not frozen: a frozen dataclass costs several microseconds per
# message to build, and the gateway builds thousands a second. Read-only by
# convention.
@dataclass(slots=True)
class Telemetry:
    odometer_km: float | None = None
    energy_kind: str = ""
    energy_pct: float | None = None
    range_km: float | None = None
    ignition: bool | None = None
    locked: bool | None = None
    doors_closed: bool | None = None
    charging: bool | None = None
    key_present: bool | None = None
    immobilized: bool | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(slots=True)
class Message:
    """A box message that passed the checks (read-only by convention)."""

    box_id: str
    kind: str  # status, telemetry, events or acks
    ts: dt.datetime | None
    seq: int | None = None
    telemetry: Telemetry | None = None
    online: bool | None = None
    firmware: str = ""
    event_type: str = ""
    source: str = ""
    badge_uid: str = ""
    booking_ref: str = ""
    key_id: str = ""
    command_id: str = ""
    ack_status: str = ""
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_ts(value: Any, now: dt.datetime) -> dt.datetime:
    if not isinstance(value, str):
        raise Rejected("bad_value", "ts must be an RFC 3339 string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Rejected("bad_value", f"ts is not RFC 3339: {value[:40]}") from None
    if parsed.tzinfo is None:
        raise Rejected("bad_value", "ts has no time zone")
    parsed = parsed.astimezone(dt.UTC)
    if parsed > now + CLOCK_TOLERANCE:
        raise Rejected("bad_value", "ts is in the future")
    return parsed


def format_ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def box_of(topic_name: str) -> tuple[str, str]:
    """(box id, leaf) of an inbound topic, or Rejected."""
    parts = topic_name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PREFIX:
        raise Rejected("wrong_topic", "not a box topic")
    box_id, leaf = parts[3], parts[4]
    if not BOX_ID.match(box_id):
        raise Rejected("wrong_topic", "not a box id", box_id[:64])
    if leaf not in INBOUND:
        raise Rejected("wrong_topic", f"boxes do not publish on {leaf}", box_id)
    return box_id, leaf


def _number(data: dict[str, Any], key: str, *, low: float, high: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("bad_value", f"{key} must be a number")
    if not low <= value <= high:
        raise Rejected("bad_value", f"{key} out of range")
    return float(value)


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Rejected("bad_value", f"{key} must be true or false")
    return value


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise Rejected("bad_value", f"{key} must be a string of at most {limit} characters")
    return value


def _telemetry(data: dict[str, Any]) -> Telemetry:
    energy = data.get("energy") or {}
    if not isinstance(energy, dict):
        raise Rejected("bad_value", "energy must be an object")
    kind = energy.get("kind", "")
    if kind not in ("", "soc", "fuel"):
        raise Rejected("bad_value", "energy.kind must be soc or fuel")
    position = data.get("position") or {}
    if not isinstance(position, dict):
        raise Rejected("bad_value", "position must be an object")
    lat = _number(position, "lat", low=-90, high=90)
    lon = _number(position, "lon", low=-180, high=180)
    if (lat is None) != (lon is None):
        raise Rejected("missing_field", "position needs lat and lon")
    return Telemetry(
        odometer_km=_number(data, "odometer_km", low=0, high=10_000_000),
        energy_kind=kind,
        energy_pct=_number(energy, "pct", low=0, high=100),
        range_km=_number(energy, "range_km", low=0, high=10_000),
        ignition=_flag(data, "ignition"),
        locked=_flag(data, "locked"),
        doors_closed=_flag(data, "doors_closed"),
        charging=_flag(data, "charging"),
        key_present=_flag(data, "key_present"),
        immobilized=_flag(data, "immobilized"),
        latitude=lat,
        longitude=lon,
        accuracy_m=_number(position, "accuracy_m", low=0, high=100_000),
    )


def parse(topic_name: str, payload: bytes, now: dt.datetime) -> Message:
    """Check one inbound message; raise Rejected with the reason."""
    box_id, leaf = box_of(topic_name)
    if len(payload) > MAX_PAYLOAD:
        raise Rejected("too_large", f"{len(payload)} bytes", box_id)
    try:
        data = orjson.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting too deep to decode, under the size limit.
        raise Rejected("invalid_json", "not valid UTF-8 JSON", box_id) from None
    if not isinstance(data, dict):
        raise Rejected("invalid_json", "not a JSON object", box_id)
    claimed = data.get("box_id")
    if claimed is not None and claimed != box_id:
        # The broker's ACL keeps each box to its own topics; a message that
        # names another box was relayed or forged.
        raise Rejected("wrong_topic", f"a message of box {str(claimed)[:64]}", box_id)
    try:
        return _parse(box_id, leaf, data, now)
    except Rejected as error:
        error.box_id = box_id
        raise


def _required(data: dict[str, Any], *keys: str) -> None:
    missing = [key for key in keys if data.get(key) is None]
    if missing:
        raise Rejected("missing_field", f"missing {', '.join(missing)}")


def _seq(data: dict[str, Any]) -> int:
    seq = data["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63:
        raise Rejected("bad_value", "seq must be a non-negative integer")
    return seq


def _parse(box_id: str, leaf: str, data: dict[str, Any], now: dt.datetime) -> Message:
    if leaf == "status":
        # The last will is {"online": false}: no ts, no seq.
        _required(data, "online")
        online = _flag(data, "online")
        ts = parse_ts(data["ts"], now) if data.get("ts") is not None else None
        return Message(box_id, leaf, ts, online=online, firmware=_text(data, "firmware", 40))
    if leaf == "acks":
        _required(data, "command_id", "status")
        status = data["status"]
        if status not in ACK_STATUSES:
            raise Rejected("bad_value", "status must be ok, rejected or failed")
        ts = parse_ts(data["ts"], now) if data.get("ts") is not None else None
        return Message(
            box_id,
            leaf,
            ts,
            command_id=_text(data, "command_id", 64),
            ack_status=status,
            detail=_text(data, "detail", 200),
        )
    _required(data, "ts", "seq")
    ts, seq = parse_ts(data["ts"], now), _seq(data)
    if leaf == "telemetry":
        return Message(box_id, leaf, ts, seq, telemetry=_telemetry(data))
    _required(data, "type")
    event_type = data["type"]
    if event_type not in EVENT_TYPES:
        raise Rejected("bad_value", f"unknown event type {str(event_type)[:30]}")
    source = _text(data, "source", 10)
    if source and source not in SOURCES:
        raise Rejected("bad_value", f"unknown source {source}")
    if event_type == "badge":
        _required(data, "badge_uid")
    if event_type == "key_presented":
        _required(data, "key_id")
    return Message(
        box_id,
        leaf,
        ts,
        seq,
        event_type=event_type,
        source=source,
        badge_uid=_text(data, "badge_uid", 20).upper(),
        booking_ref=_text(data, "booking_id", 40),
        key_id=_text(data, "key_id", 64),
        extra={"refused": True} if data.get("refused") is True else {},
    )
