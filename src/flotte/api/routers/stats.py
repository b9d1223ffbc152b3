"""Statistics for the organisation's managers and the operator: the
dashboard or a period's figures, and every table as CSV. They are computed
in the background; a request only reads the last value, or answers 202
while it is being computed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from flotte.api.common import actor, organisation
from flotte.api.schemas import (
    ErrorOut,
    OperatorStatisticsOut,
    StatisticsOut,
    StatisticsPendingOut,
    StatisticsQuery,
)
from flotte.stats.services import operator_overview, statistics_of, statistics_table_csv
from flotte.stats.snapshots import Snapshot

router = Router(tags=["statistics"])

REFUSED = {403: ErrorOut, 404: ErrorOut}


def _pending(snapshot: Snapshot) -> Status[dict[str, Any]]:
    return Status(202, {"key": snapshot.key, "state": "computing"})


@router.get(
    "/organisations/{org_id}/statistics",
    response={
        200: StatisticsOut,
        202: StatisticsPendingOut,
        400: ErrorOut,
        409: ErrorOut,
        **REFUSED,
    },
)
def statistics(
    request: HttpRequest, org_id: int, query: Query[StatisticsQuery]
) -> Snapshot | Status[dict[str, Any]]:
    """The dashboard (the last twelve months, refreshed hourly) or, with
    ``start`` and ``end``, a period's statistics. 202 while they are being
    computed by the background workers; 409 when ten periods of the
    organisation already wait to be."""
    snapshot = statistics_of(
        actor=actor(request), organisation=organisation(org_id), start=query.start, end=query.end
    )
    return snapshot if snapshot.data is not None else _pending(snapshot)


@router.get(
    "/organisations/{org_id}/statistics/csv",
    response={200: None, 202: StatisticsPendingOut, 400: ErrorOut, 409: ErrorOut, **REFUSED},
)
def statistics_csv(
    request: HttpRequest, org_id: int, table: str, query: Query[StatisticsQuery]
) -> HttpResponse | Status[dict[str, Any]]:
    """One table (``table=``) of the statistics as CSV (French: ``;``, decimal comma,
    UTF-8 with BOM). Tables: totals, communities, stations, vehicles,
    groups, months, days, weeks, busy_days, co2, greening, fleet_advice."""
    snapshot, content = statistics_table_csv(
        actor=actor(request),
        organisation=organisation(org_id),
        table=table,
        start=query.start,
        end=query.end,
    )
    if content is None:
        return _pending(snapshot)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistiques-{table}.csv"'
    return response


@router.get("/operator/statistics", response={200: list[OperatorStatisticsOut], 403: ErrorOut})
def operator_statistics(request: HttpRequest) -> list[dict[str, Any]]:
    """Every organisation's dashboard totals (operator only). Each
    organisation's statistics and CSV tables are at its own routes."""
    return operator_overview(actor=actor(request))
