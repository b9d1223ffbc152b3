"""What the booking page adds for the trip beyond unlocking and ending it:
the private mode switch of a private trip under way, and the link to the
satisfaction survey once the trip has ended."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from flotte.booking.models import Booking
from flotte.notify.surveys import survey_refusal
from flotte.notify.tokens import survey_token
from flotte.web.views.profile import private_trip

register = template.Library()


@register.inclusion_tag("web/partials/private_mode.html", takes_context=True)
def private_mode_switch(context: Any, booking: Booking) -> dict[str, Any]:
    trip = (
        private_trip(context["user"], booking) if booking.state == Booking.State.STARTED else None
    )
    return {
        "booking": booking,
        "trip": trip,
        "community": context["community"],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/partials/survey_link.html", takes_context=True)
def survey_link(context: Any, booking: Booking) -> dict[str, Any]:
    """The survey page of notify (the one the e-mail's link opens), while
    the driver may still answer."""
    user = context["user"]
    url = ""
    if survey_refusal(booking, user) is None:
        url = reverse("notify:survey", kwargs={"token": survey_token(booking.pk)})
    return {"survey_url": url}
