"""The whole loop on a real MQTT connection: the platform, its gateway and a
simulated box written from the protocol page alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from flotte.booking.models import Booking
from flotte.booking.services import booking_create
from flotte.core import clock
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Box
from flotte.pricing.services import tariff_create
from flotte.telematics.access import box_config_refresh
from flotte.telematics.gateway import Gateway, GatewayOptions
from flotte.telematics.keys import digital_key_issue
from flotte.telematics.models import Command, Trip
from flotte.telematics.publisher import MqttPublisher, connect_args, use_publisher
from flotte.telematics.simulator import BoxSpec, SimulatedBox
from tests.conftest import Api, Tenant
from tests.telematics.conftest import wait_for
from tests.telematics.messages import STATION

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(mqtt_url: str, real_broker: bool, unique: str) -> Iterator[Gateway]:
    publisher = MqttPublisher(mqtt_url)
    old = use_publisher(publisher)
    gateway = Gateway(
        GatewayOptions(
            url=mqtt_url, client_id=f"e2e-gateway-{unique}", mqtt5=real_broker, batch_wait=0.02
        )
    ).start()
    assert gateway.wait_subscribed()
    yield gateway
    gateway.stop()
    publisher.close()
    use_publisher(old)


@pytest.fixture
def car(alice: Tenant, mqtt_url: str, unique: str, platform: Gateway) -> Iterator[SimulatedBox]:
    with cross_tenant("test"):
        Box.objects.filter(pk=alice.box.pk).update(box_id=f"e2e-{unique}")
        alice.box.refresh_from_db()
        args = connect_args(mqtt_url)
        box = SimulatedBox(
            BoxSpec(alice.box.box_id, *STATION, full_range_km=300, odometer_km=12_000),
            args["host"],
            args["port"],
        )
        box.connect()
        assert box_config_refresh(alice.box.pk, force=True)
    assert wait_for(lambda: box.config.key_public_key)
    yield box
    box.disconnect()


def book_now(alice: Tenant) -> Booking:
    start = clock.now().replace(microsecond=0) + dt.timedelta(minutes=2)
    with cross_tenant("test"):
        return booking_create(
            actor=alice.member,
            member=alice.member,
            community=alice.community,
            vehicle=alice.vehicle,
            start=start,
            end=start + dt.timedelta(hours=2),
            purpose="tournée",
            declared_km=40,
        )


def state_of(booking: Booking) -> str:
    with cross_tenant("test"):
        booking.refresh_from_db()
    return booking.state


def test_book_badge_drive_return_and_pay_for_the_km_driven(
    alice: Tenant, car: SimulatedBox
) -> None:
    with cross_tenant("test"):
        tariff_create(
            actor=alice.manager,
            community=alice.community,
            name="2026",
            valid_from=dt.date(2026, 1, 1),
            hourly_rate=Decimal("4.00"),
            km_rate=Decimal("0.20"),
        )
    booking = book_now(alice)
    assert wait_for(lambda: car.access and car.access.entries), "no access list in the box"
    assert car.present_badge(alice.badge.uid)
    assert wait_for(lambda: state_of(booking) == "started")

    car.start_engine()
    car.drive(21, 44.90, 5.10)
    car.drive(21, *STATION)
    car.stop_engine()
    car.return_key()
    car.close_doors()
    assert car.present_badge(alice.badge.uid)
    assert wait_for(lambda: state_of(booking) == "ended"), "the badge did not end the trip"

    with cross_tenant("test"):
        booking.refresh_from_db()
        trip = Trip.objects.get(booking=booking)
    assert booking.actual_km == 42 == trip.km
    assert booking.final_total == Decimal("8.00") + Decimal("8.40")
    # The platform locks and immobilizes the car, and the box says so.
    assert wait_for(lambda: car.locked and car.immobilized)
    with cross_tenant("test"):
        assert wait_for(
            lambda: (
                set(Command.objects.filter(booking=booking).values_list("kind", "state"))
                == {("lock", "acked"), ("immobilize", "acked")}
            )
        )


def test_a_digital_key_opens_the_car_offline_and_starts_the_trip(
    alice: Tenant, car: SimulatedBox
) -> None:
    booking = book_now(alice)
    with cross_tenant("test"):
        _, token = digital_key_issue(actor=alice.member, booking=booking)
    assert car.present_key(token)
    assert wait_for(lambda: state_of(booking) == "started")
    with cross_tenant("test"):
        assert Trip.objects.get(booking=booking).start_source == "key"


def test_a_command_goes_to_the_box_and_its_answer_comes_back(
    alice: Tenant, car: SimulatedBox
) -> None:
    sent = Api(alice.manager).post(f"vehicles/{alice.vehicle.pk}/commands", {"kind": "locate"})
    assert sent.status_code == 202, sent.content
    command_id = sent.json()["id"]

    def answered() -> Any:
        state = Api(alice.manager).get(f"commands/{command_id}").json()["state"]
        return state if state == "acked" else None

    assert wait_for(answered) == "acked"


def test_a_command_to_a_box_offline_is_retried_with_the_same_id(
    alice: Tenant, car: SimulatedBox, platform: Gateway
) -> None:
    car.go_offline()
    sent = Api(alice.manager).post(f"vehicles/{alice.vehicle.pk}/commands", {"kind": "sync"})
    command_id = sent.json()["id"]
    car.come_back()
    # The gateway sends it again until the box answers.
    assert wait_for(
        lambda: Api(alice.manager).get(f"commands/{command_id}").json()["state"] == "acked",
        timeout=15,
    )
    with cross_tenant("test"):
        assert Command.objects.get(pk=command_id).attempts >= 2
