"""Statistics in the console: a period's figures by organisation, community,
station, vehicle or user group, the bookings and occupancy chart, busy
days, CO2 avoided, fleet greening, fleet-size advice, satisfaction, every
table as CSV, and the organisation's whole export as a zip.

Heavy figures come from the snapshots the background workers compute
(`stats.services.statistics_of`, as the REST route): the page only reads,
and says "being computed" while the workers are at it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from flotte.core.errors import Conflict, NotFound, ServiceError
from flotte.core.errors import PermissionDenied as Refused
from flotte.notify.surveys import survey_results
from flotte.stats.exports import TABLES
from flotte.stats.org_export import organisation_export, survey_results_csv
from flotte.stats.series import weekly
from flotte.stats.services import statistics_of, statistics_table_csv
from flotte.stats.snapshots import MAX_PERIOD_DAYS, Snapshot
from flotte.web.views.manage import Console, manager_page

BREAKDOWNS = [
    ("organisation", _("Organisation")),
    ("community", _("Community")),
    ("station", _("Station")),
    ("vehicle", _("Vehicle")),
    ("group", _("User group")),
]
# The CSV table of each breakdown (stats.exports).
BREAKDOWN_TABLES = {
    "organisation": "totals",
    "community": "communities",
    "station": "stations",
    "vehicle": "vehicles",
    "group": "groups",
}
SURVEY_TABLES = {"satisfaction_vehicles": "vehicle", "satisfaction_stations": "station"}


class StatisticsForm(forms.Form):
    """The period (both days included; none: the last twelve months), the
    breakdown of the table and the step of the chart."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(label=_("Breakdown"), choices=BREAKDOWNS, required=False)
    step = forms.ChoiceField(
        label=_("Chart"),
        choices=[("day", _("per day")), ("week", _("per week"))],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, until = cleaned.get("start"), cleaned.get("until")
        if (start is None) != (until is None) and not self.has_error("start"):
            if not self.has_error("until"):
                self.add_error(
                    "until" if until is None else "start", _("Give both days of the period.")
                )
        elif start and until:
            if until < start:
                self.add_error("until", _("The end must come after the start."))
            elif (until - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error("until", _("A period is three years at most."))
        cleaned["by"] = cleaned.get("by") or "organisation"
        cleaned["step"] = cleaned.get("step") or "day"
        return cleaned


@dataclass(frozen=True)
class Period:
    start: dt.date | None  # None: the dashboard's last twelve months
    until: dt.date | None

    @property
    def end(self) -> dt.date | None:
        """The day after the last, as the statistics take it."""
        return None if self.until is None else self.until + dt.timedelta(days=1)

    def query(self, **extra: str) -> str:
        params = {}
        if self.start is not None and self.until is not None:
            params = {"start": self.start.isoformat(), "until": self.until.isoformat()}
        return urlencode({**params, **{k: v for k, v in extra.items() if v}})

    def __bool__(self) -> bool:
        return self.start is not None


def _presets(console: Console, current: Period | None, by: str, step: str) -> list[dict[str, Any]]:
    """This month, last month, this year and the last twelve months, as
    links keeping the breakdown and step."""
    today = console.today().date()
    first = today.replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    presets = [
        (gettext("Last twelve months"), Period(None, None)),
        (gettext("This month"), Period(first, next_month - dt.timedelta(days=1))),
        (gettext("Last month"), Period(last_month, first - dt.timedelta(days=1))),
        (
            gettext("This year"),
            Period(today.replace(month=1, day=1), today.replace(month=12, day=31)),
        ),
    ]
    return [
        {"name": name, "query": period.query(by=by, step=step), "current": period == current}
        for name, period in presets
    ]


def _read(console: Console, period: Period) -> Snapshot:
    try:
        return statistics_of(
            actor=console.user,
            organisation=console.organisation,
            start=period.start,
            end=period.end,
        )
    except Refused:
        raise PermissionDenied from None


def _timestamp(day: str, console: Console) -> int:
    return int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), console.zone).timestamp())


def _series_chart(rows: list[dict[str, Any]], console: Console) -> dict[str, Any]:
    """uPlot's columns: the days (or Mondays) as times, bookings, occupancy."""
    return {
        "kind": "time",
        "tz": console.organisation.time_zone,
        "x": [_timestamp(row["day"], console) for row in rows],
        "series": [
            {"label": gettext("Bookings"), "values": [row["bookings"] for row in rows]},
            {
                "label": gettext("Occupancy (%)"),
                "values": [row["occupancy_booked_pct"] for row in rows],
                "axis": "right",
            },
        ],
    }


def _advice_chart(advice: dict[str, Any]) -> dict[str, Any]:
    """Requests not served per station against the change of its fleet
    (−N … +extra vehicles), one line per station."""
    stations = [s for s in advice["stations"] if s["curve"]]
    changes = sorted({p["vehicles"] - s["vehicles"] for s in stations for p in s["curve"]})
    series = []
    for s in stations:
        by_change = {p["vehicles"] - s["vehicles"]: p["not_served"] for p in s["curve"]}
        series.append({"label": s["station"], "values": [by_change.get(c) for c in changes]})
    return {"kind": "steps", "x": changes, "series": series}


ADVICE_CHANGES = (1, 0, -1, -2, -3)


def _advice_rows(advice: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The table's columns: N+1, N, N−1, N−2, N−3 vehicles at each station."""
    labels = [f"N{c:+d}".replace("+0", "").replace("-", "−") for c in ADVICE_CHANGES]
    rows = []
    for s in advice["stations"]:
        by_change = {p["vehicles"] - s["vehicles"]: p["not_served"] for p in s["curve"]}
        rows.append({**s, "not_served": [by_change.get(c) for c in ADVICE_CHANGES]})
    return labels, rows


def _survey_bounds(data: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.fromisoformat(data["start"]), dt.datetime.fromisoformat(data["end"])


def _page(
    request: HttpRequest, console: Console, form: StatisticsForm, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "section": "statistics",
        "form": form,
        "presets": _presets(console, None, "", ""),
        "breakdowns": BREAKDOWNS,
    }
    if not form.is_valid():
        return render(request, "web/manage/statistics.html", console.context(**context), status=400)
    cleaned = form.cleaned_data
    period = Period(cleaned["start"], cleaned["until"])
    by, step = cleaned["by"], cleaned["step"]
    context.update(
        period=period,
        by=by,
        step=step,
        query=period.query(),
        presets=_presets(console, period, by, step),
    )
    try:
        snapshot = _read(console, period)
    except Conflict:
        context["too_many"] = True
        return render(request, "web/manage/statistics.html", console.context(**context), status=409)
    data = snapshot.data
    context["snapshot"] = snapshot
    if data is None:
        # Requested from the background workers by the read, as the API does.
        return render(request, "web/manage/statistics.html", console.context(**context), status=202)
    rows = [{**data["totals"], "label": console.organisation.name, "key": console.organisation.pk}]
    if by != "organisation":
        rows = data["dimensions"][by]
    days = data.get("days")
    series = None if days is None else (days if step == "day" else weekly(days))
    since, until = _survey_bounds(data)
    surveys = {
        by_: survey_results(
            actor=console.user, organisation=console.organisation, by=by_, start=since, end=until
        )
        for by_ in ("vehicle", "station")
    }
    labels, advice_rows = _advice_rows(data["fleet_advice"])
    context.update(
        data=data,
        rows=rows,
        breakdown_table=BREAKDOWN_TABLES[by],
        series=series,
        series_chart=None if series is None else _series_chart(series, console),
        series_table="days" if step == "day" else "weeks",
        advice_labels=labels,
        advice_rows=advice_rows,
        advice_chart=_advice_chart(data["fleet_advice"]),
        surveys=surveys,
        period_start=since,
        period_end=until,
    )
    return render(request, "web/manage/statistics.html", console.context(**context), status=status)


@manager_page
def statistics(request: HttpRequest, console: Console) -> HttpResponse:
    """Organisation managers only, as on the REST route."""
    return _page(request, console, StatisticsForm(request.GET))


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _being_computed(request: HttpRequest, console: Console, period: Period) -> HttpResponse:
    messages.info(
        request,
        gettext(
            "These statistics are being computed by the background workers: "
            "download again in a few minutes."
        ),
    )
    url = reverse("web:manage_statistics", args=[console.organisation.pk])
    query = period.query()
    return redirect(f"{url}?{query}" if query else url)


def _name(period: Period, console: Console) -> str:
    if period:
        return f"{period.start}-{period.until}"
    return f"{console.today().date()}-12-mois"


@manager_page
def statistics_csv(request: HttpRequest, console: Console, table: str) -> HttpResponse:
    """One table of the statistics as CSV, for the period of the page."""
    if table not in TABLES and table not in SURVEY_TABLES:
        raise Http404
    form = StatisticsForm(request.GET)
    if not form.is_valid():
        return _page(request, console, form)
    period = Period(form.cleaned_data["start"], form.cleaned_data["until"])
    filename = f"statistiques-{table}-{_name(period, console)}.csv"
    try:
        if table in SURVEY_TABLES:
            snapshot = _read(console, period)
            if snapshot.data is None:
                return _being_computed(request, console, period)
            since, until = _survey_bounds(snapshot.data)
            results = survey_results(
                actor=console.user,
                organisation=console.organisation,
                by=SURVEY_TABLES[table],
                start=since,
                end=until,
            )
            content: bytes | None = survey_results_csv(results, SURVEY_TABLES[table])
        else:
            snapshot, content = statistics_table_csv(
                actor=console.user,
                organisation=console.organisation,
                table=table,
                start=period.start,
                end=period.end,
            )
    except Refused:
        raise PermissionDenied from None
    except NotFound:
        raise Http404 from None
    except Conflict:
        return _being_computed(request, console, period)
    if content is None:
        return _being_computed(request, console, period)
    return _file(content, "text/csv; charset=utf-8", filename)


@manager_page
def statistics_export(request: HttpRequest, console: Console) -> HttpResponse:
    """Everything of the organisation over a period, as a zip of CSV files
    (`stats.org_export`). A period is needed."""
    form = StatisticsForm(request.GET)
    if form.is_valid() and form.cleaned_data["start"] is None:
        form.add_error("start", gettext("Choose the period to export."))
    if not form.is_valid():
        return _page(request, console, form)
    period = Period(form.cleaned_data["start"], form.cleaned_data["until"])
    assert period.start is not None and period.end is not None
    try:
        _, content = organisation_export(
            actor=console.user,
            organisation=console.organisation,
            start=period.start,
            end=period.end,
        )
    except Refused:
        raise PermissionDenied from None
    except Conflict:
        return _being_computed(request, console, period)
    except ServiceError as error:  # a period the statistics refuse
        form.add_error(None, error.message)
        return _page(request, console, form)
    if content is None:
        return _being_computed(request, console, period)
    name = f"flotte-{console.organisation.slug}-{_name(period, console)}.zip"
    return _file(content, "application/zip", name)
