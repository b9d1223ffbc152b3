from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status

from flotte.accounts.models import Membership, UserGroup
from flotte.accounts.selectors import manages_organisation, require_manager_of_organisation
from flotte.api.common import actor, get_or_404
from flotte.api.routers.communities import visible_community
from flotte.api.schemas import ErrorOut, QuoteIn, QuoteOut, TariffEndIn, TariffIn, TariffOut
from flotte.core.errors import NotFound, ValidationFailed
from flotte.pricing.models import Tariff
from flotte.pricing.services import quote_for, tariff_create, tariff_end

router = Router(tags=["pricing"])


@router.get("/communities/{slug}/tariffs", response={200: list[TariffOut], 404: ErrorOut})
def tariff_list(request: HttpRequest, slug: str) -> QuerySet[Tariff]:
    """The community's tariffs, current and past (members see their prices)."""
    return Tariff.objects.filter(community=visible_community(request, slug))


@router.post(
    "/communities/{slug}/tariffs",
    response={
        201: TariffOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def tariff_post(request: HttpRequest, slug: str, payload: TariffIn) -> Status[Tariff]:
    """A new tariff for the community, or for one of its user groups."""
    community = visible_community(request, slug)
    require_manager_of_organisation(actor(request), community.organisation)
    fields: dict[str, Any] = payload.dict()
    group_id = fields.pop("group_id")
    group = None
    if group_id is not None:
        group = get_or_404(
            UserGroup.objects.filter(organisation_id=community.organisation_id),
            "group",
            pk=group_id,
        )
    fields["tiers"] = [{k: str(v) for k, v in tier.items()} for tier in fields["tiers"]]
    fields["flat_rates"] = [{**flat, "price": str(flat["price"])} for flat in fields["flat_rates"]]
    return Status(
        201, tariff_create(actor=actor(request), community=community, group=group, **fields)
    )


@router.post(
    "/tariffs/{tariff_id}/end",
    response={200: TariffOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def tariff_end_post(request: HttpRequest, tariff_id: int, payload: TariffEndIn) -> Tariff:
    """End a tariff's validity, to replace it by a new one."""
    tariff = get_or_404(Tariff.objects.all(), "tariff", pk=tariff_id)
    if not manages_organisation(actor(request), tariff.organisation_id):
        raise NotFound("no such tariff")
    return tariff_end(actor=actor(request), tariff=tariff, valid_until=payload.valid_until)


@router.post(
    "/communities/{slug}/quote",
    response={200: QuoteOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def quote_post(request: HttpRequest, slug: str, payload: QuoteIn) -> dict[str, Any]:
    """What a booking would cost you: your group's tariff in this community
    on the start day, for these times and kilometres."""
    community = visible_community(request, slug)
    if payload.start.tzinfo is None or payload.end.tzinfo is None:
        raise ValidationFailed(
            "give times with their offset, like 2026-11-26T18:00:00+01:00",
            fields={"start": "needs an offset"},
        )
    membership = Membership.objects.filter(user=actor(request), community=community).first()
    group = membership.group if membership else None
    tariff, q = quote_for(
        community=community,
        group=group,
        start=payload.start,
        end=payload.end,
        km=payload.km,
        business_use=payload.business_use,
    )
    return {
        "tariff_id": tariff.pk,
        "tariff_name": tariff.name,
        "billed_minutes": q.billed_minutes,
        "km": q.km,
        "lines": list(q.lines),
        "total": q.total,
    }
