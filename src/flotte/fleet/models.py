from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager

BOX_ID = RegexValidator(r"^[A-Za-z0-9_-]{3,64}$", _("3 to 64 letters, digits, _ or -."))
VIN = RegexValidator(r"^[A-HJ-NPR-Z0-9]{17}$", _("A VIN has 17 characters, without I, O or Q."))
BADGE_UID = RegexValidator(r"^[0-9A-F]{8,20}$", _("A badge UID is 8 to 20 hexadecimal digits."))


class Station(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="stations"
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    capacity = models.PositiveSmallIntegerField(_("parking spaces"), default=1)
    charging_points = models.PositiveSmallIntegerField(_("charging points"), default=0)
    one_way_returns = models.BooleanField(
        _("accepts one-way returns"),
        default=False,
        help_text=_("Vehicles from other stations may be returned here."),
    )
    access_notes = models.TextField(_("how to find the cars"), blank=True)
    communities = models.ManyToManyField("accounts.Community", related_name="stations", blank=True)
    active = models.BooleanField(default=True)

    tenant_path = "organisation"
    objects = TenantManager["Station"]()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(charging_points__lte=models.F("capacity")),
                name="charging_points_within_capacity",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="station_has_space"),
        ]

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    class Category(models.TextChoices):
        CITY = "city", _("city car")
        COMPACT = "compact", _("compact")
        FAMILY = "family", _("family car")
        UTILITY = "utility", _("utility van")
        MINIBUS = "minibus", _("minibus (9 seats)")
        LICENCE_FREE = "licence_free", _("licence-free car (sans permis)")

    class Energy(models.TextChoices):
        ELECTRIC = "electric", _("electric")
        PETROL = "petrol", _("petrol")
        DIESEL = "diesel", _("diesel")
        HYBRID = "hybrid", _("hybrid")
        PLUGIN_HYBRID = "plugin_hybrid", _("plug-in hybrid")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("available")
        MAINTENANCE = "maintenance", _("in maintenance")
        OUT_OF_SERVICE = "out_of_service", _("out of service")

    class Accessory(models.TextChoices):
        CHILD_SEAT = "child_seat", _("child seat")
        SNOW_CHAINS = "snow_chains", _("snow chains")
        WINTER_TYRES = "winter_tyres", _("winter tyres")
        BIKE_RACK = "bike_rack", _("bike rack")
        ROOF_BOX = "roof_box", _("roof box")
        TOW_BAR = "tow_bar", _("tow bar")
        WHEELCHAIR_ACCESS = "wheelchair_access", _("wheelchair access")
        CHARGING_CABLE = "charging_cable", _("type 2 charging cable")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="vehicles"
    )
    plate = models.CharField(_("plate"), max_length=12)
    vin = models.CharField(_("VIN"), max_length=17, blank=True, validators=[VIN])
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=60)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.CITY)
    energy = models.CharField(max_length=20, choices=Energy.choices)
    seats = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    range_km = models.PositiveIntegerField(_("range (km)"))
    battery_kwh = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    # kWh/100 km for electric vehicles, litres/100 km otherwise.
    consumption_per_100km = models.DecimalField(max_digits=5, decimal_places=2)
    co2_g_km = models.PositiveSmallIntegerField(_("CO2 (g/km)"), default=0)
    home_station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="home_vehicles"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    status_note = models.CharField(max_length=200, blank=True)
    accessories = models.JSONField(default=list, blank=True)
    carpool_friendly = models.BooleanField(default=False)
    communities = models.ManyToManyField("accounts.Community", related_name="vehicles", blank=True)
    allowed_groups = models.ManyToManyField(
        "accounts.UserGroup",
        related_name="vehicles",
        blank=True,
        help_text=_("Empty: every group of the communities may use it."),
    )
    photo = models.ImageField(upload_to="vehicles/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = "organisation"
    objects = TenantManager["Vehicle"]()

    class Meta:
        ordering = ["plate"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "plate"], name="plate_per_org"),
            models.CheckConstraint(
                condition=models.Q(seats__gte=1, seats__lte=9), name="vehicle_seats_1_to_9"
            ),
            models.CheckConstraint(
                condition=~models.Q(energy="electric") | models.Q(co2_g_km=0),
                name="electric_has_no_exhaust_co2",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.make} {self.model} ({self.plate})"

    @property
    def requires_licence(self) -> bool:
        return self.category != self.Category.LICENCE_FREE

    @property
    def is_low_emission(self) -> bool:
        """A low-emission vehicle in the sense of the French LOM (under 50 g/km)."""
        return self.co2_g_km < 50


class Box(models.Model):
    """The telematics box fitted in a vehicle. Provisioned by the operator;
    only a hash of its MQTT password is kept."""

    box_id = models.CharField(max_length=64, unique=True, validators=[BOX_ID])
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="boxes",
    )
    vendor = models.CharField(max_length=60, default="flotte")
    firmware = models.CharField(max_length=40, blank=True)
    vehicle = models.OneToOneField(
        Vehicle, null=True, blank=True, on_delete=models.SET_NULL, related_name="box"
    )
    secret_hash = models.CharField(max_length=200)
    provisioned_at = models.DateTimeField()
    # Kept up to date by the MQTT gateway.
    online = models.BooleanField(default=False)
    status_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # The retained access list: its version only grows.
    access_version = models.PositiveIntegerField(default=0)
    access_digest = models.CharField(max_length=64, blank=True)
    config_digest = models.CharField(max_length=64, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Box"]()

    class Meta:
        ordering = ["box_id"]
        verbose_name_plural = "boxes"

    def __str__(self) -> str:
        return self.box_id


class Badge(models.Model):
    """An RFID badge that opens the cars of a member's bookings."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="badges"
    )
    uid = models.CharField(max_length=20, validators=[BADGE_UID])
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="badges"
    )
    label = models.CharField(max_length=60, blank=True)
    active = models.BooleanField(default=True)
    issued_at = models.DateTimeField()
    deactivated_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Badge"]()

    class Meta:
        ordering = ["uid"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uid"], name="badge_uid_per_org")
        ]

    def __str__(self) -> str:
        return self.uid
