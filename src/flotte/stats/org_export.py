"""Everything about one organisation over a period, for its own reporting:
a zip of CSV files (French spreadsheet format, see
:mod:`flotte.billing.csvfile`): every statistics table, the satisfaction
results, and the rows behind them (bookings, trips, invoices, members,
vehicles, stations).

People are pseudonymised: a member is a code (``M-`` and 12 hex digits),
the same in every file and every export of this organisation, different in
another organisation's, that only the platform can tie back to a person
(an HMAC of the organisation and the account under ``SECRET_KEY``). No
name, e-mail, phone, birth date, licence, position or free text a member
typed (purposes, destinations, survey comments) leaves in it: the file is
made to leave the platform, for spreadsheets and elected officials, where
the figures need no identity. Managers see the people in the console, and
the accountant gets the buyers' names in the accounting export."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
import zipfile
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count

from flotte.accounts.models import DriverApproval, Membership, Organisation, User
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.billing.csvfile import Cell, csv_bytes
from flotte.billing.models import Invoice
from flotte.booking.models import Booking
from flotte.fleet.models import Station, Vehicle
from flotte.notify.surveys import SurveyResult, survey_results
from flotte.stats.exports import TABLES, table_csv
from flotte.stats.services import statistics_of
from flotte.stats.snapshots import Snapshot, period_key, snapshot_compute
from flotte.telematics.models import Trip


def pseudonym(organisation_id: int, user_id: int | None) -> str:
    """A member's code in this organisation's exports ('' for nobody)."""
    if user_id is None:
        return ""
    return _code(settings.SECRET_KEY, organisation_id, user_id)


@functools.lru_cache(maxsize=65536)  # a year's bookings name a few hundred members
def _code(secret: str, organisation_id: int, user_id: int) -> str:
    message = f"member:{organisation_id}:{user_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256)
    return f"M-{digest.hexdigest()[:12]}"


def _bounds(
    organisation: Organisation, start: dt.date, end: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    return (
        dt.datetime.combine(start, dt.time(), zone),
        dt.datetime.combine(end, dt.time(), zone),
    )


class _Local:
    """Times as the organisation's local time, as text (the CSV cells take
    no datetimes: a spreadsheet would not know the zone)."""

    def __init__(self, organisation: Organisation) -> None:
        self.zone = zoneinfo.ZoneInfo(organisation.time_zone)

    def __call__(self, at: dt.datetime | None) -> str:
        return "" if at is None else f"{at.astimezone(self.zone):%Y-%m-%d %H:%M}"


def _number(value: Any) -> Cell:
    """Floats as decimals (two places in the file)."""
    if value is None:
        return None
    return Decimal(str(round(value, 2)))


def _text_number(value: Any) -> str:
    """A coordinate keeps its precision: decimal comma, as text."""
    return "" if value is None else str(value).replace(".", ",")


def bookings_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """The bookings that start in the period (as in the statistics)."""
    local = _Local(organisation)
    org = organisation.pk
    header = [
        "booking_id",
        "community",
        "station",
        "vehicle",
        "member",
        "booked_by",
        "use",
        "cost_centre",
        "state",
        "start",
        "end",
        "started_at",
        "ended_at",
        "declared_km",
        "actual_km",
        "quoted_total",
        "final_total",
        "cancellation_fee",
        "late_penalty",
        "created_at",
        "cancelled_at",
    ]
    rows: list[list[Cell]] = [
        [
            b["id"],
            b["community__name"],
            b["vehicle__home_station__name"],
            b["vehicle__plate"],
            pseudonym(org, b["member_id"]),
            pseudonym(org, b["booked_by_id"]),
            b["use"],
            b["cost_centre"],
            b["state"],
            local(b["start"]),
            local(b["end"]),
            local(b["started_at"]),
            local(b["ended_at"]),
            b["declared_km"],
            b["actual_km"],
            b["quoted_total"],
            b["final_total"],
            b["cancellation_fee"],
            b["late_penalty"],
            local(b["created_at"]),
            local(b["cancelled_at"]),
        ]
        for b in Booking.objects.filter(organisation=organisation, start__gte=start, start__lt=end)
        .order_by("start", "pk")
        .values(
            "id",
            "community__name",
            "vehicle__home_station__name",
            "vehicle__plate",
            "member_id",
            "booked_by_id",
            "use",
            "cost_centre",
            "state",
            "start",
            "end",
            "started_at",
            "ended_at",
            "declared_km",
            "actual_km",
            "quoted_total",
            "final_total",
            "cancellation_fee",
            "late_penalty",
            "created_at",
            "cancelled_at",
        )
        .iterator(chunk_size=2000)
    ]
    return csv_bytes(header, rows)


def trips_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """The trips the boxes recorded for the period's bookings, without their
    positions."""
    local = _Local(organisation)
    header = [
        "booking_id",
        "vehicle",
        "member",
        "started_at",
        "ended_at",
        "start_source",
        "start_odometer_km",
        "end_odometer_km",
        "start_energy_pct",
        "end_energy_pct",
        "private_mode",
    ]
    rows: list[list[Cell]] = [
        [
            t["booking_id"],
            t["vehicle__plate"],
            pseudonym(organisation.pk, t["booking__member_id"]),
            local(t["started_at"]),
            local(t["ended_at"]),
            t["start_source"],
            _number(t["start_odometer_km"]),
            _number(t["end_odometer_km"]),
            _number(t["start_energy_pct"]),
            _number(t["end_energy_pct"]),
            t["private_mode"],
        ]
        for t in Trip.objects.filter(
            organisation=organisation, booking__start__gte=start, booking__start__lt=end
        )
        .order_by("started_at", "pk")
        .values(
            "booking_id",
            "vehicle__plate",
            "booking__member_id",
            "started_at",
            "ended_at",
            "start_source",
            "start_odometer_km",
            "end_odometer_km",
            "start_energy_pct",
            "end_energy_pct",
            "private_mode",
        )
        .iterator(chunk_size=2000)
    ]
    return csv_bytes(header, rows)


def invoices_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """The invoices and credit notes issued in the period (as the revenue
    counts them), the buyer as a member's code."""
    header = [
        "number",
        "kind",
        "issue_date",
        "credits",
        "booking_id",
        "buyer",
        "business_buyer",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
    ]
    rows: list[list[Cell]] = []
    for i in (
        Invoice.objects.filter(
            organisation=organisation,
            state=Invoice.State.ISSUED,
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .order_by("sequence", "pk")
        .values(
            "number",
            "kind",
            "issue_date",
            "credits__number",
            "booking_id",
            "buyer_id",
            "buyer_snapshot",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
        )
        .iterator(chunk_size=2000)
    ):
        credit = i["kind"] == Invoice.Kind.CREDIT_NOTE
        sign = -1 if credit else 1

        def signed(amount: Decimal | None, sign: int = sign) -> Decimal | None:
            return None if amount is None else sign * amount

        rows.append(
            [
                i["number"],
                i["kind"],
                i["issue_date"],
                i["credits__number"],
                i["booking_id"],
                pseudonym(organisation.pk, i["buyer_id"]),
                bool((i["buyer_snapshot"] or {}).get("business")),
                signed(i["total_excl_vat"]),
                signed(i["total_vat"]),
                signed(i["total_incl_vat"]),
            ]
        )
    return csv_bytes(header, rows)


def members_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """One row per membership of the organisation's communities: the
    member's code, community, group, role, when they joined, their driver
    approval and their bookings and trips in the period."""
    approvals = dict(
        DriverApproval.objects.filter(organisation=organisation).values_list("user_id", "status")
    )
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for row in (
        Booking.objects.filter(organisation=organisation, start__gte=start, start__lt=end)
        .exclude(state=Booking.State.CANCELLED)
        .values("member_id", "community_id")
        .annotate(bookings=Count("id"), trips=Count("started_at"))
    ):
        counts[(row["member_id"], row["community_id"])] = (row["bookings"], row["trips"])
    header = [
        "member",
        "community",
        "group",
        "role",
        "joined_on",
        "driver_approval",
        "bookings",
        "trips",
    ]
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    rows: list[list[Cell]] = []
    for m in (
        Membership.objects.filter(community__organisation=organisation)
        .order_by("community__name", "joined_at", "pk")
        .values("user_id", "community_id", "community__name", "group__name", "role", "joined_at")
    ):
        bookings, trips = counts.get((m["user_id"], m["community_id"]), (0, 0))
        rows.append(
            [
                pseudonym(organisation.pk, m["user_id"]),
                m["community__name"],
                m["group__name"],
                m["role"],
                m["joined_at"].astimezone(zone).date(),
                approvals.get(m["user_id"], ""),
                bookings,
                trips,
            ]
        )
    return csv_bytes(header, rows)


def vehicles_csv(organisation: Organisation) -> bytes:
    """The fleet today (the statistics count the current fleet)."""
    header = [
        "vehicle_id",
        "plate",
        "make",
        "model",
        "category",
        "energy",
        "seats",
        "range_km",
        "battery_kwh",
        "consumption_per_100km",
        "co2_g_km",
        "station_id",
        "station",
        "status",
        "joined_fleet_on",
    ]
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    rows: list[list[Cell]] = [
        [
            v["id"],
            v["plate"],
            v["make"],
            v["model"],
            v["category"],
            v["energy"],
            v["seats"],
            v["range_km"],
            v["battery_kwh"],
            v["consumption_per_100km"],
            v["co2_g_km"],
            v["home_station_id"],
            v["home_station__name"],
            v["status"],
            v["created_at"].astimezone(zone).date(),
        ]
        for v in Vehicle.objects.filter(organisation=organisation)
        .order_by("plate")
        .values(
            "id",
            "plate",
            "make",
            "model",
            "category",
            "energy",
            "seats",
            "range_km",
            "battery_kwh",
            "consumption_per_100km",
            "co2_g_km",
            "home_station_id",
            "home_station__name",
            "status",
            "created_at",
        )
    ]
    return csv_bytes(header, rows)


def stations_csv(organisation: Organisation) -> bytes:
    header = [
        "station_id",
        "name",
        "address",
        "postcode",
        "city",
        "latitude",
        "longitude",
        "parking_spaces",
        "charging_points",
        "active",
        "communities",
    ]
    communities: dict[int, list[str]] = {}
    for station_id, name in Station.communities.through.objects.filter(
        station__organisation=organisation
    ).values_list("station_id", "community__name"):
        communities.setdefault(station_id, []).append(name)
    rows: list[list[Cell]] = [
        [
            s.pk,
            s.name,
            s.address,
            s.postcode,
            s.city,
            _text_number(s.latitude),
            _text_number(s.longitude),
            s.capacity,
            s.charging_points,
            s.active,
            ", ".join(sorted(communities.get(s.pk, []))),
        ]
        for s in Station.objects.filter(organisation=organisation).order_by("name")
    ]
    return csv_bytes(header, rows)


def survey_results_csv(results: Iterable[SurveyResult], by: str) -> bytes:
    """The satisfaction results per vehicle or station (answers, mean
    rating and cleanliness out of 5)."""
    header = [f"{by}_id", by, "answers", "rating", "cleanliness"]
    return csv_bytes(
        header, [[r.id, r.name, r.responses, r.rating, r.cleanliness] for r in results]
    )


def export_zip(
    *,
    actor: User,
    organisation: Organisation,
    start: dt.date,
    end: dt.date,
    statistics: dict[str, Any],
) -> bytes:
    """The zip of a period (``end`` excluded) with the statistics computed
    for it. Organisation managers and the operator only."""
    require_manager_of_organisation(actor, organisation)
    since, until = _bounds(organisation, start, end)
    files: dict[str, bytes] = {
        f"statistics/{table}.csv": table_csv(statistics, table) for table in TABLES
    }
    for by in ("vehicle", "station"):
        results = survey_results(
            actor=actor, organisation=organisation, by=by, start=since, end=until
        )
        files[f"statistics/satisfaction_{by}s.csv"] = survey_results_csv(results, by)
    files["bookings.csv"] = bookings_csv(organisation, since, until)
    files["trips.csv"] = trips_csv(organisation, since, until)
    files["invoices.csv"] = invoices_csv(organisation, since, until)
    files["members.csv"] = members_csv(organisation, since, until)
    files["vehicles.csv"] = vehicles_csv(organisation)
    files["stations.csv"] = stations_csv(organisation)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def organisation_export(
    *, actor: User, organisation: Organisation, start: dt.date, end: dt.date
) -> tuple[Snapshot, bytes | None]:
    """The request path's export: the statistics as last computed; no file
    (``None``) while the background workers compute them, as for the
    statistics themselves."""
    snapshot = statistics_of(actor=actor, organisation=organisation, start=start, end=end)
    if snapshot.data is None:
        return snapshot, None
    return snapshot, export_zip(
        actor=actor, organisation=organisation, start=start, end=end, statistics=snapshot.data
    )


def organisation_export_now(
    *, actor: User, organisation: Organisation, start: dt.date, end: dt.date
) -> bytes:
    """The command line's export: computes the period's statistics first
    (the snapshot is kept, so the console has them too)."""
    require_manager_of_organisation(actor, organisation)
    key = period_key(start, end)
    data = snapshot_compute(organisation.pk, key).data
    return export_zip(actor=actor, organisation=organisation, start=start, end=end, statistics=data)
