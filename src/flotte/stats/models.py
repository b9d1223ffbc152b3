from __future__ import annotations

from django.conf import settings
from django.db import models

from flotte.core.tenancy import TenantManager


class FailedSearch(models.Model):
    """A member's search that found no free vehicle: the busy days and the
    fleet-size advice count them as unmet demand."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="failed_searches"
    )
    community = models.ForeignKey(
        "accounts.Community", on_delete=models.CASCADE, related_name="failed_searches"
    )
    # Set when the search asked for exactly one station.
    station = models.ForeignKey(
        "fleet.Station", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    category = models.CharField(max_length=20, blank=True)
    energy = models.CharField(max_length=20, blank=True)
    searched_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["FailedSearch"]()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["organisation", "start"])]

    def __str__(self) -> str:
        return f"failed search {self.start:%Y-%m-%d %H:%M} in {self.community_id}"


class StatsSnapshot(models.Model):
    """Statistics computed by a background task: the request path reads them
    (through the cache) and never computes them."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="stats_snapshots"
    )
    key = models.CharField(max_length=80)
    data = models.JSONField(default=dict)
    requested_at = models.DateTimeField()
    # None until the background task has computed it.
    computed_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["StatsSnapshot"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="one_snapshot_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.organisation_id}"
