"""Background tasks of the statistics: thin, they take ids and call a service."""

from __future__ import annotations

import datetime as dt

from flotte.core.tasks import task


@task("stats.compute")
def compute(organisation_id: int, key: str) -> None:
    from flotte.stats.snapshots import snapshot_compute

    snapshot_compute(organisation_id, key)


@task("stats.refresh", every=dt.timedelta(minutes=5))
def refresh() -> int:
    """Queue the snapshots that are requested or stale; returns how many."""
    from flotte.stats.snapshots import snapshots_due

    due = snapshots_due()
    for organisation_id, key in due:
        compute.enqueue(organisation_id, key)
    return len(due)
