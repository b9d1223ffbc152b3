"""Every table of a statistics snapshot as a CSV file (French spreadsheet
format, as the accounting export: ``;``, decimal comma, UTF-8 with BOM)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flotte.billing.csvfile import Cell, csv_bytes
from flotte.core.errors import NotFound
from flotte.stats.series import SERIES_FIGURES, weekly

FIGURES = [
    "bookings",
    "cancelled",
    "hours_booked",
    "hours_driven",
    "km",
    "trips",
    "available_hours",
    "occupancy_booked_pct",
    "occupancy_driven_pct",
    "active_members",
    "revenue",
    "energy_kwh",
    "fuel_litres",
    "no_shows",
    "late_returns",
    "transfers",
    "carpool_passengers",
    "carpool_passenger_km",
]
DIMENSION_TABLES = {
    "communities": "community",
    "stations": "station",
    "vehicles": "vehicle",
    "groups": "group",
}
TABLES = (
    "totals",
    *DIMENSION_TABLES,
    "months",
    "days",
    "weeks",
    "busy_days",
    "co2",
    "greening",
    "fleet_advice",
)


def _cell(value: Any) -> Cell:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit():
        return Decimal(value)  # amounts are kept as text in the snapshot
    return value  # type: ignore[no-any-return]


def _table(header: list[str], rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes(header, [[_cell(row.get(name)) for name in header] for row in rows])


def table_csv(data: dict[str, Any], table: str) -> bytes:
    """One table of a snapshot's data as CSV."""
    if table == "totals":
        return _table(FIGURES, [data["totals"]])
    if table in DIMENSION_TABLES:
        rows = data["dimensions"][DIMENSION_TABLES[table]]
        return _table(["key", "label", *FIGURES], rows)
    if table == "months":
        return _table(["month", *FIGURES], data["months"])
    if table in ("days", "weeks"):
        # Snapshots computed before the daily series existed have none yet.
        days = data.get("days") or []
        header = ["day", *SERIES_FIGURES, "occupancy_booked_pct", "occupancy_driven_pct"]
        return _table(header, days if table == "days" else weekly(days))
    if table == "busy_days":
        header = ["day", "failed_searches", "peak_in_use", "fleet", "over_threshold"]
        return _table(header, data["busy_days"])
    if table in ("co2", "greening"):
        row = data[table]
        return _table(list(row), [row])
    if table == "fleet_advice":
        rows = [
            {
                "station_id": s["station_id"],
                "station": s["station"],
                "current_vehicles": s["vehicles"],
                "requests": s["requests"],
                "failed_searches": s["failed_searches"],
                "advised_vehicles": s["advised_vehicles"],
                "vehicles": point["vehicles"],
                "not_served": point["not_served"],
            }
            for s in data["fleet_advice"]["stations"]
            for point in s["curve"]
        ]
        header = [
            "station_id",
            "station",
            "current_vehicles",
            "requests",
            "failed_searches",
            "advised_vehicles",
            "vehicles",
            "not_served",
        ]
        return _table(header, rows)
    raise NotFound(f"no table {table}", code="no_table")
