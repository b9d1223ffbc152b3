"""Telling members: :func:`notify` decides, inside the transaction of what
happened, which channels an event goes out on and writes one row for each;
a task delivers each row after commit (:func:`notification_deliver`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from flotte.accounts.models import Organisation, User
from flotte.core import clock
from flotte.notify import context as values
from flotte.notify.events import EMAIL, PUSH, SMS, Event, get_event
from flotte.notify.models import Notification, NotificationPreference, PushSubscription
from flotte.notify.rendering import Rendered, language_of, render
from flotte.notify.senders import Message, PushTarget, SendFailed, sender_for
from flotte.notify.tasks import deliver


def chosen_channels(user: User, event: Event) -> set[str]:
    """The channels the member chose for the event (its defaults when they
    chose nothing); e-mail always for a mandatory event."""
    preference = NotificationPreference.objects.filter(user=user, event=event.key).first()
    chosen = preference.channels() if preference else set(event.defaults)
    if event.mandatory:
        chosen.add(EMAIL)
    return chosen


def deliverable_channels(user: User, event: Event) -> set[str]:
    """The chosen channels this platform offers and this member can be
    reached on: push needs a subscribed device."""
    channels = {channel for channel in chosen_channels(user, event) if sender_for(channel)}
    if PUSH in channels and not PushSubscription.objects.filter(user=user).exists():
        channels.discard(PUSH)
    return channels


def notify(
    event: str,
    user: User,
    organisation: Organisation,
    context: dict[str, values.Value],
    *,
    key: str = "",
) -> list[Notification]:
    """Tell ``user`` about ``event`` in ``organisation``: one row per channel,
    each delivered by a task once the current transaction commits (nothing
    goes out for a change that rolls back). With ``key`` (what it is about,
    "booking:12"), a member is told once per key and channel."""
    spec = get_event(event)
    if not user.is_active:
        return []
    channels = deliverable_channels(user, spec)
    if key:
        channels -= set(
            Notification.objects.filter(user=user, event=event, key=key).values_list(
                "channel", flat=True
            )
        )
    encoded = values.encode(context)
    now = clock.now()
    rows = []
    for channel in sorted(channels):
        row = Notification(
            organisation=organisation,
            user=user,
            event=event,
            channel=channel,
            key=key,
            context=encoded,
            language=language_of(user.language),
            created_at=now,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # told meanwhile by another worker
        rows.append(row)
        deliver.enqueue(row.pk)
    return rows


def template_context(notification: Notification) -> dict[str, Any]:
    """The values of an event and those every template may use."""
    organisation = notification.organisation
    user = notification.user
    return {
        "first_name": user.first_name,
        "organisation": organisation.name,
        "support_email": organisation.support_email,
        "support_phone": organisation.support_phone,
        "platform_url": settings.PUBLIC_URL,
        **values.decode(notification.context),
    }


def _message(notification: Notification, rendered: Rendered) -> Message:
    user = notification.user
    context = notification.context
    targets: tuple[PushTarget, ...] = ()
    if notification.channel == PUSH:
        targets = tuple(
            PushTarget(s.endpoint, s.p256dh, s.auth)
            for s in PushSubscription.objects.filter(user=user)
        )
    to = {EMAIL: user.email, SMS: user.phone, PUSH: ""}[notification.channel]
    return Message(
        channel=notification.channel,
        to=to,
        subject=rendered.subject,
        body=rendered.body,
        short=rendered.short,
        url=str(context.get("survey_url") or context.get("url") or settings.PUBLIC_URL),
        tag=notification.event,
        reply_to=notification.organisation.support_email,
        targets=targets,
    )


def _finish(notification: Notification, *, error: str = "", ref: str = "") -> Notification:
    notification.state = Notification.State.FAILED if error else Notification.State.SENT
    notification.error = error[:2000]
    notification.provider_ref = ref[:100]
    notification.sent_at = None if error else clock.now()
    notification.save(
        update_fields=["state", "error", "provider_ref", "sent_at", "subject", "body", "language"]
    )
    return notification


def notification_deliver(notification_id: int) -> Notification:
    """Render and send one notification. A row already taken by another
    worker (a redelivered task) is left alone; the outcome, sent or failed
    with its reason, is kept on the row."""
    claimed = Notification.objects.filter(
        pk=notification_id, state=Notification.State.PENDING
    ).update(state=Notification.State.SENDING, attempts=F("attempts") + 1)
    notification = Notification.objects.select_related("user", "organisation").get(
        pk=notification_id
    )
    if not claimed:
        return notification
    notification.language = language_of(notification.user.language)
    try:
        rendered = render(
            notification.event,
            notification.language,
            template_context(notification),
            time_zone=notification.organisation.time_zone,
        )
    except Exception as error:  # a template bug must not hide the others
        return _finish(notification, error=f"could not render: {error}")
    notification.subject, notification.body = rendered.subject, rendered.body
    if notification.channel != EMAIL:
        notification.body = rendered.short
    sender = sender_for(notification.channel)
    if sender is None:
        return _finish(notification, error=f"{notification.channel} is not offered any more")
    try:
        receipt = sender.send(_message(notification, rendered))
    except SendFailed as failure:
        _forget_devices(failure.gone)
        return _finish(notification, error=str(failure) or "not sent")
    _forget_devices(receipt.gone)
    if notification.channel == PUSH:
        PushSubscription.objects.filter(user=notification.user).exclude(
            endpoint__in=receipt.gone
        ).update(last_used_at=clock.now())
    return _finish(notification, ref=receipt.ref)


def _forget_devices(endpoints: tuple[str, ...]) -> None:
    if endpoints:
        PushSubscription.objects.filter(endpoint__in=endpoints).delete()
