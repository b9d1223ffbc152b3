"""Bulk writes of the gateway: a whole batch in a few statements.

On PostgreSQL a batch goes by COPY into a temporary table, then one INSERT
or UPDATE joins it to the real table; on SQLite the temporary table is
filled with executemany. Table and column names below are this module's
constants, never input; values always travel as parameters or COPY data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

STAGING_TYPES = {
    "bigint": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "time": "timestamp with time zone",
    "text": "varchar(64)",
}

# Vehicle state fields: (state column, its time column, value type).
STATE_FIELDS = (
    ("odometer_km", "odometer_at", "float"),
    ("energy_pct", "energy_at", "float"),
    ("ignition", "ignition_at", "bool"),
    ("locked", "locked_at", "bool"),
    ("doors_closed", "doors_closed_at", "bool"),
    ("charging", "charging_at", "bool"),
    ("key_present", "key_present_at", "bool"),
    ("immobilized", "immobilized_at", "bool"),
)
# Fields set together with another's time: energy kind and range go with
# the energy percentage, longitude and accuracy with the latitude.
COMPANIONS = {
    "energy_pct": (("energy_kind", "text"), ("range_km", "float")),
    "latitude": (("longitude", "float"), ("accuracy_m", "float")),
}
STATE_GROUPS = (*STATE_FIELDS, ("latitude", "position_at", "float"))


def state_columns() -> list[tuple[str, str]]:
    """The staging columns of a state merge, in order: vehicle, organisation,
    then each field, its companions and its time."""
    columns = [("vehicle_id", "bigint"), ("organisation_id", "bigint")]
    for column, stamp, kind in STATE_GROUPS:
        columns.append((column, kind))
        columns.extend(COMPANIONS.get(column, ()))
        columns.append((stamp, "time"))
    return columns


def db_value(value: Any) -> Any:
    """A value as the database driver wants it (SQLite: datetimes as text)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _stage(name: str, columns: Sequence[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
    """Fill the temporary table ``name`` with ``rows``."""
    names = ", ".join(column for column, _ in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            definition = ", ".join(f"{c} {STAGING_TYPES[t]}" for c, t in columns)
            # A plain temporary table, emptied before use: cheaper than
            # TRUNCATE or ON COMMIT DELETE ROWS, which both truncate files.
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({definition})")
            cursor.execute(f"DELETE FROM {name}")  # noqa: S608
            raw = cursor.cursor
            with raw.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            definition = ", ".join(f"{c} {STAGING_TYPES[t]}" for c, t in columns)
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({definition})")
            cursor.execute(f"DELETE FROM {name}")  # noqa: S608
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {name} ({names}) VALUES ({marks})",  # noqa: S608
                [tuple(db_value(v) for v in row) for row in rows],
            )


def insert_new(table: str, columns: Sequence[tuple[str, str]], rows: list[tuple[Any, ...]]) -> int:
    """Insert the rows whose (box, seq) is not stored yet; how many were new.
    Duplicates inside the batch are dropped too."""
    if not rows:
        return 0
    staging = f"incoming_{table.split('_', 1)[1]}"
    _stage(staging, columns, rows)
    names = ", ".join(column for column, _ in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
            "WHERE true ON CONFLICT (box_id, seq) DO NOTHING"
        )
        return max(cursor.rowcount, 0)


def merge_states(rows: list[tuple[Any, ...]]) -> None:
    """Merge each vehicle's newest observations into its state, field by
    field: a field changes only when the staged time is at least as recent
    as the stored one (a message replayed late never goes back in time)."""
    if not rows:
        return
    columns = state_columns()
    _stage("incoming_state", columns, rows)
    assignments = []
    for column, stamp, _ in STATE_GROUPS:
        newer = f"v.{stamp} IS NOT NULL AND (s.{stamp} IS NULL OR s.{stamp} <= v.{stamp})"
        for name in (column, *(c for c, _ in COMPANIONS.get(column, ())), stamp):
            assignments.append(f"{name} = CASE WHEN {newer} THEN v.{name} ELSE s.{name} END")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO telematics_vehiclestate (vehicle_id, organisation_id, energy_kind) "
            "SELECT vehicle_id, organisation_id, '' FROM incoming_state WHERE true "
            "ON CONFLICT (vehicle_id) DO NOTHING"
        )
        if connection.vendor == "postgresql":
            # Rows locked in one order: two gateways sharing the load never
            # deadlock on the same vehicles.
            cursor.execute(
                "SELECT 1 FROM telematics_vehiclestate WHERE vehicle_id IN "
                "(SELECT vehicle_id FROM incoming_state) ORDER BY vehicle_id FOR UPDATE"
            )
        cursor.execute(
            f"UPDATE telematics_vehiclestate AS s SET {', '.join(assignments)} "  # noqa: S608
            "FROM incoming_state AS v WHERE s.vehicle_id = v.vehicle_id"
        )


def touch_boxes(seen: list[tuple[int, dt.datetime]]) -> None:
    """Move each box's ``last_seen_at`` forward (never back)."""
    if not seen:
        return
    _stage("incoming_box", [("id", "bigint"), ("seen_at", "time")], seen)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE fleet_box AS b SET last_seen_at = v.seen_at FROM incoming_box AS v "
            "WHERE b.id = v.id AND (b.last_seen_at IS NULL OR b.last_seen_at < v.seen_at)"
        )
