"""Notifications: a member's channels per event, devices for push and what
they were sent; managers see what their members were sent. Trip surveys,
and mailings to a community or a group."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from flotte.accounts.models import Community, Organisation, User, UserGroup
from flotte.api.common import actor, get_or_404, organisation
from flotte.api.schemas import (
    ErrorOut,
    MailingIn,
    MailingOut,
    NotificationOut,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    SurveyIn,
    SurveyPeriodQuery,
    SurveyResponseOut,
    SurveyResultOut,
    UnsubscribeIn,
    UnsubscribeOut,
)
from flotte.booking.models import Booking
from flotte.core.errors import NotFound
from flotte.core.tenancy import cross_tenant
from flotte.notify.mailings import mailing_create, mailing_send, mailing_visible, mailings_of
from flotte.notify.models import Mailing, Notification, PushSubscription, SurveyResponse
from flotte.notify.preferences import (
    mailing_subscription_set,
    preferences_of,
    preferences_set,
    push_subscription_delete,
    push_subscription_save,
)
from flotte.notify.selectors import notifications_of_member, notifications_of_organisation
from flotte.notify.surveys import survey_answer, survey_responses, survey_results
from flotte.notify.tokens import read_unsubscribe_token

router = Router(tags=["notifications"])


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


@router.get("/me/notifications", response=NotificationPreferencesOut)
def preferences(request: HttpRequest) -> Any:
    """Your channels for each event, the channels this platform offers, and
    the organisations whose mailings you receive."""
    return preferences_of(actor(request), language=_language())


@router.put(
    "/me/notifications",
    response={200: NotificationPreferencesOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def preferences_update(request: HttpRequest, payload: NotificationPreferencesIn) -> Any:
    """Change the channels of the events listed (a channel left out keeps
    its value), and the mailings you accept. A mandatory event keeps
    e-mail; SMS needs a phone number on your account."""
    return preferences_set(
        user=actor(request),
        events=[choice.dict(exclude_none=True) for choice in payload.events],
        mailings=[choice.dict() for choice in payload.mailings],
        language=_language(),
    )


@router.get("/me/notifications/history", response=list[NotificationOut])
@paginate(PageNumberPagination)
def history(request: HttpRequest) -> QuerySet[Notification]:
    """What you were sent, newest first, with the reason of a failure."""
    return notifications_of_member(actor(request))


@router.get("/me/push-subscriptions", response=list[PushSubscriptionOut])
def push_subscriptions(request: HttpRequest) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=actor(request))


@router.post(
    "/me/push-subscriptions",
    response={201: PushSubscriptionOut, 400: ErrorOut, 422: ErrorOut},
)
def push_subscribe(request: HttpRequest, payload: PushSubscriptionIn) -> Status[PushSubscription]:
    """Register this device for push notifications: send what the browser's
    ``pushManager.subscribe({applicationServerKey: push_public_key})``
    returned."""
    subscription = push_subscription_save(
        user=actor(request),
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        user_agent=payload.user_agent,
    )
    return Status(201, subscription)


@router.delete("/me/push-subscriptions/{subscription_id}", response={204: None, 404: ErrorOut})
def push_unsubscribe(request: HttpRequest, subscription_id: int) -> Status[None]:
    push_subscription_delete(user=actor(request), subscription_id=subscription_id)
    return Status(204, None)


@router.post(
    "/notifications/unsubscribe",
    auth=None,
    response={200: UnsubscribeOut, 404: ErrorOut, 422: ErrorOut},
)
def unsubscribe(request: HttpRequest, payload: UnsubscribeIn) -> dict[str, Any]:
    """Stop an organisation's mailings with the token of a mailing's
    unsubscribe link (no login). Notifications of bookings, invoices and
    payments still come."""
    found = read_unsubscribe_token(payload.token)
    with cross_tenant("an unsubscribe token names its member and organisation"):
        user = User.objects.filter(pk=found[0]).first() if found else None
        org = Organisation.objects.filter(pk=found[1]).first() if found else None
        if user is None or org is None:
            raise NotFound("this unsubscribe link is not valid")
        mailing_subscription_set(user=user, organisation=org, subscribed=False, source="api")
    return {"organisation_id": org.pk, "subscribed": False}


@router.get(
    "/organisations/{org_id}/notifications",
    response={200: list[NotificationOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def organisation_notifications(
    request: HttpRequest,
    org_id: int,
    user_id: int | None = None,
    event: str = "",
    channel: str = "",
    state: str = "",
) -> QuerySet[Notification]:
    """What the members were sent, newest first; filter by member, event,
    channel or state (``failed`` shows what did not reach them)."""
    return notifications_of_organisation(
        actor=actor(request),
        organisation=organisation(org_id),
        user_id=user_id,
        event=event,
        channel=channel,
        state=state,
    )


@router.post(
    "/bookings/{booking_id}/survey",
    response={201: SurveyResponseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def survey(request: HttpRequest, booking_id: int, payload: SurveyIn) -> Status[SurveyResponse]:
    """Answer the survey of your ended trip: a rating and the cleanliness,
    1 to 5, and a comment. Once per booking, by its driver."""
    user = actor(request)
    booking = get_or_404(Booking.objects.filter(member=user), "booking", pk=booking_id)
    response = survey_answer(
        user=user,
        booking=booking,
        rating=payload.rating,
        cleanliness=payload.cleanliness,
        comment=payload.comment,
    )
    return Status(201, response)


@router.get(
    "/organisations/{org_id}/surveys",
    response={200: list[SurveyResponseOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def surveys(
    request: HttpRequest,
    org_id: int,
    period: Query[SurveyPeriodQuery],
) -> QuerySet[SurveyResponse]:
    """The survey answers of the trips in the communities you manage."""
    return survey_responses(
        actor=actor(request), organisation=organisation(org_id), start=period.start, end=period.end
    )


@router.get(
    "/organisations/{org_id}/surveys/vehicles",
    response={200: list[SurveyResultOut], 403: ErrorOut, 404: ErrorOut},
)
def survey_vehicles(
    request: HttpRequest,
    org_id: int,
    period: Query[SurveyPeriodQuery],
) -> Any:
    """Answers and mean scores per vehicle, lowest rated first."""
    return survey_results(
        actor=actor(request),
        organisation=organisation(org_id),
        by="vehicle",
        start=period.start,
        end=period.end,
    )


@router.get(
    "/organisations/{org_id}/surveys/stations",
    response={200: list[SurveyResultOut], 403: ErrorOut, 404: ErrorOut},
)
def survey_stations(
    request: HttpRequest,
    org_id: int,
    period: Query[SurveyPeriodQuery],
) -> Any:
    """Answers and mean scores per station, lowest rated first."""
    return survey_results(
        actor=actor(request),
        organisation=organisation(org_id),
        by="station",
        start=period.start,
        end=period.end,
    )


@router.get(
    "/organisations/{org_id}/mailings",
    response={200: list[MailingOut], 403: ErrorOut, 404: ErrorOut},
)
@paginate(PageNumberPagination)
def mailings(request: HttpRequest, org_id: int) -> QuerySet[Mailing]:
    return mailings_of(actor(request), organisation(org_id))


@router.post(
    "/organisations/{org_id}/mailings",
    response={201: MailingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def mailing_new(request: HttpRequest, org_id: int, payload: MailingIn) -> Status[Mailing]:
    """A draft mailing to one community (``community_id``) or one user group
    (``group_id``), in French, English or both. Send it with ``/send``."""
    org = organisation(org_id)
    community = (
        get_or_404(Community.objects.filter(organisation=org), "community", pk=payload.community_id)
        if payload.community_id is not None
        else None
    )
    group = (
        get_or_404(UserGroup.objects.filter(organisation=org), "group", pk=payload.group_id)
        if payload.group_id is not None
        else None
    )
    mailing = mailing_create(
        actor=actor(request),
        organisation=org,
        community=community,
        group=group,
        subject_fr=payload.subject_fr,
        body_fr=payload.body_fr,
        subject_en=payload.subject_en,
        body_en=payload.body_en,
    )
    return Status(201, mailing)


@router.get("/mailings/{mailing_id}", response={200: MailingOut, 404: ErrorOut})
def mailing_detail(request: HttpRequest, mailing_id: int) -> Mailing:
    return mailing_visible(actor(request), mailing_id)


@router.post(
    "/mailings/{mailing_id}/send", response={202: MailingOut, 404: ErrorOut, 409: ErrorOut}
)
def mailing_dispatch(request: HttpRequest, mailing_id: int) -> Status[Mailing]:
    """Send a draft: the audience is frozen now, and the background workers
    send it in batches. Follow ``counts``."""
    user = actor(request)
    return Status(202, mailing_send(actor=user, mailing=mailing_visible(user, mailing_id)))
