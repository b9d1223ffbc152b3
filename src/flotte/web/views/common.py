"""What the member pages share: the community of the URL, the member's
place in it, and the community's time zone while the page is made."""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from flotte.accounts.models import Community, Membership, User
from flotte.accounts.selectors import community_by_slug
from flotte.booking.models import Booking
from flotte.booking.services import membership_of
from flotte.core import clock
from flotte.core.errors import NotFound, ServiceError
from flotte.fleet.models import Box
from flotte.telematics.commands import command_for_actor, current_booking
from flotte.web.errors import explain
from flotte.web.forms import ChangeForm, TripEndForm
from flotte.web.inspection_steps import inspection_steps

P = ParamSpec("P")


def community_or_404(slug: str) -> Community:
    try:
        return community_by_slug(slug)
    except NotFound:
        raise Http404 from None


@dataclass(frozen=True)
class Member:
    """The signed-in member of the community of the URL."""

    user: User
    membership: Membership

    @property
    def community(self) -> Community:
        return self.membership.community

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "community": self.community,
            "brand": self.community.branding,
            "membership": self.membership,
            **extra,
        }


def member_page(
    view: Callable[Concatenate[HttpRequest, Member, P], HttpResponse],
) -> Callable[..., HttpResponse]:
    """A page of a community's member app: signed in, a member of the
    community (anyone else gets a 404, whatever their organisation), dates
    read and shown in the organisation's time zone."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        community = community_or_404(slug)
        user = request.user
        assert isinstance(user, User)
        try:
            membership = membership_of(user, community)
        except NotFound:
            raise Http404 from None
        with timezone.override(zoneinfo.ZoneInfo(community.organisation.time_zone)):
            return view(request, Member(user, membership), *args, **kwargs)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def problem(request: HttpRequest, member: Member, error: ServiceError) -> HttpResponse:
    """A refusal with no form to show it on."""
    return render(
        request,
        "web/message.html",
        member.context(title=explain(error), text=""),
        status=error.status if error.status != 404 else 400,
    )


def member_booking(member: Member, booking_id: int) -> Booking:
    """One of the member's own bookings in this community (404 otherwise)."""
    booking = (
        Booking.objects.filter(member=member.user, community=member.community, pk=booking_id)
        .select_related("vehicle__home_station", "community__organisation")
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def trip_context(request: HttpRequest, member: Member, booking: Booking) -> dict[str, Any]:
    """What the booking page shows of the trip: whether the car opens now,
    whether it has a box, the last command asked from this page."""
    has_box = Box.objects.filter(vehicle_id=booking.vehicle_id).exists()
    current = current_booking(member.user, booking.vehicle, clock.now())
    command = None
    asked = request.GET.get("command", "")
    if asked:
        try:
            command = command_for_actor(member.user, str(uuid.UUID(asked)))
        except (NotFound, ValueError):
            command = None
    return {
        "is_current": current is not None and current.pk == booking.pk,
        "has_box": has_box,
        "command": command,
        "end_form": None if has_box else TripEndForm(),
    }


def render_booking(
    request: HttpRequest, member: Member, booking: Booking, **extra: Any
) -> HttpResponse:
    context = {
        "booking": booking,
        "change_form": ChangeForm(initial={"end": booking.end}),
        **trip_context(request, member, booking),
        **inspection_steps(member.user, booking),
        **extra,
    }
    return render(request, "web/booking.html", member.context(**context))
