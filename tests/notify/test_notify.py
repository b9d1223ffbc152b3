"""notify(): which channels an event goes out on, one row each, delivered
after commit, sent once per key; and what delivery keeps on the row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from flotte.core import clock
from flotte.notify.models import Notification, NotificationPreference, PushSubscription
from flotte.notify.senders.recording import RecordingSender
from flotte.notify.services import notification_deliver, notify
from tests.conftest import Tenant
from tests.notify.conftest import emails_to, rows

CONTEXT: dict[str, Any] = {
    "booking_id": 42,
    "start": dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC),
    "end": dt.datetime(2026, 12, 3, 11, 30, tzinfo=dt.UTC),
    "vehicle": "Renault Zoe",
    "plate": "AB-123-CD",
    "station": "Gare",
    "station_address": "",
    "community": "Agents",
    "url": "https://flotte.example.org/b/42/",
}


def prefer(user: Any, event: str, **channels: bool) -> None:
    NotificationPreference.objects.update_or_create(
        user=user,
        event=event,
        defaults={"email": False, "sms": False, "push": False, **channels}
        | {"updated_at": clock.now()},
    )


def device(user: Any, name: str = "phone") -> PushSubscription:
    return PushSubscription.objects.create(
        user=user,
        endpoint=f"https://push.example.net/{user.pk}/{name}",
        p256dh="BAAA",
        auth="AAAA",
        created_at=clock.now(),
    )


def test_an_event_goes_out_by_email_by_default_after_commit(alice: Tenant, delivered: Any) -> None:
    with delivered():
        [row] = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
        assert mail.outbox == []  # not before the commit
    row.refresh_from_db()
    assert (row.channel, row.state) == ("email", "sent")
    [message] = emails_to(alice.member)
    assert "AB-123-CD" in message.body
    assert message.subject == row.subject


def test_nothing_is_sent_when_the_transaction_rolls_back(alice: Tenant, delivered: Any) -> None:
    with delivered(), pytest.raises(RuntimeError), transaction.atomic():
        notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
        raise RuntimeError("the booking failed")
    assert mail.outbox == []
    assert rows(alice.member) == []


def test_a_member_who_turned_email_off_gets_no_email(alice: Tenant, delivered: Any) -> None:
    prefer(alice.member, "booking_confirmed", email=False)
    with delivered():
        assert notify("booking_confirmed", alice.member, alice.organisation, CONTEXT) == []
    assert mail.outbox == []


def test_a_mandatory_event_goes_by_email_whatever_the_member_chose(
    alice: Tenant, delivered: Any
) -> None:
    prefer(alice.member, "booking_transferred", email=False)
    context = {**CONTEXT, "previous_vehicle": "Clio", "previous_plate": "ZZ-1", "reason": "manual"}
    with delivered():
        notify("booking_transferred", alice.member, alice.organisation, context)
    assert len(emails_to(alice.member)) == 1


def test_sms_goes_out_only_where_the_platform_offers_it(
    alice: Tenant, delivered: Any, settings: Any
) -> None:
    alice.member.phone = "06 12 34 56 78"
    alice.member.save()
    prefer(alice.member, "booking_confirmed", email=True, sms=True)
    with delivered():
        made = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    assert [row.channel for row in made] == ["email"]  # no SMS_URL in the tests


def test_sms_is_sent_to_the_members_phone_with_the_short_text(
    alice: Tenant, delivered: Any, sms: RecordingSender
) -> None:
    alice.member.phone = "06 12 34 56 78"
    alice.member.save()
    prefer(alice.member, "booking_confirmed", sms=True)
    with delivered():
        [row] = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    [message] = sms.sent
    assert message.to == "06 12 34 56 78"
    assert "AB-123-CD" in message.short and len(message.short) < 160
    row.refresh_from_db()
    assert (row.state, row.provider_ref, row.body) == ("sent", "sms-1", message.short)


def test_push_needs_a_subscribed_device(
    alice: Tenant, delivered: Any, push: RecordingSender
) -> None:
    with delivered():
        assert [
            r.channel for r in notify("booking_changed", alice.member, alice.organisation, CONTEXT)
        ] == ["email"]
        device(alice.member)
        made = notify("booking_changed", alice.member, alice.organisation, CONTEXT)
    assert sorted(row.channel for row in made) == ["email", "push"]
    [message] = push.sent
    assert [target.endpoint for target in message.targets] == [
        f"https://push.example.net/{alice.member.pk}/phone"
    ]
    assert message.url == CONTEXT["url"]


def test_with_a_key_a_member_is_told_once(alice: Tenant, delivered: Any) -> None:
    with delivered():
        first = notify("booking_reminder", alice.member, alice.organisation, CONTEXT, key="b:1")
        again = notify("booking_reminder", alice.member, alice.organisation, CONTEXT, key="b:1")
        other = notify("booking_reminder", alice.member, alice.organisation, CONTEXT, key="b:2")
    assert (len(first), again, len(other)) == (1, [], 1)
    assert len(emails_to(alice.member)) == 2


def test_an_inactive_member_is_told_nothing(alice: Tenant, delivered: Any) -> None:
    alice.member.is_active = False
    alice.member.save()
    with delivered():
        assert notify("payment_failed", alice.member, alice.organisation, {}) == []


def test_a_refused_message_is_kept_as_failed_with_the_reason(
    alice: Tenant, delivered: Any, sms: RecordingSender
) -> None:
    sms.fail_with = "Brevo refused (402 not_enough_credits)"
    alice.member.phone = "0612345678"
    alice.member.save()
    prefer(alice.member, "booking_confirmed", sms=True)
    with delivered():
        [row] = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    row.refresh_from_db()
    assert row.state == Notification.State.FAILED
    assert row.error == "Brevo refused (402 not_enough_credits)"
    assert row.sent_at is None


def test_a_row_already_delivered_is_not_sent_again(alice: Tenant, delivered: Any) -> None:
    with delivered():
        [row] = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    notification_deliver(row.pk)  # a task delivered twice
    assert len(emails_to(alice.member)) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_the_message_speaks_the_members_language_in_the_organisations_time_zone(
    alice: Tenant, delivered: Any
) -> None:
    alice.member.language = "en"
    alice.member.save()
    with delivered():
        notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    [message] = emails_to(alice.member)
    assert message.subject == "Booking confirmed: Renault Zoe on Thursday 3 December 2026, 09:30"
    assert "Departure: Thursday 3 December 2026, 09:30" in message.body  # 08:30 UTC in Paris


def test_french_is_the_default_and_dates_are_french(alice: Tenant, delivered: Any) -> None:
    with delivered():
        notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    [message] = emails_to(alice.member)
    assert message.subject == "Réservation confirmée : Renault Zoe le jeudi 3 décembre 2026 à 09:30"


def test_the_email_answers_to_the_organisations_support(alice: Tenant, delivered: Any) -> None:
    alice.organisation.support_email = "flotte@alice.example.org"
    alice.organisation.save()
    with delivered():
        notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    [message] = emails_to(alice.member)
    assert message.reply_to == ["flotte@alice.example.org"]
    assert "flotte@alice.example.org" in message.body


def test_an_unknown_event_is_refused(alice: Tenant) -> None:
    from flotte.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        notify("booking_exploded", alice.member, alice.organisation, {})


def test_a_context_takes_plain_values_only(alice: Tenant) -> None:
    with pytest.raises(TypeError):
        notify("booking_confirmed", alice.member, alice.organisation, {"vehicle": alice.vehicle})


class RefusingBackend:
    """An SMTP server that refuses every message."""

    def __init__(self, **_: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("smtp.example.org:587 refused")


def test_an_email_the_server_refuses_is_failed_with_the_reason(
    alice: Tenant, delivered: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notify.test_notify.RefusingBackend"
    with delivered():
        [row] = notify("booking_confirmed", alice.member, alice.organisation, CONTEXT)
    row.refresh_from_db()
    assert row.state == "failed"
    assert row.error == "ConnectionRefusedError: smtp.example.org:587 refused"
