"""The rest of the member's profile page (/profile/): their badges, the
trips they may hide (private mode), their notification choices, their
language, and their personal data (export, erasure). The driver profile
form stays in views/accounts.py, whose page this one completes. Views
parse, call the services the REST routers call, and render."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flotte.accounts.models import OrganisationManager, User
from flotte.accounts.privacy import member_data_export, member_erase
from flotte.booking.models import Booking
from flotte.core.errors import ServiceError
from flotte.fleet.models import Badge
from flotte.notify.events import EMAIL, EVENTS
from flotte.notify.models import PushSubscription
from flotte.notify.preferences import (
    Preferences,
    preferences_of,
    preferences_set,
    push_subscription_delete,
    push_subscription_save,
)
from flotte.telematics.models import Trip
from flotte.telematics.trips import private_mode_set
from flotte.web.errors import explain
from flotte.web.profile_forms import EraseForm, LanguageForm
from flotte.web.views.common import Member, member_booking, member_page

# The refusals a member meets on these pages, in their language.
WORDING = {
    "active_bookings": translation.gettext_lazy(
        "Cancel or end your bookings confirmed or under way first."
    ),
    "already_erased": translation.gettext_lazy("This account is already erased."),
    "mandatory_event": translation.gettext_lazy("This message is always sent by e-mail."),
    "channel_unavailable": translation.gettext_lazy("This channel is not offered here."),
    "phone_required": translation.gettext_lazy(
        "Add your phone number to your account to receive SMS."
    ),
    "not_driver": translation.gettext_lazy("Only the driver switches private mode."),
    "business_trip": translation.gettext_lazy("Private mode is for private trips."),
    "no_trip": translation.gettext_lazy("Private mode applies to a trip under way."),
}


def _explain(error: ServiceError) -> str:
    wording = WORDING.get(error.code)
    return str(wording) if wording is not None else explain(error)


CHANNEL_LABELS = {
    "email": translation.gettext_lazy("E-mail"),
    "sms": translation.gettext_lazy("SMS"),
    "push": translation.gettext_lazy("Push notification"),
}


@dataclass(frozen=True)
class ChannelBox:
    name: str  # the checkbox's name: "<event>:<channel>"
    channel: str
    label: str
    checked: bool
    disabled: bool


@dataclass(frozen=True)
class EventRow:
    event: str
    label: str
    mandatory: bool
    boxes: list[ChannelBox]


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


def _is_manager(user: User) -> bool:
    return OrganisationManager.objects.filter(user=user).exists()


def notification_rows(user: User, preferences: Preferences) -> list[EventRow]:
    """The events the member may choose channels for, with a box per
    channel the platform offers; a mandatory event's e-mail is shown on
    and cannot be unticked."""
    manager = _is_manager(user)
    rows = []
    for choice in preferences.events:
        if EVENTS[choice.event].for_managers and not manager:
            continue
        boxes = [
            ChannelBox(
                f"{choice.event}:{channel}",
                channel,
                str(CHANNEL_LABELS[channel]),
                bool(getattr(choice, channel)),
                choice.mandatory and channel == EMAIL,
            )
            for channel in preferences.channels
        ]
        rows.append(EventRow(choice.event, choice.label, choice.mandatory, boxes))
    return rows


def profile_context(user: User, **extra: Any) -> dict[str, Any]:
    """What the profile page shows beside the driver profile form."""
    preferences = preferences_of(user, language=_language())
    private_trips = (
        Booking.objects.filter(member=user, state=Booking.State.STARTED, use=Booking.Use.PRIVATE)
        .select_related("community", "vehicle")
        .order_by("start")
    )
    return {
        "badges": Badge.objects.filter(user=user, active=True)
        .select_related("organisation")
        .order_by("organisation__name", "uid"),
        "private_trips": private_trips,
        "notification_rows": notification_rows(user, preferences),
        "channels": [str(CHANNEL_LABELS[c]) for c in preferences.channels],
        "mailings": preferences.mailings,
        "push_public_key": preferences.push_public_key,
        "push_devices": PushSubscription.objects.filter(user=user).order_by("-created_at"),
        "language_form": LanguageForm(initial={"language": user.language}),
        **extra,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _render_profile(request: HttpRequest, status: int, **extra: Any) -> HttpResponse:
    from flotte.web.views.accounts import profile_page

    return profile_page(request, status=status, **extra)


@login_required
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    """Save the channels of every event shown, and the mailings accepted."""
    user = _user(request)
    preferences = preferences_of(user, language=_language())
    events = []
    for row in notification_rows(user, preferences):
        wanted: dict[str, Any] = {"event": row.event}
        for box in row.boxes:
            wanted[box.channel] = box.disabled or box.name in request.POST
        events.append(wanted)
    mailings = [
        {
            "organisation_id": m.organisation_id,
            "subscribed": f"mailing:{m.organisation_id}" in request.POST,
        }
        for m in preferences.mailings
    ]
    try:
        preferences_set(user=user, events=events, mailings=mailings, language=_language())
    except ServiceError as error:
        return _render_profile(request, 400, notifications_error=_explain(error))
    messages.success(request, _("Your notification choices are saved."))
    return redirect("web:profile")


@login_required
@require_POST
def push_device_add(request: HttpRequest) -> HttpResponse:
    """This device's push subscription, as the browser's
    ``pushManager.subscribe()`` gave it (JSON, sent by web/push.js)."""
    try:
        sent = json.loads(request.body or b"{}")
        keys = sent.get("keys") or {}
        subscription = push_subscription_save(
            user=_user(request),
            endpoint=str(sent.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            user_agent=request.headers.get("User-Agent", "")[:200],
        )
    except (ValueError, AttributeError):
        return JsonResponse({"message": _("This device's answer could not be read.")}, status=400)
    except ServiceError as error:
        return JsonResponse({"message": _explain(error)}, status=error.status)
    return JsonResponse(
        {"id": subscription.pk, "message": _("This device will receive your notifications.")},
        status=201,
    )


@login_required
@require_POST
def push_device_remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    try:
        push_subscription_delete(user=_user(request), subscription_id=subscription_id)
    except ServiceError as error:
        if error.status == 404:
            raise Http404 from None
        raise
    messages.success(request, _("This device will no longer receive notifications."))
    return redirect("web:profile")


@login_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language of the pages and of the messages Flotte sends."""
    user = _user(request)
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, 400, language_form=form)
    user.language = form.cleaned_data["language"]
    user.save(update_fields=["language"])
    translation.activate(user.language)
    messages.success(request, _("Your language is saved."))
    response = redirect("web:profile")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )
    return response


@login_required
@require_GET
def data_export(request: HttpRequest) -> HttpResponse:
    """Everything Flotte holds about the member, as a JSON file (GDPR
    access and portability): the REST route's export."""
    response = JsonResponse(
        member_data_export(_user(request)), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="flotte-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """GET: what erasure removes and keeps, to confirm. POST: erase the
    account (refused while a booking is confirmed or under way) and log
    out."""
    user = _user(request)
    form = EraseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member_erase(actor=user, user=user)
            except ServiceError as error:
                form.add_error(None, _explain(error))
                status = error.status
            else:
                logout(request)
                return render(
                    request,
                    "web/message.html",
                    {
                        "title": _("Your account is erased"),
                        "text": _(
                            "Your personal data is erased. The organisations keep your "
                            "bookings and invoices, without your name, as the law requires."
                        ),
                    },
                )
        else:
            status = 400
    return render(request, "web/erase.html", {"form": form}, status=status)


@require_POST
@member_page
def private_mode(request: HttpRequest, member: Member, booking_id: int) -> HttpResponse:
    """Hide (or show again) the positions of the private trip under way."""
    booking = member_booking(member, booking_id)
    on = request.POST.get("on")
    if on not in {"1", "0"}:
        return HttpResponse(status=400)
    try:
        trip = private_mode_set(actor=member.user, booking=booking, on=on == "1")
    except ServiceError as error:
        messages.error(request, _explain(error))
    else:
        if trip.private_mode:
            messages.success(request, _("Private mode is on: this trip's positions are not kept."))
        else:
            messages.success(request, _("Private mode is off."))
    return redirect("web:booking", slug=member.community.slug, booking_id=booking.pk)


def private_trip(user: User, booking: Booking) -> Trip | None:
    """The trip under way of a private booking of the member's own."""
    if booking.member_id != user.pk or booking.use != Booking.Use.PRIVATE:
        return None
    return Trip.objects.filter(booking=booking, ended_at=None).first()
