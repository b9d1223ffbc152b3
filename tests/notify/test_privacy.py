"""Notifications in a member's GDPR export and erasure."""

from __future__ import annotations

from flotte.accounts.privacy import member_data_export, member_erase
from flotte.notify.models import Notification, NotificationPreference, SurveyResponse
from flotte.notify.services import notify
from flotte.notify.surveys import survey_answer
from tests.billing.conftest import ended
from tests.conftest import Tenant


def test_notifications_and_surveys_are_exported_then_erased_keeping_the_ratings(
    alice: Tenant, bob: Tenant
) -> None:
    booking = ended(alice)
    notify("booking_confirmed", alice.member, alice.organisation, {}, key="x")
    notify("booking_confirmed", bob.member, bob.organisation, {}, key="x")
    survey_answer(
        user=alice.member, booking=booking, rating=4, cleanliness=5, comment="Merci, Jean"
    )
    data = member_data_export(alice.member)
    assert {n["event"] for n in data["notifications"]} == {"booking_confirmed", "trip_survey"}
    assert [(s["rating"], s["comment"]) for s in data["trip_surveys"]] == [(4, "Merci, Jean")]
    member_erase(actor=alice.member, user=alice.member)
    assert not Notification.objects.filter(user=alice.member).exists()
    assert Notification.objects.filter(user=bob.member).exists()
    assert not NotificationPreference.objects.filter(user=alice.member).exists()
    response = SurveyResponse.objects.get(booking=booking)
    assert (response.rating, response.comment) == (4, "")
