from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager
from flotte.pricing.engine import FlatRate, TariffRules, Tier


def _time_of_day(value: Any) -> dt.time | None:
    """A package's window bound, stored as "HH:MM" (none when absent)."""
    if value in (None, ""):
        return None
    return dt.time.fromisoformat(str(value))


def money(verbose_name: Any = None, **options: Any) -> models.DecimalField[Any, Any]:
    """An amount in euros incl. VAT, never negative."""
    return models.DecimalField(
        verbose_name,
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        **options,
    )


class Tariff(models.Model):
    """What a community (or one user group in it) pays, valid from a date.
    A new price is a new tariff: past bookings keep the one they were
    priced with."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="tariffs"
    )
    community = models.ForeignKey(
        "accounts.Community", on_delete=models.PROTECT, related_name="tariffs"
    )
    group = models.ForeignKey(
        "accounts.UserGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tariffs",
        help_text=_("Empty: every group of the community."),
    )
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until (excluded)"), null=True, blank=True)
    hourly_rate = money(_("hourly rate incl. VAT"))
    km_rate = money(_("rate per km incl. VAT"), default=Decimal("0"))
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("20.00"))
    first_block_minutes = models.PositiveSmallIntegerField(default=60)
    step_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    night_rate = money(None, null=True, blank=True)
    night_start = models.TimeField(default=dt.time(21, 0))
    night_end = models.TimeField(default=dt.time(7, 0))
    weekend_rate = money(None, null=True, blank=True)
    day_cap = money(_("daily cap (forfait jour)"), null=True, blank=True)
    week_cap = money(_("weekly cap"), null=True, blank=True)
    included_km_per_day = models.PositiveIntegerField(default=0)
    minimum_charge = money(None, default=Decimal("0"))
    free_business_use = models.BooleanField(_("internal business use is free"), default=False)
    # [{"after_hours": 24, "discount_pct": "20"}]
    tiers = models.JSONField(default=list, blank=True)
    # [{"label": "Soirée", "max_minutes": 300, "price": "12.00", "included_km": 40,
    #   "from_time": "18:00", "until_time": "23:00"}]  (the window is optional)
    flat_rates = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    tenant_path = "organisation"
    objects = TenantManager["Tariff"]()

    class Meta:
        ordering = ["community", "group", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="tariff_validity_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(step_minutes__gte=1), name="tariff_step"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.community}, from {self.valid_from})"

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def rules(self) -> TariffRules:
        """The plain data the pricing engine works on."""
        return TariffRules(
            hourly_rate=self.hourly_rate,
            km_rate=self.km_rate,
            vat_rate=self.vat_rate,
            first_block_minutes=self.first_block_minutes,
            step_minutes=self.step_minutes,
            night_rate=self.night_rate,
            night_start=self.night_start,
            night_end=self.night_end,
            weekend_rate=self.weekend_rate,
            day_cap=self.day_cap,
            week_cap=self.week_cap,
            included_km_per_day=self.included_km_per_day,
            minimum_charge=self.minimum_charge,
            tiers=tuple(
                Tier(int(t["after_hours"]), Decimal(str(t["discount_pct"]))) for t in self.tiers
            ),
            flat_rates=tuple(
                FlatRate(
                    str(f["label"]),
                    int(f["max_minutes"]),
                    Decimal(str(f["price"])),
                    int(f.get("included_km", 0)),
                    _time_of_day(f.get("from_time")),
                    _time_of_day(f.get("until_time")),
                )
                for f in self.flat_rates
            ),
            free_business_use=self.free_business_use,
        )
