"""Ingestion of box messages, one batch per transaction.

The gateway hands a batch of raw MQTT messages to :func:`ingest_batch`, and
acknowledges them to the broker only once it returns: nothing is lost if the
process dies mid-batch, since the broker delivers unacknowledged messages
again, and a redelivered message is a duplicate ``(box, seq)`` that the
database drops. Each state field keeps the time the box observed it, so a
message replayed late after an offline spell never overwrites newer state.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from flotte.accounts.parameters import organisation_param_values
from flotte.core import clock
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box
from flotte.telematics import params, protocol, storage
from flotte.telematics.models import Command, RejectedMessage, Trip

log = logging.getLogger(__name__)

TELEMETRY_COLUMNS = (
    ("box_id", "bigint"),
    ("organisation_id", "bigint"),
    ("vehicle_id", "bigint"),
    ("seq", "bigint"),
    ("ts", "time"),
    ("received_at", "time"),
    ("odometer_km", "float"),
    ("energy_pct", "float"),
    ("range_km", "float"),
    ("ignition", "bool"),
    ("locked", "bool"),
    ("doors_closed", "bool"),
    ("charging", "bool"),
    ("key_present", "bool"),
    ("immobilized", "bool"),
    ("latitude", "float"),
    ("longitude", "float"),
    ("accuracy_m", "float"),
)
EVENT_COLUMNS = (
    ("box_id", "bigint"),
    ("organisation_id", "bigint"),
    ("vehicle_id", "bigint"),
    ("seq", "bigint"),
    ("ts", "time"),
    ("received_at", "time"),
    ("type", "text"),
    ("source", "text"),
    ("badge_uid", "text"),
    ("booking_ref", "text"),
    ("key_id", "text"),
    ("outcome", "text"),
)


# (observed at, seq, telemetry, may the position go into the state)
Observation = tuple[dt.datetime, int, protocol.Telemetry, bool]


@dataclass(slots=True)
class Incoming:
    topic: str
    payload: bytes
    received_at: dt.datetime


@dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    boxes_with_events: set[int] = field(default_factory=set)

    def add(self, other: BatchResult) -> None:
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)


@dataclass(frozen=True)
class _BoxRow:
    pk: int
    organisation_id: int | None
    vehicle_id: int | None


@dataclass(frozen=True)
class Privacy:
    """How an organisation's position policy applies to one vehicle now."""

    policy: str
    private_mode: bool = False

    def keep_in_history(self, telemetry: protocol.Telemetry) -> bool:
        if self.private_mode or not telemetry.has_position:
            return False
        return self.policy == "always" or (
            self.policy == "parked_only" and telemetry.ignition is False
        )

    def keep_in_state(self, telemetry: protocol.Telemetry) -> bool:
        """The latest position is kept when parked, even in private mode, as
        the end of a trip checks the return station with it; while driving
        only under the 'always' policy."""
        if self.policy == "never" or not telemetry.has_position:
            return False
        if telemetry.ignition is False:
            return True
        return self.policy == "always" and not self.private_mode


def effective_policy(policy: str, purpose: str) -> str:
    """Tracking at all times needs a stated purpose; without one the
    platform falls back on the default, the edges of bookings."""
    if policy == "always" and not purpose.strip():
        return "booking_edges"
    return policy


def position_policies(organisation_ids: Iterable[int]) -> dict[int, str]:
    keys = [params.POSITION_POLICY.key, params.POSITION_PURPOSE.key]
    return {
        organisation_id: effective_policy(
            values[params.POSITION_POLICY.key], values[params.POSITION_PURPOSE.key]
        )
        for organisation_id, values in organisation_param_values(keys, organisation_ids).items()
    }


def ingest_batch(messages: Sequence[Incoming]) -> BatchResult:
    """Store one batch in one transaction; see the module's docstring."""
    with cross_tenant("box messages of every organisation"):
        return _ingest(messages)


def _ingest(messages: Sequence[Incoming]) -> BatchResult:
    result = BatchResult(received=len(messages))
    now = clock.now()
    parsed: list[tuple[protocol.Message, Incoming]] = []
    rejections: list[RejectedMessage] = []

    def reject(incoming: Incoming, reason: str, detail: str, box_id: str = "") -> None:
        result.rejected[reason] += 1
        log.warning("rejected box message on %s: %s (%s)", incoming.topic[:120], reason, detail)
        rejections.append(_rejection(incoming, reason, detail, box_id))

    for incoming in messages:
        try:
            message = protocol.parse(incoming.topic, incoming.payload, now)
        except protocol.Rejected as error:
            reject(incoming, error.reason, error.detail, error.box_id)
            continue
        parsed.append((message, incoming))

    boxes = {
        row["box_id"]: _BoxRow(row["id"], row["organisation_id"], row["vehicle_id"])
        for row in Box.objects.filter(box_id__in={m.box_id for m, _ in parsed}).values(
            "id", "box_id", "organisation_id", "vehicle_id"
        )
    }
    known: list[tuple[protocol.Message, Incoming, _BoxRow]] = []
    for message, incoming in parsed:
        box = boxes.get(message.box_id)
        if box is None:
            reject(incoming, "unknown_box", f"no box {message.box_id}", message.box_id)
        elif message.kind == "acks" and not _is_uuid(message.command_id):
            reject(incoming, "bad_value", "command_id is not a UUID", message.box_id)
        else:
            known.append((message, incoming, box))

    with transaction.atomic():
        if rejections:
            RejectedMessage.objects.bulk_create(rejections)
        telemetry = [(m, i, b) for m, i, b in known if m.kind == "telemetry"]
        events = [(m, i, b) for m, i, b in known if m.kind == "events"]
        stored_telemetry, stored_events = _store_telemetry(telemetry), _store_events(events)
        result.stored += stored_telemetry + stored_events
        result.duplicates = len(telemetry) + len(events) - stored_telemetry - stored_events
        if stored_events:
            result.boxes_with_events = {b.pk for _, _, b in events}
        for message, incoming, box in known:
            if message.kind == "status":
                _apply_status(message, incoming, box)
                result.stored += 1
            elif message.kind == "acks":
                _apply_ack(message, incoming, box)
                result.stored += 1
        _touch_boxes(known)
    if result.boxes_with_events:
        from flotte.telematics.tasks import handle_box_events

        for box_pk in sorted(result.boxes_with_events):
            handle_box_events.enqueue(box_pk)
    return result


def _rejection(incoming: Incoming, reason: str, detail: str, box_id: str = "") -> RejectedMessage:
    return RejectedMessage(
        received_at=incoming.received_at,
        topic=incoming.topic[:300],
        box_id=box_id[:64],
        reason=reason,
        detail=detail[:300],
        excerpt=incoming.payload[:300].decode("utf-8", "replace"),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _privacy(rows: list[tuple[protocol.Message, Incoming, _BoxRow]]) -> dict[int, Privacy]:
    vehicles = {b.vehicle_id: b.organisation_id for _, _, b in rows if b.vehicle_id}
    if not vehicles:
        return {}
    policies = position_policies(org for org in vehicles.values() if org is not None)
    # Few trips are private at any time: fetch them all rather than filter
    # by the batch's vehicles.
    private = set(
        Trip.objects.filter(ended_at__isnull=True, private_mode=True).values_list(
            "vehicle_id", flat=True
        )
    )
    return {
        vehicle: Privacy(policies.get(org or 0, "never"), vehicle in private)
        for vehicle, org in vehicles.items()
    }


def _store_telemetry(rows: list[tuple[protocol.Message, Incoming, _BoxRow]]) -> int:
    if not rows:
        return 0
    privacy = _privacy(rows)
    never = Privacy("never")
    records = []
    latest: dict[int, list[Observation]] = {}
    for message, incoming, box in rows:
        telemetry = message.telemetry
        assert telemetry is not None and message.ts is not None
        rules = privacy.get(box.vehicle_id or 0, never)
        keep = rules.keep_in_history(telemetry)
        records.append(
            (
                box.pk,
                box.organisation_id,
                box.vehicle_id,
                message.seq,
                message.ts,
                incoming.received_at,
                telemetry.odometer_km,
                telemetry.energy_pct,
                telemetry.range_km,
                telemetry.ignition,
                telemetry.locked,
                telemetry.doors_closed,
                telemetry.charging,
                telemetry.key_present,
                telemetry.immobilized,
                telemetry.latitude if keep else None,
                telemetry.longitude if keep else None,
                telemetry.accuracy_m if keep else None,
            )
        )
        if box.vehicle_id and box.organisation_id:
            latest.setdefault(box.vehicle_id, []).append(
                (message.ts, message.seq or 0, telemetry, rules.keep_in_state(telemetry))
            )
    stored = storage.insert_new("telematics_telemetry", TELEMETRY_COLUMNS, records)
    organisations = {b.vehicle_id: b.organisation_id for _, _, b in rows}
    storage.merge_states(
        [_state_row(vehicle, organisations[vehicle], seen) for vehicle, seen in latest.items()]
    )
    return stored


def _state_row(vehicle: int, organisation: int | None, seen: list[Observation]) -> tuple:
    """The newest observation of each field in the batch, as a staging row
    (see storage.state_columns). At the same second, the later seq wins."""
    newest: dict[str, tuple[dt.datetime, tuple[Any, ...]]] = {}
    for ts, _, telemetry, position_allowed in sorted(seen, key=lambda o: (o[0], o[1])):
        values = {
            "odometer_km": (telemetry.odometer_km,),
            "energy_pct": (telemetry.energy_pct, telemetry.energy_kind, telemetry.range_km),
            "ignition": (telemetry.ignition,),
            "locked": (telemetry.locked,),
            "doors_closed": (telemetry.doors_closed,),
            "charging": (telemetry.charging,),
            "key_present": (telemetry.key_present,),
            "immobilized": (telemetry.immobilized,),
            "latitude": (telemetry.latitude, telemetry.longitude, telemetry.accuracy_m)
            if position_allowed
            else (None,),
        }
        for column, observed in values.items():
            if observed[0] is not None:
                newest[column] = (ts, observed)
    row: list[Any] = [vehicle, organisation]
    for column, _, _ in storage.STATE_GROUPS:
        width = 1 + len(storage.COMPANIONS.get(column, ()))
        if column in newest:
            ts, observed = newest[column]
            row.extend([*observed, ts])
        else:
            row.extend([None] * (width + 1))
    return tuple(row)


def _store_events(rows: list[tuple[protocol.Message, Incoming, _BoxRow]]) -> int:
    records = [
        (
            box.pk,
            box.organisation_id,
            box.vehicle_id,
            message.seq,
            message.ts,
            incoming.received_at,
            message.event_type,
            message.source,
            message.badge_uid,
            message.booking_ref,
            message.key_id,
            "refused by the box" if message.extra.get("refused") else "",
        )
        for message, incoming, box in rows
    ]
    return storage.insert_new("telematics_boxevent", EVENT_COLUMNS, records)


def _apply_status(message: protocol.Message, incoming: Incoming, box: _BoxRow) -> None:
    # Status is live or retained, never replayed from a buffer: the order it
    # reaches the platform is the order that counts (a box clock may lag the
    # time its last will was received).
    at = incoming.received_at
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE fleet_box SET online = %s, status_at = %s, "
            "firmware = CASE WHEN %s <> '' THEN %s ELSE firmware END "
            "WHERE id = %s AND (status_at IS NULL OR status_at <= %s)",
            [
                bool(message.online),
                storage.db_value(at),
                message.firmware,
                message.firmware,
                box.pk,
                storage.db_value(at),
            ],
        )


def _apply_ack(message: protocol.Message, incoming: Incoming, box: _BoxRow) -> None:
    states = {
        "ok": Command.State.ACKED,
        "rejected": Command.State.REJECTED,
        "failed": Command.State.FAILED,
    }
    # A repeated ack finds the command answered already and changes nothing.
    Command.objects.filter(pk=message.command_id, box_id=box.pk, state__in=Command.OPEN).update(
        state=states[message.ack_status],
        answered_at=message.ts or incoming.received_at,
        detail=message.detail[:200],
    )


def _touch_boxes(rows: list[tuple[protocol.Message, Incoming, _BoxRow]]) -> None:
    seen: dict[int, dt.datetime] = {}
    for message, incoming, box in rows:
        at = min(message.ts or incoming.received_at, incoming.received_at)
        if box.pk not in seen or seen[box.pk] < at:
            seen[box.pk] = at
    storage.touch_boxes(list(seen.items()))


def reject_unhandled(incoming: Incoming, error: Exception) -> BatchResult:
    """Set aside a message the platform failed to handle, for the operator."""
    with cross_tenant("a box message that failed"):
        reason = RejectedMessage.Reason.UNHANDLED
        _rejection(incoming, reason, f"{type(error).__name__}: {error}").save()
    result = BatchResult(received=1)
    result.rejected[RejectedMessage.Reason.UNHANDLED] += 1
    return result
