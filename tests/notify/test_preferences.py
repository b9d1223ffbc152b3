"""A member's channels per event, their devices for push, and the mailings
they accept."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from flotte.core.errors import NotFound, ValidationFailed
from flotte.core.models import AuditEntry
from flotte.notify.events import EVENTS
from flotte.notify.models import MailingOptOut, NotificationPreference, PushSubscription
from flotte.notify.preferences import (
    preferences_of,
    preferences_set,
    push_subscription_delete,
    push_subscription_save,
)
from flotte.notify.senders.recording import RecordingSender
from tests.conftest import Tenant

KEY = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).rstrip(b"=").decode()
AUTH = base64.urlsafe_b64encode(b"a" * 16).rstrip(b"=").decode()


def choice(preferences: Any, event: str) -> Any:
    return next(c for c in preferences.events if c.event == event)


def test_every_event_is_listed_with_its_defaults(alice: Tenant) -> None:
    preferences = preferences_of(alice.member)
    assert [c.event for c in preferences.events] == [
        key for key, event in EVENTS.items() if not event.for_managers
    ]
    confirmed = choice(preferences, "booking_confirmed")
    assert (confirmed.email, confirmed.sms, confirmed.push) == (True, False, False)
    assert choice(preferences, "booking_reminder").push is True
    assert choice(preferences, "payment_failed").mandatory is True
    assert preferences.channels == ["email"]  # no SMS_URL nor VAPID key in the tests


def test_labels_follow_the_language(alice: Tenant) -> None:
    assert choice(preferences_of(alice.member, language="en"), "booking_no_show").label == (
        "Booking not used (no-show)"
    )
    assert choice(preferences_of(alice.member), "booking_no_show").label == (
        "Réservation non utilisée"
    )


def test_a_member_turns_an_event_off_and_it_is_audited(alice: Tenant) -> None:
    preferences = preferences_set(
        user=alice.member, events=[{"event": "booking_confirmed", "email": False}]
    )
    assert choice(preferences, "booking_confirmed").email is False
    assert NotificationPreference.objects.get(user=alice.member).channels() == set()
    assert AuditEntry.objects.filter(action="notification.preferences_changed").exists()


def test_a_channel_left_out_keeps_its_value(alice: Tenant, push: RecordingSender) -> None:
    preferences_set(user=alice.member, events=[{"event": "booking_reminder", "email": False}])
    reminder = choice(preferences_of(alice.member), "booking_reminder")
    assert (reminder.email, reminder.push) == (False, True)


def test_a_mandatory_event_keeps_email(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        preferences_set(user=alice.member, events=[{"event": "payment_failed", "email": False}])
    assert error.value.code == "mandatory_event"


def test_a_channel_the_platform_does_not_offer_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed) as error:
        preferences_set(user=alice.member, events=[{"event": "booking_confirmed", "push": True}])
    assert error.value.code == "channel_unavailable"


def test_sms_needs_a_phone_number(alice: Tenant, sms: RecordingSender) -> None:
    with pytest.raises(ValidationFailed) as error:
        preferences_set(user=alice.member, events=[{"event": "booking_reminder", "sms": True}])
    assert error.value.code == "phone_required"
    alice.member.phone = "0612345678"
    alice.member.save()
    preferences = preferences_set(
        user=alice.member, events=[{"event": "booking_reminder", "sms": True}]
    )
    assert choice(preferences, "booking_reminder").sms is True


def test_an_unknown_event_is_refused(alice: Tenant) -> None:
    with pytest.raises(ValidationFailed):
        preferences_set(user=alice.member, events=[{"event": "weather", "email": True}])


def test_a_member_stops_and_resumes_an_organisations_mailings(alice: Tenant) -> None:
    org = alice.organisation.pk
    [mailing] = preferences_of(alice.member).mailings
    assert (mailing.organisation_id, mailing.subscribed) == (org, True)
    preferences = preferences_set(
        user=alice.member, mailings=[{"organisation_id": org, "subscribed": False}]
    )
    assert preferences.mailings[0].subscribed is False
    assert MailingOptOut.objects.get().source == "preferences"
    preferences_set(user=alice.member, mailings=[{"organisation_id": org, "subscribed": True}])
    assert not MailingOptOut.objects.exists()


def test_a_member_cannot_touch_the_mailings_of_another_organisation(
    alice: Tenant, bob: Tenant
) -> None:
    with pytest.raises(NotFound):
        preferences_set(
            user=alice.member,
            mailings=[{"organisation_id": bob.organisation.pk, "subscribed": False}],
        )
    assert not MailingOptOut.objects.exists()


def test_a_device_subscribes_and_subscribing_again_updates_it(alice: Tenant) -> None:
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    push_subscription_save(user=alice.member, endpoint=endpoint, p256dh=KEY, auth=AUTH)
    other = AUTH.replace("a", "b", 1) if "a" in AUTH else AUTH
    push_subscription_save(user=alice.member, endpoint=endpoint, p256dh=KEY, auth=other)
    assert PushSubscription.objects.get().auth == other


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.net/abc",
        "https://127.0.0.1/abc",
        "https://10.0.0.5/abc",
        "https://localhost/abc",
        "https://printer.local/abc",
        "ftp://push.example.net/abc",
    ],
)
def test_a_push_endpoint_is_a_public_https_url(alice: Tenant, endpoint: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        push_subscription_save(user=alice.member, endpoint=endpoint, p256dh=KEY, auth=AUTH)
    assert error.value.fields == {"endpoint": "not a public https URL"}


@pytest.mark.parametrize(
    ("p256dh", "auth", "field"),
    [("not-base64!", AUTH, "p256dh"), (AUTH, AUTH, "p256dh"), (KEY, KEY, "auth")],
)
def test_push_keys_are_checked(alice: Tenant, p256dh: str, auth: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        push_subscription_save(
            user=alice.member, endpoint="https://push.example.net/a", p256dh=p256dh, auth=auth
        )
    assert field in error.value.fields


def test_a_member_removes_their_own_device_only(alice: Tenant, bob: Tenant) -> None:
    device = push_subscription_save(
        user=alice.member, endpoint="https://push.example.net/a", p256dh=KEY, auth=AUTH
    )
    with pytest.raises(NotFound):
        push_subscription_delete(user=bob.member, subscription_id=device.pk)
    push_subscription_delete(user=alice.member, subscription_id=device.pk)
    assert not PushSubscription.objects.exists()
