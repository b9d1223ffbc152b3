"""The demo's live boxes: a simulated twin per demo vehicle, and a little
booking traffic for their autopilot to drive."""

from __future__ import annotations

import random
from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.demo import load_demo
from flotte.fleet.models import Badge, Box
from flotte.telematics.demo import book_an_idle_car, box_specs, stations
from flotte.telematics.models import Command


@pytest.fixture
def demo(db: Any) -> None:
    load_demo()


def test_every_fitted_demo_box_gets_a_simulated_twin_at_its_station(demo: None) -> None:
    specs = box_specs()
    fitted = Box.objects.filter(vehicle__isnull=False).select_related("vehicle__home_station")
    assert [s.box_id for s in specs] == sorted(b.box_id for b in fitted)
    first = fitted.get(box_id=specs[0].box_id)
    assert (specs[0].lat, specs[0].lon) == (
        float(first.vehicle.home_station.latitude),
        float(first.vehicle.home_station.longitude),
    )
    kinds = {s.energy_kind for s in specs}
    assert kinds == {"soc", "fuel"}
    assert len(box_specs(limit=3)) == 3
    assert any(s.charging for s in stations())


def test_demo_traffic_books_an_idle_car_for_a_member_with_a_badge(
    demo: None, django_capture_on_commit_callbacks: Any, published: Any
) -> None:
    rng = random.Random(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = book_an_idle_car(rng)
        second = book_an_idle_car(rng)
    assert first is not None and second is not None
    assert first.vehicle != second.vehicle
    for booking in (first, second):
        assert booking.state == Booking.State.CONFIRMED
        assert Badge.objects.filter(user=booking.member, active=True).exists()
    # The boxes of the booked cars got their new access lists.
    boxes = {topic.split("/")[3] for topic, _, _ in published.sent if topic.endswith("/access")}
    assert boxes == {first.vehicle.box.box_id, second.vehicle.box.box_id}
    assert not Command.objects.exists()


def test_simulating_boxes_on_a_broker_that_checks_passwords_issues_them_new_secrets(
    demo: None,
) -> None:
    from flotte.accounts.models import User
    from flotte.fleet.services import box_check_secret
    from flotte.telematics.demo import rotated_secrets, simulation_of

    operator = User.objects.get(is_operator=True)
    ids = [spec.box_id for spec in box_specs(limit=2)]
    secrets = rotated_secrets(ids, operator)
    assert set(secrets) == set(ids)
    for box in Box.objects.filter(box_id__in=ids):
        assert box_check_secret(box, secrets[box.box_id])
    simulation = simulation_of("mqtt://127.0.0.1:1", boxes=2, secrets=secrets)
    assert [b.box_id for b in simulation.boxes] == ids
    assert all(b._password == secrets[b.box_id] for b in simulation.boxes)
