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
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet

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

# A column of a CSV file: its header, the field it reads, and how the
# field's value becomes the cell (None: as it is).
Column = tuple[str, str, Callable[[Any], Cell] | None]


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


def _csv(columns: Sequence[Column], rows: QuerySet[Any]) -> bytes:
    """The CSV of ``rows``: a column per (header, field, conversion), the
    field read with ``values()`` and converted when a conversion is given."""
    fields = [field for _, field, _ in columns]
    conversions = [(field, convert) for _, field, convert in columns]
    body: list[list[Cell]] = [
        [row[field] if convert is None else convert(row[field]) for field, convert in conversions]
        for row in rows.values(*fields).iterator(chunk_size=2000)
    ]
    return csv_bytes([header for header, _, _ in columns], body)


def bookings_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """The bookings that start in the period (as in the statistics)."""
    local = _Local(organisation)
    member = functools.partial(pseudonym, organisation.pk)
    columns: list[Column] = [
        ("booking_id", "id", None),
        ("community", "community__name", None),
        ("station", "vehicle__home_station__name", None),
        ("vehicle", "vehicle__plate", None),
        ("member", "member_id", member),
        ("booked_by", "booked_by_id", member),
        ("use", "use", None),
        ("cost_centre", "cost_centre", None),
        ("state", "state", None),
        ("start", "start", local),
        ("end", "end", local),
        ("started_at", "started_at", local),
        ("ended_at", "ended_at", local),
        ("declared_km", "declared_km", None),
        ("actual_km", "actual_km", None),
        ("quoted_total", "quoted_total", None),
        ("final_total", "final_total", None),
        ("cancellation_fee", "cancellation_fee", None),
        ("late_penalty", "late_penalty", None),
        ("created_at", "created_at", local),
        ("cancelled_at", "cancelled_at", local),
    ]
    return _csv(
        columns,
        Booking.objects.filter(organisation=organisation, start__gte=start, start__lt=end).order_by(
            "start", "pk"
        ),
    )


def trips_csv(organisation: Organisation, start: dt.datetime, end: dt.datetime) -> bytes:
    """The trips the boxes recorded for the period's bookings, without their
    positions."""
    local = _Local(organisation)
    columns: list[Column] = [
        ("booking_id", "booking_id", None),
        ("vehicle", "vehicle__plate", None),
        ("member", "booking__member_id", functools.partial(pseudonym, organisation.pk)),
        ("started_at", "started_at", local),
        ("ended_at", "ended_at", local),
        ("start_source", "start_source", None),
        ("start_odometer_km", "start_odometer_km", _number),
        ("end_odometer_km", "end_odometer_km", _number),
        ("start_energy_pct", "start_energy_pct", _number),
        ("end_energy_pct", "end_energy_pct", _number),
        ("private_mode", "private_mode", None),
    ]
    return _csv(
        columns,
        Trip.objects.filter(
            organisation=organisation, booking__start__gte=start, booking__start__lt=end
        ).order_by("started_at", "pk"),
    )


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
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    columns: list[Column] = [
        ("vehicle_id", "id", None),
        ("plate", "plate", None),
        ("make", "make", None),
        ("model", "model", None),
        ("category", "category", None),
        ("energy", "energy", None),
        ("seats", "seats", None),
        ("range_km", "range_km", None),
        ("battery_kwh", "battery_kwh", None),
        ("consumption_per_100km", "consumption_per_100km", None),
        ("co2_g_km", "co2_g_km", None),
        ("station_id", "home_station_id", None),
        ("station", "home_station__name", None),
        ("status", "status", None),
        ("joined_fleet_on", "created_at", lambda at: at.astimezone(zone).date()),
    ]
    return _csv(columns, Vehicle.objects.filter(organisation=organisation).order_by("plate"))


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
