from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager


class Inspection(models.Model):
    """The driver's inspection (état des lieux) of the booked vehicle,
    before the first unlock (check-in) or before ending the trip
    (check-out). A submitted inspection is never changed again."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("check-in")
        CHECK_OUT = "check_out", _("check-out")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="inspections"
    )
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="inspections"
    )
    vehicle = models.ForeignKey(
        "fleet.Vehicle", on_delete=models.PROTECT, related_name="inspections"
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # [{view, x, y, kind, note}]: see flotte.inspections.marks.
    marks = models.JSONField(default=list, blank=True)
    energy_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    odometer_km = models.PositiveIntegerField(null=True, blank=True)
    cleanliness = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A damage excess charged for new damage found at this check-out.
    invoice = models.OneToOneField(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="damage_inspection",
    )

    tenant_path = "organisation"
    objects = TenantManager["Inspection"]()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="one_inspection_per_kind"),
            models.CheckConstraint(
                condition=models.Q(energy_pct__isnull=True) | models.Q(energy_pct__lte=100),
                name="inspection_energy_pct_range",
            ),
            models.CheckConstraint(
                condition=models.Q(cleanliness__isnull=True)
                | models.Q(cleanliness__gte=1, cleanliness__lte=5),
                name="inspection_cleanliness_range",
            ),
        ]
        indexes = [models.Index(fields=["vehicle", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.kind} inspection of booking {self.booking_id}"

    @property
    def editable(self) -> bool:
        return self.state == self.State.DRAFT


class Incident(models.Model):
    """Something a member reports about a vehicle: damage, dirt, an
    accident, a fuel card problem, a breakdown. A manager acknowledges it,
    then resolves it; a damage excess may be charged once."""

    class Kind(models.TextChoices):
        DAMAGE = "damage", _("damage")
        DIRT = "dirt", _("dirt")
        ACCIDENT = "accident", _("accident")
        FUEL_CARD = "fuel_card", _("fuel card")
        BREAKDOWN = "breakdown", _("breakdown")
        OTHER = "other", _("other")

    ALERTING = (Kind.DAMAGE, Kind.ACCIDENT, Kind.BREAKDOWN)

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", _("resolved")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="incidents"
    )
    vehicle = models.ForeignKey("fleet.Vehicle", on_delete=models.PROTECT, related_name="incidents")
    booking = models.ForeignKey(
        "booking.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.TextField(max_length=4000)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, max_length=2000)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invoice = models.OneToOneField(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="damage_incident",
    )

    tenant_path = "organisation"
    objects = TenantManager["Incident"]()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["vehicle", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} incident {self.pk} on vehicle {self.vehicle_id}"


def photo_path(instance: Photo, filename: str) -> str:
    # Random names under a private folder: never served by the web server,
    # only through the API's permission checks.
    return f"inspections/{instance.organisation_id}/{secrets.token_hex(16)}.jpg"


class Photo(models.Model):
    """A photo of an inspection (one per angle) or of an incident, checked
    and re-encoded as JPEG without its metadata."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    inspection = models.ForeignKey(
        Inspection, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    angle = models.CharField(max_length=30, blank=True)
    image = models.FileField(upload_to=photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["Photo"]()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(inspection__isnull=False, incident__isnull=True)
                | models.Q(inspection__isnull=True, incident__isnull=False),
                name="photo_of_inspection_or_incident",
            )
        ]

    def __str__(self) -> str:
        return f"photo {self.pk}"
