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

from flotte.accounts.models import Organisation
from flotte.accounts.parameters import param_values
from flotte.core import clock
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box
from flotte.telematics import params, protocol
from flotte.telematics.models import Command, RejectedMessage, Trip

log = logging.getLogger(__name__)

STATE_FIELDS = (
    # (state column, its timestamp column, telemetry attribute)
    ("odometer_km", "odometer_at", "odometer_km"),
    ("energy_pct", "energy_at", "energy_pct"),
    ("ignition", "ignition_at", "ignition"),
    ("locked", "locked_at", "locked"),
    ("doors_closed", "doors_closed_at", "doors_closed"),
    ("charging", "charging_at", "charging"),
    ("key_present", "key_present_at", "key_present"),
    ("immobilized", "immobilized_at", "immobilized"),
)
TELEMETRY_COLUMNS = (
    "box_id",
    "organisation_id",
    "vehicle_id",
    "seq",
    "ts",
    "received_at",
    "odometer_km",
    "energy_pct",
    "range_km",
    "ignition",
    "locked",
    "doors_closed",
    "charging",
    "key_present",
    "immobilized",
    "latitude",
    "longitude",
    "accuracy_m",
)
EVENT_COLUMNS = (
    "box_id",
    "organisation_id",
    "vehicle_id",
    "seq",
    "ts",
    "received_at",
    "type",
    "source",
    "badge_uid",
    "booking_ref",
    "key_id",
    "outcome",
)


# (observed at, seq, telemetry, may the position go into the state)
Observation = tuple[dt.datetime, int, protocol.Telemetry, bool]


@dataclass(frozen=True)
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
    policies = {}
    for organisation_id in set(organisation_ids):
        values = param_values(
            [params.POSITION_POLICY.key, params.POSITION_PURPOSE.key],
            organisation=Organisation(pk=organisation_id),
        )
        policies[organisation_id] = effective_policy(
            values[params.POSITION_POLICY.key], values[params.POSITION_PURPOSE.key]
        )
    return policies


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _insert_ignoring_duplicates(table: str, columns: Sequence[str], rows: list[tuple]) -> int:
    """Insert rows, dropping those whose (box, seq) is already stored;
    returns how many were new."""
    if not rows:
        return 0
    # Table and column names are this module's constants, never input.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT (box_id, seq) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)


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
        rejections.append(
            RejectedMessage(
                received_at=incoming.received_at,
                topic=incoming.topic[:300],
                box_id=box_id[:64],
                reason=reason,
                detail=detail[:300],
                excerpt=incoming.payload[:300].decode("utf-8", "replace"),
            )
        )

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
    private = set(
        Trip.objects.filter(
            vehicle_id__in=vehicles, ended_at__isnull=True, private_mode=True
        ).values_list("vehicle_id", flat=True)
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
                _db_time(message.ts),
                _db_time(incoming.received_at),
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
    stored = _insert_ignoring_duplicates("telematics_telemetry", TELEMETRY_COLUMNS, records)
    _update_states(latest, {b.vehicle_id: b.organisation_id for _, _, b in rows})
    return stored


def _update_states(
    latest: dict[int, list[Observation]],
    organisations: dict[int | None, int | None],
) -> None:
    """Merge the batch into each vehicle's state, field by field, keeping
    whichever observation is newer (in the batch or in the database)."""
    if not latest:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO telematics_vehiclestate (vehicle_id, organisation_id, energy_kind) "
            "VALUES (%s, %s, '') ON CONFLICT (vehicle_id) DO NOTHING",
            [(vehicle, organisations[vehicle]) for vehicle in latest],
        )
        grouped: dict[str, list[list[Any]]] = {}
        for vehicle, observations in latest.items():
            sql, values = _state_update(vehicle, observations)
            if sql:
                grouped.setdefault(sql, []).append(values)
        for sql, rows in grouped.items():
            cursor.executemany(sql, rows)


def _state_update(vehicle: int, observations: list[Observation]) -> tuple[str, list[Any]]:
    newest: dict[str, tuple[dt.datetime, Any]] = {}

    def offer(name: str, ts: dt.datetime, value: Any) -> None:
        # Observations come in seq order: at the same second, the later wins.
        if value is not None and (name not in newest or newest[name][0] <= ts):
            newest[name] = (ts, value)

    for ts, _, telemetry, position_allowed in sorted(observations, key=lambda o: (o[0], o[1])):
        for column, _, attribute in STATE_FIELDS:
            offer(column, ts, getattr(telemetry, attribute))
        if telemetry.energy_pct is not None:
            offer("energy", ts, (telemetry.energy_kind, telemetry.range_km))
        if position_allowed:
            offer("position", ts, (telemetry.latitude, telemetry.longitude, telemetry.accuracy_m))
    assignments: list[str] = []
    values: list[Any] = []

    def guarded(columns: Sequence[str], stamp: str, ts: dt.datetime, new: Sequence[Any]) -> None:
        # Timestamps have a resolution of a second: at the same second, the
        # message stored last (the later one) wins.
        condition = f"({stamp} IS NULL OR {stamp} <= %s)"
        for column, value in zip(columns, new, strict=True):
            assignments.append(f"{column} = CASE WHEN {condition} THEN %s ELSE {column} END")
            values.extend([_db_time(ts), value])
        assignments.append(f"{stamp} = CASE WHEN {condition} THEN %s ELSE {stamp} END")
        values.extend([_db_time(ts), _db_time(ts)])

    # The stamp column is assigned last in each group: the CASE conditions
    # of the group read the old stamp (SET expressions see the old row).
    for column, stamp, _ in STATE_FIELDS:
        if column in newest:
            ts, value = newest[column]
            if column == "energy_pct" and "energy" in newest:
                kind, range_km = newest["energy"][1]
                guarded(
                    ("energy_pct", "energy_kind", "range_km"), stamp, ts, (value, kind, range_km)
                )
            else:
                guarded((column,), stamp, ts, (value,))
    if "position" in newest:
        ts, (lat, lon, accuracy) = newest["position"]
        guarded(("latitude", "longitude", "accuracy_m"), "position_at", ts, (lat, lon, accuracy))
    if not assignments:
        return "", []
    values.append(vehicle)
    # Column names are this module's constants; values go as parameters.
    return (
        f"UPDATE telematics_vehiclestate SET {', '.join(assignments)} "  # noqa: S608
        "WHERE vehicle_id = %s",
        values,
    )


def _store_events(rows: list[tuple[protocol.Message, Incoming, _BoxRow]]) -> int:
    records = [
        (
            box.pk,
            box.organisation_id,
            box.vehicle_id,
            message.seq,
            _db_time(message.ts) if message.ts else None,
            _db_time(incoming.received_at),
            message.event_type,
            message.source,
            message.badge_uid,
            message.booking_ref,
            message.key_id,
            "refused by the box" if message.extra.get("refused") else "",
        )
        for message, incoming, box in rows
    ]
    return _insert_ignoring_duplicates("telematics_boxevent", EVENT_COLUMNS, records)


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
                _db_time(at),
                message.firmware,
                message.firmware,
                box.pk,
                _db_time(at),
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
    if not seen:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE fleet_box SET last_seen_at = %s WHERE id = %s "
            "AND (last_seen_at IS NULL OR last_seen_at < %s)",
            [(_db_time(at), pk, _db_time(at)) for pk, at in seen.items()],
        )


def reject_unhandled(incoming: Incoming, error: Exception) -> BatchResult:
    """Set aside a message the platform failed to handle, for the operator."""
    with cross_tenant("a box message that failed"):
        RejectedMessage.objects.create(
            received_at=incoming.received_at,
            topic=incoming.topic[:300],
            reason=RejectedMessage.Reason.UNHANDLED,
            detail=f"{type(error).__name__}: {error}"[:300],
            excerpt=incoming.payload[:300].decode("utf-8", "replace"),
        )
    result = BatchResult(received=1)
    result.rejected[RejectedMessage.Reason.UNHANDLED] += 1
    return result
