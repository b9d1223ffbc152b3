"""What managers and the operator ask of the statistics. Reads only: the
figures come from snapshots computed in the background."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flotte.accounts.models import Community, Organisation, User
from flotte.accounts.selectors import is_operator, require_manager_of_organisation
from flotte.core import clock
from flotte.core.errors import PermissionDenied, ValidationFailed
from flotte.fleet.models import Station
from flotte.stats.exports import table_csv
from flotte.stats.models import FailedSearch, StatsSnapshot
from flotte.stats.snapshots import DASHBOARD, Snapshot, period_key, snapshot_read


def failed_search_record(
    *,
    member: User | None,
    community: Community,
    start: dt.datetime,
    end: dt.datetime,
    station_ids: list[int] | None,
    category: str | None,
    energy: str | None,
) -> FailedSearch:
    """Remember a search that found no vehicle (busy days, fleet advice).
    The station is kept when the search asked for exactly one of the
    organisation's."""
    station_id = station_ids[0] if station_ids and len(station_ids) == 1 else None
    if (
        station_id is not None
        and not Station.objects.filter(
            pk=station_id, organisation_id=community.organisation_id
        ).exists()
    ):
        station_id = None
    return FailedSearch.objects.create(
        organisation_id=community.organisation_id,
        community=community,
        station_id=station_id,
        member=member,
        start=start,
        end=end,
        category=category or "",
        energy=energy or "",
        searched_at=clock.now(),
    )


def statistics_of(
    *,
    actor: User,
    organisation: Organisation,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Snapshot:
    """The dashboard (no dates) or a period's statistics, as last computed;
    no data while the background task computes them."""
    require_manager_of_organisation(actor, organisation)
    if (start is None) != (end is None):
        raise ValidationFailed("a period needs both its start and its end", code="bad_period")
    key = DASHBOARD if start is None or end is None else period_key(start, end)
    return snapshot_read(organisation, key)


def statistics_table_csv(
    *,
    actor: User,
    organisation: Organisation,
    table: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[Snapshot, bytes | None]:
    snapshot = statistics_of(actor=actor, organisation=organisation, start=start, end=end)
    if snapshot.data is None:
        return snapshot, None
    return snapshot, table_csv(snapshot.data, table)


def operator_overview(*, actor: User) -> list[dict[str, Any]]:
    """Every organisation's dashboard totals, for the operator's own
    reporting (each organisation's full statistics and exports are at the
    organisation's routes, open to the operator)."""
    if not is_operator(actor):
        raise PermissionDenied("only the operator may see every organisation")
    snapshots = {
        s["organisation_id"]: s
        for s in StatsSnapshot.objects.filter(key=DASHBOARD).values(
            "organisation_id", "computed_at", "data"
        )
    }
    rows = []
    for org_id, name, slug in Organisation.objects.order_by("name").values_list(
        "pk", "name", "slug"
    ):
        snapshot = snapshots.get(org_id)
        data = snapshot["data"] if snapshot and snapshot["computed_at"] else None
        rows.append(
            {
                "organisation_id": org_id,
                "name": name,
                "slug": slug,
                "computed_at": snapshot["computed_at"] if snapshot and data else None,
                "totals": data["totals"] if data else None,
                "co2_kg": data["co2"]["total_kg"] if data else None,
                "low_emission_pct": data["greening"]["low_emission_pct"] if data else None,
            }
        )
    return rows
