"""Periodic notifications: the reminder before departure and the warning
before a driving licence expires. Each is sent once (the notification's
key), however often the sweep runs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from flotte.accounts.models import DriverApproval, Organisation
from flotte.accounts.parameters import ParamContext, param_value
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.notify import hooks, params
from flotte.notify.models import Notification
from flotte.notify.services import notify

# A booking never needs a reminder earlier than the longest one allowed.
LONGEST_REMINDER = dt.timedelta(minutes=int(params.REMINDER_BEFORE.maximum or 0))


def reminder_sweep() -> int:
    """Remind each member of a confirmed booking once it starts within the
    community's reminder time (``notify_reminder_before_min``). A booking
    made later than that is not reminded: its confirmation was enough.
    Returns how many bookings were reminded."""
    now = clock.now()
    candidates = list(
        Booking.objects.filter(
            state=Booking.State.CONFIRMED, start__gt=now, start__lte=now + LONGEST_REMINDER
        ).select_related("member", "organisation", "community", "vehicle__home_station")
    )
    reminded = set(
        Notification.objects.filter(
            event="booking_reminder", key__in=[f"booking:{b.pk}" for b in candidates]
        ).values_list("key", flat=True)
    )
    before: dict[int, dt.timedelta] = {}  # per community
    count = 0
    for booking in candidates:
        if f"booking:{booking.pk}" in reminded:
            continue
        if booking.community_id not in before:
            minutes = ParamContext(booking.organisation, booking.community).value(
                params.REMINDER_BEFORE.key
            )
            before[booking.community_id] = dt.timedelta(minutes=minutes)
        window = before[booking.community_id]
        if (
            not window
            or now < booking.start - window
            or booking.created_at > booking.start - window
        ):
            continue
        with transaction.atomic():
            if hooks.booking_reminder(booking):
                count += 1
    return count


def licence_expiry_notice_sweep() -> int:
    """Warn each validated driver whose licence expires within their
    organisation's notice (``notify_licence_expiry_days``), once per expiry
    date. Returns how many were warned."""
    today = clock.now().date()
    latest = today + dt.timedelta(days=int(params.LICENCE_NOTICE.maximum or 0) + 1)
    approvals = DriverApproval.objects.filter(
        status=DriverApproval.Status.VALIDATED,
        user__driver_profile__licence_expires_on__gte=today - dt.timedelta(days=1),
        user__driver_profile__licence_expires_on__lte=latest,
        user__is_active=True,
    ).select_related("organisation", "user__driver_profile")
    notice: dict[int, int] = {}  # days, per organisation
    link = settings.PUBLIC_URL + reverse("web:profile")
    count = 0
    for approval in approvals:
        organisation: Organisation = approval.organisation
        expires_on = approval.user.driver_profile.licence_expires_on
        assert expires_on is not None
        local_today = clock.today_in(organisation.time_zone)
        if organisation.pk not in notice:
            notice[organisation.pk] = param_value(
                params.LICENCE_NOTICE.key, organisation=organisation
            )
        days_left = (expires_on - local_today).days
        if not notice[organisation.pk] or not 0 <= days_left <= notice[organisation.pk]:
            continue
        with transaction.atomic():
            told = notify(
                "licence_expiring",
                approval.user,
                organisation,
                {"expires_on": expires_on, "days": days_left, "url": link},
                key=f"licence:{expires_on.isoformat()}",
            )
        count += bool(told)
    return count
