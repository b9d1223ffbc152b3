"""A member's choices: the channels of each event, their devices for push,
and the organisations whose mailings they accept."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from flotte.accounts.models import Organisation, User
from flotte.accounts.selectors import managed_organisations, organisation_ids_of
from flotte.core import clock
from flotte.core.audit import audit
from flotte.core.errors import NotFound, ValidationFailed
from flotte.core.tenancy import cross_tenant
from flotte.notify.config import is_loopback
from flotte.notify.events import EMAIL, EVENTS, PUSH, SMS, get_event
from flotte.notify.models import Channel, MailingOptOut, NotificationPreference, PushSubscription
from flotte.notify.senders import available_channels
from flotte.notify.senders.base import push_public_key


@dataclass(frozen=True)
class EventChoice:
    event: str
    label: str
    mandatory: bool
    email: bool
    sms: bool
    push: bool


@dataclass(frozen=True)
class MailingChoice:
    organisation_id: int
    organisation: str
    subscribed: bool


@dataclass(frozen=True)
class Preferences:
    channels: list[str]
    push_public_key: str
    events: list[EventChoice]
    mailings: list[MailingChoice]


def preferences_of(user: User, *, language: str = "fr") -> Preferences:
    """Every event with the member's channels (the defaults where they chose
    nothing), and the organisations whose mailings they get. The managers'
    events are listed to those who manage something."""
    saved = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    manager = managed_organisations(user).exists()
    events = []
    for event in EVENTS.values():
        if event.for_managers and not manager:
            continue
        chosen = saved[event.key].channels() if event.key in saved else set(event.defaults)
        if event.mandatory:
            chosen.add(EMAIL)
        events.append(
            EventChoice(
                event.key,
                event.label(language),
                event.mandatory,
                EMAIL in chosen,
                SMS in chosen,
                PUSH in chosen,
            )
        )
    return Preferences(available_channels(), push_public_key(), events, _mailings_of(user))


def _check_channels(user: User, event_key: str, channels: set[str], turned_on: set[str]) -> None:
    """``channels``: all the event will have; ``turned_on``: those this
    request asks for (a default the platform cannot serve yet is kept)."""
    event = get_event(event_key)
    if event.mandatory and EMAIL not in channels:
        raise ValidationFailed(
            f"{event_key} is always sent by e-mail",
            code="mandatory_event",
            fields={"email": "mandatory"},
        )
    unavailable = sorted(turned_on - set(available_channels()))
    if unavailable:
        raise ValidationFailed(
            f"{', '.join(unavailable)} is not offered on this platform",
            code="channel_unavailable",
            fields={channel: "not offered" for channel in unavailable},
        )
    if SMS in turned_on and not user.phone.strip():
        raise ValidationFailed(
            "add your phone number to your account first",
            code="phone_required",
            fields={"sms": "no phone number"},
        )


@transaction.atomic
def preferences_set(
    *,
    user: User,
    events: Iterable[dict[str, Any]] = (),
    mailings: Iterable[dict[str, Any]] = (),
    language: str = "fr",
) -> Preferences:
    """Change the channels of the events given (``{"event", "email", "sms",
    "push"}``; a channel left out keeps its value) and the mailings
    accepted per organisation (``{"organisation_id", "subscribed"}``)."""
    now = clock.now()
    changed: dict[str, list[str]] = {}
    current = {choice.event: choice for choice in preferences_of(user).events}
    for wanted in events:
        key = str(wanted.get("event", ""))
        get_event(key)
        if key not in current:
            raise ValidationFailed(
                f"{key} is told to managers only",
                code="managers_event",
                fields={"event": "managers only"},
            )
        channels = {
            channel
            for channel in Channel.values
            if wanted.get(channel, getattr(current[key], channel))
        }
        turned_on = {channel for channel in Channel.values if wanted.get(channel) is True}
        _check_channels(user, key, channels, turned_on)
        NotificationPreference.objects.update_or_create(
            user=user,
            event=key,
            defaults={channel: channel in channels for channel in Channel.values}
            | {"updated_at": now},
        )
        changed[key] = sorted(channels)
    for wanted in mailings:
        organisation = _organisation_of_member(user, int(wanted["organisation_id"]))
        mailing_subscription_set(
            user=user,
            organisation=organisation,
            subscribed=bool(wanted["subscribed"]),
            source="preferences",
        )
    if changed:
        audit("notification.preferences_changed", user, actor=user, data={"events": changed})
    return preferences_of(user, language=language)


def _organisation_of_member(user: User, organisation_id: int) -> Organisation:
    if organisation_id not in organisation_ids_of(user):
        raise NotFound("you do not belong to this organisation")
    with cross_tenant("an organisation of the member's own"):
        return Organisation.objects.get(pk=organisation_id)


def _mailings_of(user: User) -> list[MailingChoice]:
    ids = organisation_ids_of(user)
    with cross_tenant("the member's own organisations and opt-outs"):
        opted_out = set(
            MailingOptOut.objects.filter(user=user).values_list("organisation_id", flat=True)
        )
        organisations = list(Organisation.objects.filter(pk__in=ids).order_by("name"))
    return [MailingChoice(o.pk, o.name, o.pk not in opted_out) for o in organisations]


def mailing_subscription_set(
    *, user: User, organisation: Organisation, subscribed: bool, source: str
) -> bool:
    """Stop or resume an organisation's mailings for a member. Notifications
    of bookings, invoices and payments are not affected. Returns whether
    anything changed."""
    with cross_tenant("a member's own consent to an organisation's mailings"):
        rows = MailingOptOut.objects.filter(user=user, organisation=organisation)
        if subscribed:
            deleted, _ = rows.delete()
            changed = deleted > 0
        else:
            _, changed = MailingOptOut.objects.get_or_create(
                user=user,
                organisation=organisation,
                defaults={"created_at": clock.now(), "source": source},
            )
        if changed:
            audit(
                "mailing.subscribed" if subscribed else "mailing.unsubscribed",
                user,
                actor=user,
                organisation_id=organisation.pk,
                data={"source": source},
            )
    return changed


def _b64url_bytes(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _check_endpoint(endpoint: str) -> None:
    """Push services are public HTTPS servers: refusing anything else keeps
    a member from making the platform post to its own network."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    local = is_loopback(host)
    try:
        address = ipaddress.ip_address(host)
        local = local or address.is_private or address.is_link_local or address.is_reserved
    except ValueError:
        pass
    if settings.WEB_PUSH_ALLOW_LOCAL_ENDPOINTS and local and parts.scheme in {"http", "https"}:
        return
    if parts.scheme != "https" or not host or local or host.endswith(".local"):
        raise ValidationFailed(
            "a push endpoint is a public https URL",
            code="invalid_endpoint",
            fields={"endpoint": "not a public https URL"},
        )


@transaction.atomic
def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Keep a device's push subscription (the one a browser's
    ``pushManager.subscribe()`` gave). The same endpoint again updates it."""
    _check_endpoint(endpoint)
    key = _b64url_bytes(p256dh)
    if key is None or len(key) != 65 or key[0] != 4:
        raise ValidationFailed(
            "p256dh is the device's P-256 public key, base64url",
            fields={"p256dh": "invalid"},
        )
    secret = _b64url_bytes(auth)
    if secret is None or len(secret) != 16:
        raise ValidationFailed(
            "auth is the device's 16-byte secret, base64url", fields={"auth": "invalid"}
        )
    subscription, created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:200],
            "created_at": clock.now(),
        },
    )
    if created:
        audit("push_subscription.created", subscription, actor=user)
    return subscription


@transaction.atomic
def push_subscription_delete(*, user: User, subscription_id: int) -> None:
    subscription = PushSubscription.objects.filter(user=user, pk=subscription_id).first()
    if subscription is None:
        raise NotFound("no such device")
    audit("push_subscription.deleted", subscription, actor=user)
    subscription.delete()
