"""The profile page beyond the driver profile: badge, private mode (on the
trip's page), notification choices, language, data export and erasure;
and the survey after a trip, reached from the ended booking."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from flotte.accounts.models import User
from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.fleet.models import Badge, Box
from flotte.notify.models import NotificationPreference, PushSubscription, SurveyResponse
from flotte.telematics.models import PrivateModeSwitch, Trip
from tests import factories as f
from tests.booking.test_services import NOW, book, hours
from tests.conftest import Tenant


@pytest.fixture
def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def sms(settings: Any) -> None:
    settings.SMS_URL = "console://"


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- the page ----------------------------------------------------------------


def test_the_profile_shows_the_badge_assigned(alice: Tenant, bob: Tenant, member: Client) -> None:
    page = member.get("/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<span class="plate badge-uid">{alice.badge.uid}</span>' in html
    assert bob.badge.uid not in html
    assert "<form" in html and 'name="licence_number"' in html  # the driver profile stays


def test_a_deactivated_badge_is_not_shown(alice: Tenant, member: Client) -> None:
    Badge.objects.filter(pk=alice.badge.pk).update(active=False)
    assert list(member.get("/profile/").context["badges"]) == []


def test_a_visitor_goes_to_the_login_page(client: Client) -> None:
    for path in ("/profile/", "/profile/export.json", "/profile/erase/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


# -- notifications -------------------------------------------------------------


def test_notification_choices_show_every_member_event_with_mandatory_ones_disabled(
    alice: Tenant, sms: None, member: Client
) -> None:
    page = member.get("/profile/")
    rows = {row.event: row for row in page.context["notification_rows"]}
    assert "booking_confirmed" in rows and "booking_transferred" in rows
    assert not any(key.startswith("manager_") for key in rows)  # managers' events
    transferred = {box.channel: box for box in rows["booking_transferred"].boxes}
    assert transferred["email"].checked and transferred["email"].disabled
    assert not transferred["sms"].disabled
    html = page.content.decode()
    assert 'name="booking_transferred:email" checked disabled' in html
    assert 'name="booking_confirmed:email" checked>' in html


def test_saving_the_notification_choices(alice: Tenant, sms: None, member: Client) -> None:
    alice.member.phone = "+33612345678"
    alice.member.save(update_fields=["phone"])
    response = member.post(
        "/profile/notifications/",
        {"booking_transferred:sms": "on", "booking_reminder:email": "on"},
    )
    assert response.status_code == 302
    saved = {
        p.event: (p.email, p.sms) for p in NotificationPreference.objects.filter(user=alice.member)
    }
    # A mandatory event keeps its e-mail, though a disabled box sends nothing.
    assert saved["booking_transferred"] == (True, True)
    assert saved["booking_reminder"] == (True, False)
    assert saved["booking_confirmed"] == (False, False)


def test_sms_without_a_phone_number_is_refused_on_the_form(
    alice: Tenant, sms: None, english: Client, member: Client
) -> None:
    response = member.post("/profile/notifications/", {"booking_confirmed:sms": "on"})
    assert response.status_code == 400
    assert response.context["notifications_error"] == (
        "Add your phone number to your account to receive SMS."
    )
    assert not NotificationPreference.objects.exists()


def test_the_mailings_of_an_organisation_can_be_stopped(alice: Tenant, member: Client) -> None:
    from flotte.notify.models import MailingOptOut

    member.post("/profile/notifications/", {"booking_confirmed:email": "on"})
    assert MailingOptOut.objects.filter(user=alice.member, organisation=alice.organisation).exists()
    member.post(
        "/profile/notifications/",
        {"booking_confirmed:email": "on", f"mailing:{alice.organisation.pk}": "on"},
    )
    assert not MailingOptOut.objects.exists()


# -- language ------------------------------------------------------------------


def test_the_member_chooses_their_language(alice: Tenant, member: Client) -> None:
    response = member.post("/profile/language/", {"language": "en"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    alice.member.refresh_from_db()
    assert alice.member.language == "en"
    assert member.get("/profile/").context["LANGUAGE_CODE"] == "en"


def test_an_unknown_language_is_a_form_error(alice: Tenant, member: Client) -> None:
    response = member.post("/profile/language/", {"language": "xx"})
    assert response.status_code == 400
    assert response.context["language_form"].errors["language"]
    alice.member.refresh_from_db()
    assert alice.member.language == "fr"


# -- personal data ---------------------------------------------------------------


def test_the_member_downloads_their_data_as_json(alice: Tenant, member: Client) -> None:
    response = member.get("/profile/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="flotte-data.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == alice.member.email
    assert [b["uid"] for b in data["badges"]] == [alice.badge.uid]


def test_erasure_asks_for_confirmation_first(alice: Tenant, member: Client) -> None:
    page = member.get("/profile/erase/")
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    response = member.post("/profile/erase/", {})
    assert response.status_code == 400
    assert response.context["form"].errors["confirm"]
    alice.member.refresh_from_db()
    assert alice.member.is_active and alice.member.email == "member-alice@example.org"


def test_erasure_is_refused_while_a_booking_is_confirmed(
    alice: Tenant, english: Client, member: Client
) -> None:
    from tests.booking.test_services import book

    book(alice, 2, 4)
    response = member.post("/profile/erase/", {"confirm": "on"})
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        "Cancel or end your bookings confirmed or under way first."
    ]
    alice.member.refresh_from_db()
    assert alice.member.is_active


def test_erasure_erases_and_logs_out(alice: Tenant, member: Client) -> None:
    response = member.post("/profile/erase/", {"confirm": "on"})
    assert response.status_code == 200
    user = User.objects.get(pk=alice.member.pk)
    assert user.email == f"erased-{user.pk}@invalid" and not user.is_active
    assert not Badge.objects.filter(user=user).exists()
    follow = member.get("/profile/")
    assert follow.status_code == 302 and "/login/" in follow["Location"]


# -- private mode, on the trip's page ----------------------------------------------


def private_trip_under_way(tenant: Tenant, *, use: str = Booking.Use.PRIVATE) -> Booking:
    with clock.frozen(NOW - dt.timedelta(hours=3)):
        booking = book(tenant, -1, 3)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED, use=use)
    Trip.objects.create(
        booking=booking,
        organisation=tenant.organisation,
        vehicle=tenant.vehicle,
        started_at=NOW - dt.timedelta(hours=1),
    )
    return booking


def test_private_mode_is_switched_from_the_private_trips_page(
    alice: Tenant, member: Client
) -> None:
    booking = private_trip_under_way(alice)
    page_url = f"/c/{alice.community.slug}/bookings/{booking.pk}/"
    switch = f"/c/{alice.community.slug}/bookings/{booking.pk}/private-mode/"
    profile = member.get("/profile/").content.decode()
    assert f'href="{page_url}"' in profile  # the profile leads to the trip
    assert f'action="{switch}"' in member.get(page_url).content.decode()
    assert member.post(switch, {"on": "1"}).status_code == 302
    assert Trip.objects.get(booking=booking).private_mode
    html = member.get(page_url).content.decode()
    assert 'name="on" value="0"' in html
    member.post(switch, {"on": "0"})
    assert list(PrivateModeSwitch.objects.values_list("on", flat=True)) == [True, False]


def test_a_business_trip_has_no_private_mode(
    alice: Tenant, english: Client, member: Client
) -> None:
    booking = private_trip_under_way(alice, use=Booking.Use.BUSINESS)
    switch = f"/c/{alice.community.slug}/bookings/{booking.pk}/private-mode/"
    assert (
        "private-mode"
        not in member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    )
    response = member.post(switch, {"on": "1"}, follow=True)
    assert messages_of(response) == ["Private mode is for private trips."]
    assert not Trip.objects.get(booking=booking).private_mode


def test_private_mode_bad_input_and_other_peoples_trips(
    alice: Tenant, bob: Tenant, member: Client
) -> None:
    booking = private_trip_under_way(alice)
    switch = f"/c/{alice.community.slug}/bookings/{booking.pk}/private-mode/"
    assert member.post(switch, {"on": "maybe"}).status_code == 400
    other = f.UserFactory(email="other@example.org")
    f.MembershipFactory(user=other, community=alice.community)
    client = Client()
    client.force_login(other)
    assert client.post(switch, {"on": "1"}).status_code == 404
    bobs = private_trip_under_way(bob)
    assert (
        member.post(f"/c/{alice.community.slug}/bookings/{bobs.pk}/private-mode/", {"on": "1"})
    ).status_code == 404
    assert (
        member.post(f"/c/{bob.community.slug}/bookings/{bobs.pk}/private-mode/").status_code == 404
    )
    assert not Trip.objects.filter(private_mode=True).exists()


# -- the survey after a trip ---------------------------------------------------------


def ended_trip(tenant: Tenant) -> Booking:
    Box.objects.update(vehicle=None)
    booking = book(tenant, 2, 3)
    with clock.frozen(hours(2)):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(hours(2.9)):
        return booking_end(actor=tenant.member, booking=booking, km=10)


def test_the_ended_booking_leads_to_the_survey_of_the_e_mails_link(
    alice: Tenant, member: Client
) -> None:
    booking = ended_trip(alice)
    page = member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/")
    html = page.content.decode()
    start = html.index('<p class="survey"><a class="button secondary" href="') + len(
        '<p class="survey"><a class="button secondary" href="'
    )
    survey_url = html[start : html.index('"', start)]
    assert survey_url.startswith("/n/survey/")
    with clock.frozen(hours(5)):
        answered = member.post(survey_url, {"rating": "4", "cleanliness": "5", "comment": "Bien"})
    assert answered.status_code == 200
    response = SurveyResponse.objects.get(booking=booking)
    assert (response.rating, response.cleanliness, response.comment) == (4, 5, "Bien")
    # Answered: the link is gone from the booking.
    assert (
        'class="survey"'
        not in member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    )


def test_a_bad_survey_answer_is_a_400_and_saves_nothing(alice: Tenant, member: Client) -> None:
    from flotte.notify.tokens import survey_token

    booking = ended_trip(alice)
    response = member.post(
        f"/n/survey/{survey_token(booking.pk)}/", {"rating": "9", "cleanliness": "5"}
    )
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_no_survey_link_before_the_trip_ends_or_where_surveys_are_off(
    alice: Tenant, member: Client
) -> None:
    from tests.booking.test_services import set_param

    confirmed = book(alice, 5, 6)
    html = member.get(f"/c/{alice.community.slug}/bookings/{confirmed.pk}/").content.decode()
    assert 'class="survey"' not in html
    set_param(alice, "survey_enabled", False)
    booking = ended_trip(alice)
    html = member.get(f"/c/{alice.community.slug}/bookings/{booking.pk}/").content.decode()
    assert 'class="survey"' not in html


# -- push devices ------------------------------------------------------------

VAPID_KEY = base64.urlsafe_b64encode(b"\x07" * 32).rstrip(b"=").decode()
DEVICE_KEY = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).rstrip(b"=").decode()
DEVICE_AUTH = base64.urlsafe_b64encode(b"a" * 16).rstrip(b"=").decode()
ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"


@pytest.fixture
def vapid(settings: Any) -> None:
    settings.VAPID_PRIVATE_KEY = VAPID_KEY
    settings.VAPID_SUBJECT = "mailto:ops@example.org"


def subscription(endpoint: str = ENDPOINT, **keys: str) -> str:
    return json.dumps(
        {"endpoint": endpoint, "keys": {"p256dh": DEVICE_KEY, "auth": DEVICE_AUTH, **keys}}
    )


def test_a_device_subscribes_from_the_profile_and_is_listed_then_removed(
    alice: Tenant, vapid: None, english: Client
) -> None:
    english.force_login(alice.member)
    page = english.get("/profile/").content.decode()
    assert 'id="push-device"' in page and "No device receives" in page
    answer = english.post(
        "/profile/devices/",
        subscription(),
        content_type="application/json",
        HTTP_USER_AGENT="Firefox on Android",
    )
    assert answer.status_code == 201, answer.content
    device = PushSubscription.objects.get(user=alice.member)
    assert (device.endpoint, device.user_agent) == (ENDPOINT, "Firefox on Android")
    assert "Firefox on Android" in english.get("/profile/").content.decode()
    removed = english.post(f"/profile/devices/{device.pk}/remove/")
    assert removed.status_code == 302
    assert not PushSubscription.objects.exists()


def test_a_bad_subscription_is_a_400_with_a_message_and_saves_nothing(
    alice: Tenant, vapid: None, english: Client
) -> None:
    english.force_login(alice.member)
    for body in ("not json", subscription(p256dh="short"), subscription("http://insecure/x")):
        answer = english.post("/profile/devices/", body, content_type="application/json")
        assert answer.status_code == 400, body
        assert answer.json()["message"]
    assert not PushSubscription.objects.exists()


def test_without_push_the_profile_offers_no_device(alice: Tenant, english: Client) -> None:
    english.force_login(alice.member)
    assert 'id="push-device"' not in english.get("/profile/").content.decode()


def test_another_members_device_cannot_be_removed(
    alice: Tenant, bob: Tenant, vapid: None, client: Client
) -> None:
    client.force_login(bob.member)
    client.post("/profile/devices/", subscription(), content_type="application/json")
    device = PushSubscription.objects.get()
    client.force_login(alice.member)
    assert client.post(f"/profile/devices/{device.pk}/remove/").status_code == 404
    assert PushSubscription.objects.filter(pk=device.pk).exists()
