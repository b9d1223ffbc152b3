"""The GBFS ``system_pricing_plans`` of a community: its community-wide
tariffs in force, as plans a journey planner can price a trip with."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q

from flotte.accounts.models import Community
from flotte.pricing.models import Tariff

LANGUAGES = ("fr", "en")


def localised(text: str) -> list[dict[str, str]]:
    return [{"text": text, "language": language} for language in LANGUAGES]


def tariffs_in_force(community: Community, today: dt.date) -> list[Tariff]:
    """The community-wide tariffs in force today (a group's own tariff is
    not public)."""
    return list(
        Tariff.objects.filter(community=community, group=None, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=today))
        .order_by("-valid_from", "pk")
    )


def plan_id(tariff: Tariff) -> str:
    return f"tariff-{tariff.pk}"


def _rate(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.0001"), ROUND_HALF_UP))


def system_pricing_plans(community: Community, today: dt.date) -> dict[str, Any]:
    """Each community-wide tariff in force as a plan: the first block, then
    each step at the hourly rate, and the km rate past the km included in
    a day. Night and weekend rates and caps are in the description."""
    plans = []
    for tariff in tariffs_in_force(community, today):
        block = tariff.first_block_minutes
        # The first block is billed whole, then each step started.
        per_min = [
            {
                "start": block,
                "rate": _rate(tariff.hourly_rate * tariff.step_minutes / 60),
                "interval": tariff.step_minutes,
            }
        ]
        if block:
            per_min.insert(
                0,
                {
                    "start": 0,
                    "rate": _rate(tariff.hourly_rate * block / 60),
                    "interval": block,
                    "end": block,
                },
            )
        plan: dict[str, Any] = {
            "plan_id": plan_id(tariff),
            "name": localised(tariff.name),
            "currency": "EUR",
            "price": _rate(tariff.minimum_charge) if tariff.minimum_charge else 0,
            "is_taxable": False,  # our prices include VAT
            "description": [
                {"text": _describe(tariff, "fr"), "language": "fr"},
                {"text": _describe(tariff, "en"), "language": "en"},
            ],
            "per_min_pricing": per_min,
        }
        if tariff.km_rate:
            plan["per_km_pricing"] = [
                {
                    "start": tariff.included_km_per_day,
                    "rate": _rate(tariff.km_rate),
                    "interval": 1,
                }
            ]
        plans.append(plan)
    return {"plans": plans}


def _describe(tariff: Tariff, language: str) -> str:
    fr = language == "fr"
    parts = [
        f"{tariff.hourly_rate} € TTC de l'heure"
        if fr
        else f"EUR {tariff.hourly_rate} an hour, VAT included"
    ]
    if tariff.km_rate:
        parts.append(f"{tariff.km_rate} € le km" if fr else f"EUR {tariff.km_rate} per km")
    if tariff.included_km_per_day:
        n = tariff.included_km_per_day
        parts.append(f"{n} km inclus par jour" if fr else f"{n} km a day included")
    if tariff.night_rate is not None:
        parts.append(
            f"nuit : {tariff.night_rate} €/h" if fr else f"night: EUR {tariff.night_rate}/h"
        )
    if tariff.weekend_rate is not None:
        parts.append(
            f"week-end : {tariff.weekend_rate} €/h"
            if fr
            else f"weekend: EUR {tariff.weekend_rate}/h"
        )
    if tariff.day_cap is not None:
        parts.append(
            f"plafond par jour : {tariff.day_cap} €" if fr else f"day cap: EUR {tariff.day_cap}"
        )
    return "; ".join(parts) + "."
