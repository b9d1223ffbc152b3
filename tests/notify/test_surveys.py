"""The satisfaction survey: answered once by the driver of an ended trip,
within its time; results per vehicle and station for managers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.models import Booking
from flotte.core import clock
from flotte.core.errors import Conflict, PermissionDenied, ValidationFailed
from flotte.fleet.models import Box
from flotte.notify import params
from flotte.notify.models import SurveyResponse
from flotte.notify.surveys import survey_answer, survey_responses, survey_results
from flotte.notify.tokens import survey_token
from tests import factories as f
from tests.booking.test_services import book, hours, set_param
from tests.conftest import Tenant
from tests.notify.conftest import rows


@pytest.fixture(autouse=True)
def _vehicles_without_box(alice: Tenant) -> None:
    Box.objects.update(vehicle=None)


def trip(tenant: Tenant, start: float = 2, vehicle: Any = None) -> Booking:
    """A trip driven from ``start`` for an hour and ended."""
    booking = book(tenant, start, start + 1, vehicle=vehicle or tenant.vehicle)
    with clock.frozen(hours(start)):
        booking_start(actor=tenant.member, booking=booking)
    with clock.frozen(hours(start + 0.9)):
        return booking_end(actor=tenant.member, booking=booking, km=10)


def answer(tenant: Tenant, booking: Booking, rating: int = 4, cleanliness: int = 5) -> Any:
    with clock.frozen(hours(24)):
        return survey_answer(
            user=tenant.member,
            booking=booking,
            rating=rating,
            cleanliness=cleanliness,
            comment="  Siège sale à l'arrière  ",
        )


def test_the_driver_answers_once(alice: Tenant) -> None:
    booking = trip(alice)
    response = answer(alice, booking)
    assert (response.rating, response.cleanliness) == (4, 5)
    assert response.comment == "Siège sale à l'arrière"
    assert response.station == alice.station
    with pytest.raises(Conflict):
        answer(alice, booking)
    assert SurveyResponse.objects.count() == 1


def test_only_the_driver_answers(alice: Tenant) -> None:
    booking = trip(alice)
    with pytest.raises(PermissionDenied):
        survey_answer(user=alice.manager, booking=booking, rating=1, cleanliness=1)


def test_a_trip_not_ended_cannot_be_answered(alice: Tenant) -> None:
    booking = book(alice, 2, 3)
    with pytest.raises(Conflict, match="trip has ended"):
        survey_answer(user=alice.member, booking=booking, rating=3, cleanliness=3)


@pytest.mark.parametrize(("rating", "cleanliness"), [(0, 3), (6, 3), (3, 0), (3, True)])
def test_scores_are_from_1_to_5(alice: Tenant, rating: Any, cleanliness: Any) -> None:
    booking = trip(alice)
    with pytest.raises(ValidationFailed):
        answer(alice, booking, rating, cleanliness)
    assert not SurveyResponse.objects.exists()


def test_the_answering_time_is_a_parameter(alice: Tenant) -> None:
    booking = trip(alice)
    set_param(alice, params.SURVEY_ANSWER_DAYS.key, 1)
    with clock.frozen(hours(2.9 + 25)), pytest.raises(Conflict, match="1 days"):
        survey_answer(user=alice.member, booking=booking, rating=3, cleanliness=3)
    set_param(alice, params.SURVEY_ANSWER_DAYS.key, 2)
    with clock.frozen(hours(2.9 + 25)):
        survey_answer(user=alice.member, booking=booking, rating=3, cleanliness=3)


def test_a_community_may_switch_surveys_off(alice: Tenant, delivered: Any) -> None:
    set_param(alice, params.SURVEY_ENABLED.key, False, community=alice.community)
    with delivered():
        booking = trip(alice)
    assert rows(alice.member, "trip_survey") == []
    with pytest.raises(Conflict, match="does not survey"):
        answer(alice, booking)


def test_results_per_vehicle_and_station(alice: Tenant) -> None:
    other_station = f.StationFactory(organisation=alice.organisation)
    other_station.communities.add(alice.community)
    second = f.VehicleFactory(
        organisation=alice.organisation, home_station=other_station, plate="ZZ-999-ZZ"
    )
    second.communities.add(alice.community)
    answer(alice, trip(alice, 2), rating=2, cleanliness=3)
    answer(alice, trip(alice, 6), rating=3, cleanliness=4)
    answer(alice, trip(alice, 10, vehicle=second), rating=5, cleanliness=5)
    with clock.frozen(hours(24)):
        per_vehicle = survey_results(
            actor=alice.manager, organisation=alice.organisation, by="vehicle"
        )
        per_station = survey_results(
            actor=alice.manager, organisation=alice.organisation, by="station"
        )
    assert [(r.name, r.responses, r.rating, r.cleanliness) for r in per_vehicle] == [
        (alice.vehicle.plate, 2, Decimal("2.50"), Decimal("3.50")),
        ("ZZ-999-ZZ", 1, Decimal("5.00"), Decimal("5.00")),
    ]
    assert [(r.id, r.responses) for r in per_station] == [
        (alice.station.pk, 2),
        (other_station.pk, 1),
    ]


def test_a_member_sees_no_results(alice: Tenant) -> None:
    with pytest.raises(PermissionDenied):
        survey_responses(actor=alice.member, organisation=alice.organisation)


def test_another_organisations_manager_is_refused(alice: Tenant, bob: Tenant) -> None:
    answer(alice, trip(alice))
    with pytest.raises(PermissionDenied):
        survey_results(actor=bob.manager, organisation=alice.organisation, by="vehicle")


def test_the_survey_page_of_the_link_takes_the_answer(alice: Tenant) -> None:
    booking = trip(alice)
    url = f"/n/survey/{survey_token(booking.pk)}/"
    client = Client(enforce_csrf_checks=False)
    page = client.get(url)
    assert page.status_code == 200
    assert alice.vehicle.plate in page.content.decode()
    assert "Votre avis sur le trajet" in page.content.decode()
    done = client.post(url, {"rating": "4", "cleanliness": "2", "comment": "ok"})
    assert done.status_code == 200
    assert "Merci" in done.content.decode()
    assert SurveyResponse.objects.get().cleanliness == 2
    assert client.get(url).status_code == 409  # answered: closed


def test_the_survey_page_refuses_a_forged_link(alice: Tenant) -> None:
    booking = trip(alice)
    forged = survey_token(booking.pk)[:-3] + "abc"
    assert Client().get(f"/n/survey/{forged}/").status_code == 404


def test_the_survey_page_speaks_the_drivers_language(alice: Tenant) -> None:
    alice.member.language = "en"
    alice.member.save()
    booking = trip(alice)
    page = Client().get(f"/n/survey/{survey_token(booking.pk)}/")
    assert "How was your trip?" in page.content.decode()
