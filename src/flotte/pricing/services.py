"""Tariffs: set by the organisation's managers, versioned by validity; and
quotes for a booking, priced by the pure engine."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q

from flotte.accounts.models import Community, User, UserGroup
from flotte.accounts.organisations import full_clean_or_fail
from flotte.accounts.selectors import require_manager_of_organisation
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, ValidationFailed
from flotte.pricing.engine import Quote, quote
from flotte.pricing.models import Tariff


def _check_components(tariff: Tariff) -> None:
    """Tiers and packages are JSON: check them the way the engine reads them."""
    try:
        rules = tariff.rules()
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ValidationFailed(
            f"tiers or flat rates are malformed: {error}",
            fields={
                "tiers": "list of {after_hours, discount_pct}",
                "flat_rates": (
                    "list of {label, max_minutes, price, included_km, from_time, until_time}"
                ),
            },
        ) from None
    for tier in rules.tiers:
        if not (tier.after_hours > 0 and Decimal(0) < tier.discount_pct <= 100):
            raise ValidationFailed(
                "a tier starts after 1 hour or more and discounts 0-100 %",
                fields={"tiers": "out of range"},
            )
    for flat in rules.flat_rates:
        if flat.max_minutes <= 0 or flat.price < 0 or flat.included_km < 0 or not flat.label:
            raise ValidationFailed(
                "a flat rate needs a label, a duration and a price",
                fields={"flat_rates": "out of range"},
            )


def _overlapping(tariff: Tariff) -> bool:
    others = Tariff.objects.filter(community=tariff.community, group=tariff.group).exclude(
        pk=tariff.pk
    )
    if tariff.valid_until is not None:
        others = others.filter(valid_from__lt=tariff.valid_until)
    return others.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=tariff.valid_from)
    ).exists()


@transaction.atomic
def tariff_create(
    *, actor: User, community: Community, group: UserGroup | None = None, **fields: Any
) -> Tariff:
    """A new tariff for a community, or for one group in it. Its validity may
    not overlap another tariff of the same community and group: to change
    prices, end the current tariff (``tariff_end``) and create the next."""
    require_manager_of_organisation(actor, community.organisation)
    if group is not None and group.organisation_id != community.organisation_id:
        raise NotFound("no such group in this organisation")
    tariff = Tariff(
        organisation=community.organisation,
        community=community,
        group=group,
        created_at=clock.now(),
        created_by=actor,
        **fields,
    )
    full_clean_or_fail(tariff, exclude=["organisation", "community", "group", "created_by"])
    if tariff.valid_until is not None and tariff.valid_until <= tariff.valid_from:
        raise ValidationFailed("a tariff ends after it starts", fields={"valid_until": "too early"})
    _check_components(tariff)
    if _overlapping(tariff):
        raise Conflict(
            "another tariff of this community and group is valid on these dates",
            code="tariff_overlap",
        )
    tariff.save()
    audit(
        "tariff.created",
        tariff,
        actor=actor,
        data={"name": tariff.name, "valid_from": tariff.valid_from.isoformat()},
    )
    return tariff


@transaction.atomic
def tariff_end(*, actor: User, tariff: Tariff, valid_until: dt.date) -> Tariff:
    """Close a tariff's validity (the day given is the first without it)."""
    require_manager_of_organisation(actor, tariff.organisation)
    if valid_until <= tariff.valid_from:
        raise ValidationFailed("a tariff ends after it starts", fields={"valid_until": "too early"})
    if tariff.valid_until is not None and valid_until > tariff.valid_until:
        raise ValidationFailed(
            "a tariff's validity can only be shortened",
            fields={"valid_until": "later than the current end"},
        )
    tariff.valid_until = valid_until
    tariff.save(update_fields=["valid_until"])
    audit("tariff.ended", tariff, actor=actor, data={"valid_until": valid_until.isoformat()})
    return tariff


def tariff_in_force(community: Community, group: UserGroup | None, day: dt.date) -> Tariff:
    """The group's own tariff on that day, else the community's (both read in
    one query)."""
    groups = Q(group=None) if group is None else Q(group=None) | Q(group=group)
    candidates = (
        Tariff.objects.filter(community=community, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=day))
        .filter(groups)
    )
    own, common = None, None
    # In the model's order (latest validity first within a group), as
    # ``first()`` read them one group at a time.
    for tariff in candidates:
        if tariff.group_id is None:
            common = common or tariff
        else:
            own = own or tariff
    if own is not None:
        return own
    if common is None:
        raise NotFound(
            f"no tariff of {community.name} is valid on {day.isoformat()}", code="no_tariff"
        )
    return common


def quote_for(
    *,
    community: Community,
    group: UserGroup | None,
    start: dt.datetime,
    end: dt.datetime,
    km: int,
    business_use: bool = False,
) -> tuple[Tariff, Quote]:
    """Price a booking with the tariff in force on its start day (in the
    community's time zone)."""
    tz = community.organisation.time_zone
    day = start.astimezone(zoneinfo.ZoneInfo(tz)).date()
    tariff = tariff_in_force(community, group, day)
    try:
        return tariff, quote(tariff.rules(), start, end, km, tz, business_use=business_use)
    except ValueError as error:
        raise ValidationFailed(str(error), code="bad_quote_request") from None


def quote_if_priced(
    *,
    community: Community,
    group: UserGroup | None,
    start: dt.datetime,
    end: dt.datetime,
    km: int,
    business_use: bool = False,
) -> tuple[Tariff | None, Quote | None]:
    """Like ``quote_for``, for the places where a community without any
    tariff (an internal fleet that bills nothing) is normal: (None, None)."""
    try:
        return quote_for(
            community=community, group=group, start=start, end=end, km=km, business_use=business_use
        )
    except NotFound:
        return None, None
