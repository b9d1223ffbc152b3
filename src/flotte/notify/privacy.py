"""A member's notifications in their GDPR export and erasure (see
:mod:`flotte.accounts.privacy`). Runs inside that module's cross-tenant
scope and transaction.

Erased: the messages sent to them (they hold their address and name), their
channel choices, push devices, mailing deliveries and opt-outs (an erased
account gets no more mail). Kept: their survey ratings, which feed the
organisation's figures per vehicle and station, with the free-text comment
blanked since it may name them."""

from __future__ import annotations

from typing import Any

from flotte.accounts.models import User
from flotte.notify.models import (
    MailingOptOut,
    MailingRecipient,
    Notification,
    NotificationPreference,
    PushSubscription,
    SurveyResponse,
)


def notification_data_export(user: User) -> dict[str, Any]:
    return {
        "notifications": [
            {
                "organisation": n.organisation.name if n.organisation else None,
                "event": n.event,
                "channel": n.channel,
                "state": n.state,
                "subject": n.subject,
                "created_at": n.created_at,
                "sent_at": n.sent_at,
            }
            for n in Notification.objects.filter(user=user)
            .select_related("organisation")
            .order_by("created_at", "id")
        ],
        "notification_choices": [
            {"event": p.event, "email": p.email, "sms": p.sms, "push": p.push}
            for p in NotificationPreference.objects.filter(user=user).order_by("event")
        ],
        "push_devices": [
            {"device": s.user_agent, "created_at": s.created_at, "last_used_at": s.last_used_at}
            for s in PushSubscription.objects.filter(user=user).order_by("created_at")
        ],
        "trip_surveys": [
            {
                "booking_id": r.booking_id,
                "rating": r.rating,
                "cleanliness": r.cleanliness,
                "comment": r.comment,
                "answered_at": r.answered_at,
            }
            for r in SurveyResponse.objects.filter(user=user).order_by("answered_at")
        ],
        "mailing_opt_outs": [
            {"organisation": o.organisation.name, "since": o.created_at}
            for o in MailingOptOut.objects.filter(user=user).select_related("organisation")
        ],
    }


def notification_data_erase(user: User) -> None:
    Notification.objects.filter(user=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    PushSubscription.objects.filter(user=user).delete()
    MailingRecipient.objects.filter(user=user).delete()
    MailingOptOut.objects.filter(user=user).delete()
    SurveyResponse.objects.filter(user=user).update(comment="")
