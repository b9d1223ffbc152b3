"""Wire-level pieces of box protocol v1 (the page: docs/box-protocol.md).

Kept apart from the box itself so that the parsing rules (timestamps, the
retained config and access list, the digital-key token) can be read against
the protocol page in one place. Like the rest of the simulator, this module
imports nothing from ``flotte``: the simulator must stay an independent
implementation of the page, so that it catches the platform drifting away
from the contract instead of sharing its bugs.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)

PREFIX = "flotte/v1/boxes"
MAX_PAYLOAD_BYTES = 16 * 1024
POSITION_POLICIES = frozenset({"always", "parked_only", "booking_edges", "never"})


def topic(box_id: str, leaf: str) -> str:
    """``P/leaf`` with ``P = flotte/v1/boxes/{box_id}``."""
    return f"{PREFIX}/{box_id}/{leaf}"


def format_ts(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, to the second like the page's example.

    Seconds are enough: ``seq`` orders messages observed within one second.
    A naive datetime is taken as UTC rather than as local time, because a
    box has no time zone.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp (``Z`` or an offset, fractions allowed).

    Returns None for anything unusable so that callers can reject the
    message instead of crashing the network thread.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def decode_payload(raw: bytes) -> dict[str, Any] | None:
    """A JSON object, or None when the page says to reject the payload
    (over 16 KiB, not UTF-8 JSON, not an object)."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _number(value: object, default: float) -> float:
    """A positive number from the config, else the default (a bad value
    must not stop the box from reporting)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return default
    return float(value)


@dataclass(frozen=True)
class BoxConfig:
    """The retained ``P/config``.

    Before any config arrives the box reports positions (``always``): the
    platform always pushes a retained config, and a box that stays silent
    about its position could never be checked at a return station.
    """

    telemetry_interval_s: float = 30.0
    parked_interval_s: float = 900.0
    send_position: str = "always"
    key_public_key: str | None = None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> BoxConfig:
        """A config is a whole document: a missing field takes its default."""
        policy = data.get("send_position")
        if policy not in POSITION_POLICIES:
            if policy is not None:
                log.warning("unknown send_position %r ignored", policy)
            policy = cls.send_position
        key = data.get("key_public_key")
        return cls(
            telemetry_interval_s=_number(data.get("telemetry_interval_s"), 30.0),
            parked_interval_s=_number(data.get("parked_interval_s"), 900.0),
            send_position=str(policy),
            key_public_key=key if isinstance(key, str) and key else None,
        )


def normalise_uid(uid: str) -> str:
    """Badge UIDs are hex: compare them case-insensitively."""
    return uid.strip().upper()


@dataclass(frozen=True)
class AccessEntry:
    booking_id: str
    badge_uid: str
    valid_from: datetime
    valid_until: datetime

    def valid_at(self, now: datetime) -> bool:
        """Half-open window ``valid_from <= now < valid_until``, as on the page."""
        return self.valid_from <= now < self.valid_until


@dataclass(frozen=True)
class AccessList:
    """The retained ``P/access``; entries that miss a field are skipped, not
    the whole list, so one bad booking cannot lock every driver out."""

    version: int
    entries: tuple[AccessEntry, ...] = ()

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> AccessList | None:
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            return None
        entries: list[AccessEntry] = []
        raw_entries = data.get("entries")
        for raw in raw_entries if isinstance(raw_entries, list) else []:
            if not isinstance(raw, dict):
                continue
            booking_id, uid = raw.get("booking_id"), raw.get("badge_uid")
            start, end = parse_ts(raw.get("valid_from")), parse_ts(raw.get("valid_until"))
            if not isinstance(booking_id, str) or not isinstance(uid, str) or not start or not end:
                log.warning("access entry %r ignored: missing or bad field", raw)
                continue
            entries.append(AccessEntry(booking_id, normalise_uid(uid), start, end))
        return cls(version, tuple(entries))

    def find(self, badge_uid: str, now: datetime) -> AccessEntry | None:
        uid = normalise_uid(badge_uid)
        for entry in self.entries:
            if entry.badge_uid == uid and entry.valid_at(now):
                return entry
        return None

    def valid_at(self, now: datetime) -> list[AccessEntry]:
        return sorted(
            (entry for entry in self.entries if entry.valid_at(now)),
            key=lambda entry: entry.valid_from,
        )


@dataclass(frozen=True)
class DigitalKey:
    box_id: str
    booking_id: str
    key_id: str
    not_before: datetime
    not_after: datetime


class KeyRefused(Exception):
    """A digital key the box must refuse; ``key_id`` is reported when the
    payload could be read at all (it is unverified then, only a hint)."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id


def b64url_decode(text: str) -> bytes:
    """base64url with or without ``=`` padding (the page allows both)."""
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_public_key(encoded: str) -> Ed25519PublicKey:
    """``key_public_key`` is base64 of the 32 raw bytes; the URL-safe
    alphabet is accepted too since both spellings name the same key."""
    text = encoded.strip().replace("-", "+").replace("_", "/")
    raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_key_token(token: str, public_key: str | None, box_id: str, now: datetime) -> DigitalKey:
    """Check a digital key offline, as the page says: Ed25519 signature over
    the payload bytes (the decoded JSON, not its base64 text), then the box
    id, then ``not_before <= now < not_after``. Raises KeyRefused."""
    parts = token.strip().split(".")
    if len(parts) != 2:
        raise KeyRefused("malformed")
    try:
        payload, signature = b64url_decode(parts[0]), b64url_decode(parts[1])
        data = json.loads(payload.decode("utf-8"))
    except (binascii.Error, ValueError):
        raise KeyRefused("malformed") from None
    if not isinstance(data, dict):
        raise KeyRefused("malformed")
    key_id = data.get("key_id") if isinstance(data.get("key_id"), str) else None
    if not public_key:
        raise KeyRefused("no_public_key", key_id)
    try:
        load_public_key(public_key).verify(signature, payload)
    except (binascii.Error, ValueError):
        raise KeyRefused("bad_public_key", key_id) from None
    except InvalidSignature:
        raise KeyRefused("bad_signature", key_id) from None
    booking_id, token_box = data.get("booking_id"), data.get("box_id")
    start, end = parse_ts(data.get("not_before")), parse_ts(data.get("not_after"))
    if key_id is None or not isinstance(booking_id, str) or not start or not end:
        raise KeyRefused("malformed", key_id)
    if token_box != box_id:
        raise KeyRefused("wrong_box", key_id)
    if not start <= now < end:
        raise KeyRefused("outside_window", key_id)
    return DigitalKey(box_id, booking_id, key_id, start, end)
