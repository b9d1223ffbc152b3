from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from flotte.core.tenancy import TenantManager

# Labels in English only: members read the states through the API's codes;
# the pages that show them translate them there.


class CarpoolOffer(models.Model):
    """A driver offers the free seats of one of their bookings for a trip
    to a destination (a point, or one of the organisation's stations)."""

    class State(models.TextChoices):
        OPEN = "open", "open"
        CANCELLED = "cancelled", "cancelled"

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="carpool_offers"
    )
    community = models.ForeignKey(
        "accounts.Community", on_delete=models.PROTECT, related_name="carpool_offers"
    )
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="carpool_offers"
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="carpool_offers"
    )
    origin_station = models.ForeignKey(
        "fleet.Station", on_delete=models.PROTECT, related_name="carpool_departures"
    )
    destination = models.CharField(max_length=200)
    destination_station = models.ForeignKey(
        "fleet.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carpool_arrivals",
    )
    destination_latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    destination_longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    departure_at = models.DateTimeField()
    # None: one way.
    return_at = models.DateTimeField(null=True, blank=True)
    seats = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["CarpoolOffer"]()

    class Meta:
        ordering = ["departure_at"]
        indexes = [models.Index(fields=["community", "state", "departure_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="carpool_offer_seats"),
            models.CheckConstraint(
                condition=models.Q(return_at__isnull=True)
                | models.Q(return_at__gt=models.F("departure_at")),
                name="carpool_return_after_departure",
            ),
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(state="open"),
                name="one_open_carpool_offer_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"carpool offer {self.pk} to {self.destination}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class CarpoolRequest(models.Model):
    """A member asks to join an offer; the driver accepts or declines."""

    class State(models.TextChoices):
        PENDING = "pending", "waiting for the driver"
        ACCEPTED = "accepted", "accepted"
        DECLINED = "declined", "declined"
        CANCELLED = "cancelled", "cancelled with the offer"

    LIVE = (State.PENDING, State.ACCEPTED)

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="carpool_requests"
    )
    offer = models.ForeignKey(CarpoolOffer, on_delete=models.CASCADE, related_name="requests")
    passenger = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="carpool_requests"
    )
    seats = models.PositiveSmallIntegerField(default=1)
    message = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["CarpoolRequest"]()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="carpool_request_seats"),
            models.UniqueConstraint(
                fields=["offer", "passenger"],
                condition=models.Q(state__in=["pending", "accepted"]),
                name="one_live_carpool_request_per_passenger",
            ),
        ]

    def __str__(self) -> str:
        return f"carpool request {self.pk} on offer {self.offer_id}"
