"""The satisfaction survey after a trip: the driver answers once (a rating
and the cleanliness, 1 to 5, and a comment); managers read the results
per vehicle and per station."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet

from flotte.accounts.models import Organisation, User
from flotte.accounts.parameters import ParamContext, param_value
from flotte.accounts.selectors import managed_community_ids
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from flotte.core.tenancy import cross_tenant
from flotte.notify import params
from flotte.notify.models import SurveyResponse
from flotte.notify.tokens import read_survey_token

COMMENT_MAX = 2000
ANSWERABLE = (Booking.State.ENDED, Booking.State.CLOSED)


def _score(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(f"{name} is a whole number from 1 to 5", fields={name: "1 to 5"})
    return value


def survey_refusal(booking: Booking, user: User) -> str | None:
    """Why this person cannot answer this booking's survey now, or None."""
    if booking.member_id != user.pk:
        return "only the driver answers the survey of a trip"
    if booking.state not in ANSWERABLE or booking.ended_at is None:
        return "the survey opens when the trip has ended"
    context = ParamContext(booking.organisation, booking.community)
    if not context.value(params.SURVEY_ENABLED.key):
        return "this community does not survey its trips"
    days = param_value(params.SURVEY_ANSWER_DAYS.key, organisation=booking.organisation)
    if clock.now() > booking.ended_at + dt.timedelta(days=days):
        return f"the survey could be answered for {days} days after the trip"
    if SurveyResponse.objects.filter(booking=booking).exists():
        return "this trip's survey is already answered"
    return None


@transaction.atomic
def survey_answer(
    *, user: User, booking: Booking, rating: int, cleanliness: int, comment: str = ""
) -> SurveyResponse:
    """The driver's answer for an ended trip, within the answering time;
    one per booking."""
    booking = (
        Booking.objects.select_for_update()
        .select_related("organisation", "community", "vehicle")
        .get(pk=booking.pk)
    )
    if booking.member_id != user.pk:
        raise PermissionDenied("only the driver answers the survey of a trip", code="not_driver")
    refusal = survey_refusal(booking, user)
    if refusal is not None:
        raise Conflict(refusal, code="survey_closed")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(
            f"a comment has at most {COMMENT_MAX} characters", fields={"comment": "too long"}
        )
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                organisation=booking.organisation,
                booking=booking,
                user=user,
                vehicle=booking.vehicle,
                station_id=booking.vehicle.home_station_id,
                rating=_score(rating, "rating"),
                cleanliness=_score(cleanliness, "cleanliness"),
                comment=comment,
                answered_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict("this trip's survey is already answered", code="survey_closed") from None
    audit(
        "survey.answered",
        response,
        actor=user,
        data={"booking": booking.pk, "rating": rating, "cleanliness": cleanliness},
    )
    return response


def survey_booking(token: str) -> Booking:
    """The booking behind a survey link (404 for a forged or broken link)."""
    booking_id = read_survey_token(token)
    if booking_id is None:
        raise NotFound("this survey link is not valid")
    with cross_tenant("a survey link names its booking"):
        booking = (
            Booking.objects.select_related(
                "member", "organisation", "community", "vehicle__home_station"
            )
            .filter(pk=booking_id)
            .first()
        )
    if booking is None:
        raise NotFound("this survey link is not valid")
    return booking


def _managed_responses(actor: User, organisation: Organisation) -> QuerySet[SurveyResponse]:
    communities = managed_community_ids(actor, organisation.pk)
    if not communities:
        raise PermissionDenied("only a manager of this organisation may see the surveys")
    return SurveyResponse.objects.filter(
        organisation=organisation, booking__community_id__in=communities
    )


def survey_responses(
    *,
    actor: User,
    organisation: Organisation,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[SurveyResponse]:
    """The answers, newest first, of the communities the manager manages."""
    responses = _managed_responses(actor, organisation)
    if start is not None:
        responses = responses.filter(answered_at__gte=start)
    if end is not None:
        responses = responses.filter(answered_at__lt=end)
    return responses.select_related("vehicle", "station", "booking").order_by("-answered_at")


@dataclass(frozen=True)
class SurveyResult:
    id: int
    name: str
    responses: int
    rating: Decimal
    cleanliness: Decimal


def _mean(value: float | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def survey_results(
    *,
    actor: User,
    organisation: Organisation,
    by: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[SurveyResult]:
    """Number of answers and mean rating and cleanliness per vehicle
    (``by="vehicle"``, named by plate) or per station, best rated last."""
    if by not in {"vehicle", "station"}:
        raise ValidationFailed("results are per vehicle or per station", fields={"by": "invalid"})
    label = "vehicle__plate" if by == "vehicle" else "station__name"
    rows = (
        survey_responses(actor=actor, organisation=organisation, start=start, end=end)
        .order_by()
        .values(by, label)
        .annotate(n=Count("id"), rating=Avg("rating"), cleanliness=Avg("cleanliness"))
        .order_by("rating", label)
    )
    return [
        SurveyResult(row[by], row[label], row["n"], _mean(row["rating"]), _mean(row["cleanliness"]))
        for row in rows
    ]
