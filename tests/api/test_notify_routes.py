"""The notification routes: preferences, history, devices, surveys,
mailings and unsubscribing."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.core import mail

from flotte.booking.lifecycle import booking_end, booking_start
from flotte.core import clock
from flotte.fleet.models import Box
from flotte.notify.models import MailingOptOut, Notification, PushSubscription
from flotte.notify.services import notify
from flotte.notify.tokens import unsubscribe_token
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Api, Tenant

KEY = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).rstrip(b"=").decode()
AUTH = base64.urlsafe_b64encode(b"a" * 16).rstrip(b"=").decode()


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def told(tenant: Tenant, event: str = "payment_failed", state: str = "sent") -> Notification:
    [row] = notify(
        event,
        tenant.member,
        tenant.organisation,
        {"payment_id": 1, "amount": "10.00", "number": "F-1", "reason": ""},
    )
    row.state, row.subject = state, "Votre paiement a échoué"
    row.save()
    return row


def test_a_member_reads_and_changes_their_channels(alice: Tenant) -> None:
    api = Api(alice.member)
    preferences = api.get("me/notifications").json()
    assert preferences["channels"] == ["email"]
    assert preferences["push_public_key"] == ""
    events = {e["event"]: e for e in preferences["events"]}
    assert events["booking_confirmed"]["email"] is True
    changed = api.put(
        "me/notifications", {"events": [{"event": "booking_confirmed", "email": False}]}
    )
    assert changed.status_code == 200
    events = {e["event"]: e for e in changed.json()["events"]}
    assert events["booking_confirmed"]["email"] is False
    assert events["booking_reminder"]["email"] is True


def test_the_labels_follow_the_requests_language(alice: Tenant) -> None:
    response = Api(alice.member).get("me/notifications", headers={"Accept-Language": "en"})
    labels = {e["event"]: e["label"] for e in response.json()["events"]}
    assert labels["payment_failed"] == "Payment failed"


def test_a_mandatory_event_keeps_email(alice: Tenant) -> None:
    response = Api(alice.member).put(
        "me/notifications", {"events": [{"event": "payment_failed", "email": False}]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "mandatory_event"


def test_an_unknown_field_is_refused(alice: Tenant) -> None:
    response = Api(alice.member).put(
        "me/notifications", {"events": [{"event": "payment_failed", "fax": True}]}
    )
    assert response.status_code == 422


def test_a_member_unsubscribes_from_mailings_in_the_preferences(alice: Tenant) -> None:
    response = Api(alice.member).put(
        "me/notifications",
        {"mailings": [{"organisation_id": alice.organisation.pk, "subscribed": False}]},
    )
    assert response.json()["mailings"][0]["subscribed"] is False
    assert MailingOptOut.objects.filter(user=alice.member).exists()


def test_a_member_sees_what_they_were_sent(alice: Tenant, bob: Tenant) -> None:
    mine = told(alice, state="failed")
    told(bob)
    items = Api(alice.member).get("me/notifications/history").json()["items"]
    assert [(i["id"], i["state"], i["event"]) for i in items] == [
        (mine.pk, "failed", "payment_failed")
    ]


def test_a_manager_sees_what_the_members_were_sent_and_filters(alice: Tenant) -> None:
    failed = told(alice, state="failed")
    told(alice, event="payment_failed", state="sent")
    url = f"organisations/{alice.organisation.pk}/notifications"
    items = Api(alice.manager).get(f"{url}?state=failed").json()["items"]
    assert [i["id"] for i in items] == [failed.pk]
    assert items[0]["user_id"] == alice.member.pk
    assert Api(alice.member).get(url).status_code == 403


def test_a_device_subscribes_lists_and_leaves(alice: Tenant) -> None:
    api = Api(alice.member)
    created = api.post(
        "me/push-subscriptions",
        {"endpoint": "https://push.example.net/x", "keys": {"p256dh": KEY, "auth": AUTH}},
    )
    assert created.status_code == 201
    assert [d["endpoint"] for d in api.get("me/push-subscriptions").json()] == [
        "https://push.example.net/x"
    ]
    assert api.delete(f"me/push-subscriptions/{created.json()['id']}").status_code == 204
    assert not PushSubscription.objects.exists()


def test_a_private_push_endpoint_is_refused(alice: Tenant) -> None:
    response = Api(alice.member).post(
        "me/push-subscriptions",
        {"endpoint": "https://192.168.1.1/x", "keys": {"p256dh": KEY, "auth": AUTH}},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"endpoint": "not a public https URL"}


def ended_trip(tenant: Tenant) -> Any:
    Box.objects.update(vehicle=None)
    booking = book(tenant, 2, 3)
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(hours(3)):
        return booking_end(actor=tenant.member, booking=booking, km=4)


def test_the_driver_answers_the_survey_and_managers_read_the_results(alice: Tenant) -> None:
    booking = ended_trip(alice)
    response = Api(alice.member).post(
        f"bookings/{booking.pk}/survey", {"rating": 3, "cleanliness": 2, "comment": "miettes"}
    )
    assert response.status_code == 201
    assert response.json()["vehicle_id"] == alice.vehicle.pk
    again = Api(alice.member).post(f"bookings/{booking.pk}/survey", {"rating": 3, "cleanliness": 2})
    assert again.status_code == 409
    base = f"organisations/{alice.organisation.pk}/surveys"
    manager = Api(alice.manager)
    assert manager.get(base).json()["items"][0]["comment"] == "miettes"
    [vehicle] = manager.get(f"{base}/vehicles").json()
    assert (vehicle["name"], vehicle["responses"], vehicle["rating"]) == (
        alice.vehicle.plate,
        1,
        "3.00",
    )
    [station] = manager.get(f"{base}/stations").json()
    assert station["id"] == alice.station.pk
    later = (NOW + dt.timedelta(days=2)).isoformat().replace("+", "%2B")
    assert manager.get(f"{base}/vehicles?start={later}").json() == []


def test_a_score_out_of_range_is_refused(alice: Tenant) -> None:
    booking = ended_trip(alice)
    response = Api(alice.member).post(
        f"bookings/{booking.pk}/survey", {"rating": 6, "cleanliness": 2}
    )
    assert response.status_code == 422


def test_a_manager_writes_and_sends_a_mailing(
    alice: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    api = Api(alice.manager)
    created = api.post(
        f"organisations/{alice.organisation.pk}/mailings",
        {
            "community_id": alice.community.pk,
            "subject_fr": "Fermeture",
            "body_fr": "La station ferme lundi.",
        },
    )
    assert created.status_code == 201, created.content
    mailing = created.json()
    assert (mailing["state"], mailing["audience"]) == ("draft", 1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"mailings/{mailing['id']}/send")
    assert sent.status_code == 202
    detail = api.get(f"mailings/{mailing['id']}").json()
    assert detail["state"] == "sent"
    assert detail["counts"]["sent"] == 1
    assert [m.subject for m in mail.outbox] == ["Fermeture"]
    listed = api.get(f"organisations/{alice.organisation.pk}/mailings").json()["items"]
    assert [m["id"] for m in listed] == [mailing["id"]]


def test_a_mailing_to_another_organisations_community_is_refused(
    alice: Tenant, bob: Tenant
) -> None:
    response = Api(alice.manager).post(
        f"organisations/{alice.organisation.pk}/mailings",
        {"community_id": bob.community.pk, "subject_fr": "x", "body_fr": "y"},
    )
    assert response.status_code == 404


def test_the_unsubscribe_token_works_without_login(alice: Tenant) -> None:
    token = unsubscribe_token(alice.member.pk, alice.organisation.pk)
    response = Api().post("notifications/unsubscribe", {"token": token})
    assert response.json() == {"organisation_id": alice.organisation.pk, "subscribed": False}
    assert MailingOptOut.objects.get().source == "api"
    assert Api().post("notifications/unsubscribe", {"token": token + "x"}).status_code == 404
