from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager


class Booking(models.Model):
    """A member's booking of a vehicle. The vehicle is blocked from ``start``
    to ``blocked_until`` (the end plus the buffer): two confirmed or started
    bookings of one vehicle never overlap there. On PostgreSQL an exclusion
    constraint holds this (migration 0002); on SQLite the check runs in a
    write-locked transaction."""

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        STARTED = "started", _("started")
        ENDED = "ended", _("ended")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")

    BLOCKING = (State.CONFIRMED, State.STARTED)

    class Use(models.TextChoices):
        BUSINESS = "business", _("business")
        PRIVATE = "private", _("private")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="bookings"
    )
    community = models.ForeignKey(
        "accounts.Community", on_delete=models.PROTECT, related_name="bookings"
    )
    vehicle = models.ForeignKey("fleet.Vehicle", on_delete=models.PROTECT, related_name="bookings")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_until = models.DateTimeField()
    original_start = models.DateTimeField(help_text=_("Cancellation deadlines count from it."))
    use = models.CharField(max_length=10, choices=Use.choices, default=Use.BUSINESS)
    purpose = models.CharField(max_length=200, blank=True)
    cost_centre = models.CharField(max_length=50, blank=True)
    destination = models.CharField(max_length=200, blank=True)
    declared_km = models.PositiveIntegerField(default=0)
    tariff = models.ForeignKey(
        "pricing.Tariff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quoted_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CONFIRMED)
    cancellation_fee = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    actual_km = models.PositiveIntegerField(null=True, blank=True)
    # The price from the actual times and km, penalties included.
    final_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    late_penalty = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    # iCalendar SEQUENCE: grows on every change the member should see.
    sequence = models.PositiveIntegerField(default=0)

    tenant_path = "organisation"
    objects = TenantManager["Booking"]()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["vehicle", "start"]),
            models.Index(fields=["member", "start"]),
            # The overlap checks (search, booking, change) ask for a
            # vehicle's blocking bookings that end after a time: a few dozen
            # rows, where the (vehicle, start) index walks its whole history.
            models.Index(
                fields=["vehicle", "blocked_until"],
                condition=models.Q(state__in=["confirmed", "started"]),
                name="booking_blocking_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_ends_after_start"
            ),
            # Blocked until the end plus the buffer, or until an early
            # return plus the buffer: in any case after the start.
            models.CheckConstraint(
                condition=models.Q(blocked_until__gt=models.F("start")),
                name="booking_blocked_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} of {self.vehicle_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def blocking(self) -> bool:
        return self.state in self.BLOCKING


class Transfer(models.Model):
    """A booking moved to another vehicle, or the attempt when none was free."""

    class Reason(models.TextChoices):
        LATE_RETURN = "late_return", _("the previous driver is late")
        LOW_ENERGY = "low_energy", _("the vehicle will not be charged or fuelled enough")
        OUT_OF_SERVICE = "out_of_service", _("the vehicle is out of service")
        MANUAL = "manual", _("moved by a manager")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="transfers"
    )
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="transfers")
    from_vehicle = models.ForeignKey("fleet.Vehicle", on_delete=models.PROTECT, related_name="+")
    to_vehicle = models.ForeignKey(
        "fleet.Vehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    tenant_path = "organisation"
    objects = TenantManager["Transfer"]()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"transfer of booking {self.booking_id} ({self.reason})"

    @property
    def succeeded(self) -> bool:
        return self.to_vehicle_id is not None


class ManagerAlert(models.Model):
    """Something a fleet manager must look at (a late return, a booking
    that could not be transferred), with what the platform suggests."""

    class Kind(models.TextChoices):
        LATE_RETURN = "late_return", _("late return")
        TRANSFER_FAILED = "transfer_failed", _("no vehicle to transfer a booking to")
        TAMPER = "tamper", _("tampering with a box")
        CRASH = "crash", _("crash reported by a box")
        UNAUTHORIZED_DOOR = "unauthorized_door", _("door opened without access")
        IMMOBILIZER = "immobilizer", _("immobilizer released outside a booking")
        CONTACT_LOST = "contact_lost", _("contact with a box lost")
        DAMAGE = "damage", _("damage reported")
        ACCIDENT = "accident", _("accident reported")
        BREAKDOWN = "breakdown", _("breakdown reported")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    vehicle = models.ForeignKey(
        "fleet.Vehicle", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    message = models.CharField(max_length=300)
    # Free vehicles elsewhere that could serve, as suggestions.
    alternatives = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["ManagerAlert"]()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="one_alert_per_booking_kind")
        ]

    def __str__(self) -> str:
        return self.message
