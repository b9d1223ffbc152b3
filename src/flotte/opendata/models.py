from __future__ import annotations

from django.db import models

from flotte.core.tenancy import TenantManager


class PublicVehicleId(models.Model):
    """The random id a vehicle has in the open feed, until its next trip
    ends: a reader cannot follow a car from trip to trip, nor learn its
    plate or database id (GBFS asks ids of free vehicles to rotate)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    vehicle = models.OneToOneField(
        "fleet.Vehicle", on_delete=models.CASCADE, related_name="public_id"
    )
    public_id = models.CharField(max_length=40, unique=True)
    # How many trips of the vehicle had ended when this id was drawn: one
    # more ended trip, and the next feed draws a new id.
    trips_ended = models.PositiveIntegerField(default=0)
    drawn_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["PublicVehicleId"]()

    def __str__(self) -> str:
        return self.public_id
