"""The GBFS v3.0 feed of a community, checked by an independent validator
(``gbfs-validator`` from PyPI, a Python port of MobilityData's validator
with the official v3.0 JSON schemas inside) reading our URLs through the
test client: no network."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from gbfs_validator import GBFS
from gbfs_validator.fetch import Fetcher, FetchError

from flotte.accounts.parameters import param_set
from flotte.booking.lifecycle import booking_end, booking_start
from flotte.booking.services import booking_create
from flotte.core import clock
from flotte.fleet.models import Vehicle
from flotte.pricing.services import tariff_create
from tests import factories as f
from tests.conftest import Tenant

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def validate(tenant: Tenant) -> dict[str, Any]:
    url = f"http://testserver/gbfs/{tenant.community.slug}/gbfs.json"
    return GBFS(url, fetcher=ClientFetcher()).validation()  # type: ignore[no-any-return]


class ClientFetcher(Fetcher):
    """The validator's fetcher, reading from Django's test client."""

    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def get_json(self, url: str) -> object:
        response = self.client.get(urlsplit(url).path)
        if response.status_code >= 400:
            raise FetchError(url, f"{response.status_code} at {url}")
        return json.loads(response.content)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


def publish(tenant: Tenant) -> None:
    param_set(
        actor=tenant.manager,
        key="gbfs_enabled",
        value=True,
        organisation=tenant.organisation,
        community=tenant.community,
    )


def get(tenant: Tenant, name: str) -> Any:
    return Client().get(f"/gbfs/{tenant.community.slug}/{name}.json")


def data(tenant: Tenant, name: str) -> Any:
    response = get(tenant, name)
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.fixture
def feed(alice: Tenant) -> Tenant:
    """Alice's community publishes: two stations, an electric car, a diesel
    van in maintenance, a tariff."""
    publish(alice)
    alice.box.vehicle = None  # trips start by hand here
    alice.box.save()
    alice.organisation.support_email = "flotte@alice.example.org"
    alice.organisation.save()
    tariff_create(
        actor=alice.manager,
        community=alice.community,
        name="Tarif agents",
        valid_from=dt.date(2026, 1, 1),
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.25"),
        included_km_per_day=50,
    )
    other = f.StationFactory(organisation=alice.organisation, name="Mairie", postcode="26000")
    other.communities.add(alice.community)
    f.VehicleFactory(
        organisation=alice.organisation,
        home_station=other,
        communities=[alice.community],
        make="Renault",
        model="Trafic",
        energy=Vehicle.Energy.DIESEL,
        co2_g_km=180,
        range_km=900,
        status=Vehicle.Status.MAINTENANCE,
    )
    return alice


def test_the_feed_validates(feed: Tenant) -> None:
    booking_create(
        actor=feed.member,
        member=feed.member,
        community=feed.community,
        vehicle=feed.vehicle,
        start=NOW + dt.timedelta(hours=3),
        end=NOW + dt.timedelta(hours=5),
        purpose="réunion",
    )
    report = validate(feed)
    summary = report["summary"]
    assert summary["version"]["detected"] == "3.0", summary
    errors = {
        result["file"]: [
            e for lang in result.get("languages", [result]) for e in lang["errors"] or []
        ]
        for result in report["files"]
        if result["hasErrors"]
    }
    assert errors == {}
    assert summary["errorsCount"] == 0
    assert summary["hasErrors"] is False
    exists = {result["file"] for result in report["files"] if result.get("exists")}
    assert {
        "gbfs.json",
        "system_information.json",
        "vehicle_types.json",
        "station_information.json",
        "station_status.json",
        "vehicle_status.json",
        "system_pricing_plans.json",
    } <= exists


def test_a_community_that_does_not_publish_answers_404(alice: Tenant) -> None:
    for name in ("gbfs", "vehicle_status", "system_information"):
        assert get(alice, name).status_code == 404
    publish(alice)
    assert get(alice, "gbfs").status_code == 200
    assert get(alice, "unknown_file").status_code == 404


def test_publishing_is_per_community(feed: Tenant, bob: Tenant) -> None:
    assert get(bob, "gbfs").status_code == 404
    text = get(feed, "station_information").content.decode()
    assert bob.station.name not in text


def test_every_file_says_when_and_for_how_long(feed: Tenant) -> None:
    status = get(feed, "vehicle_status").json()
    assert status["last_updated"] == "2026-11-27T09:00:00+00:00"
    assert (status["ttl"], status["version"]) == (60, "3.0")
    assert get(feed, "station_information").json()["ttl"] == 3600
    param_set(
        actor=feed.manager,
        key="gbfs_ttl_seconds",
        value=15,
        organisation=feed.organisation,
    )
    response = get(feed, "station_status")
    assert response.json()["ttl"] == 15
    assert response["Cache-Control"] == "public, max-age=15"


def test_vehicle_types_say_car_propulsion_range_and_co2(feed: Tenant) -> None:
    types = {t["model"][0]["text"]: t for t in data(feed, "vehicle_types")["vehicle_types"]}
    van = types["Trafic"]
    assert van["form_factor"] == "car"
    assert (van["propulsion_type"], van["max_range_meters"], van["g_CO2_km"]) == (
        "combustion_diesel",
        900_000,
        180,
    )
    electric = next(t for t in types.values() if t["propulsion_type"] == "electric")
    assert electric["g_CO2_km"] == 0


def test_a_free_vehicle_is_available_until_its_next_booking(feed: Tenant) -> None:
    booking_create(
        actor=feed.member,
        member=feed.member,
        community=feed.community,
        vehicle=feed.vehicle,
        start=NOW + dt.timedelta(hours=3),
        end=NOW + dt.timedelta(hours=5),
        purpose="réunion",
    )
    vehicles = data(feed, "vehicle_status")["vehicles"]
    free = next(v for v in vehicles if not v["is_disabled"])
    assert free["available_until"] == "2026-11-27T12:00:00+00:00"
    assert free["station_id"] == str(feed.station.pk)
    assert "lat" not in free
    disabled = next(v for v in vehicles if v["is_disabled"])
    assert "available_until" not in disabled
    [here] = [
        s
        for s in data(feed, "station_status")["stations"]
        if s["station_id"] == str(feed.station.pk)
    ]
    assert here["num_vehicles_available"] == 1


def test_a_car_on_a_trip_is_not_listed(feed: Tenant) -> None:
    booking = booking_create(
        actor=feed.member,
        member=feed.member,
        community=feed.community,
        vehicle=feed.vehicle,
        start=NOW,
        end=NOW + dt.timedelta(hours=2),
        purpose="réunion",
    )
    booking_start(actor=feed.member, booking=booking)
    assert len(data(feed, "vehicle_status")["vehicles"]) == 1  # the van only
    [here] = [
        s
        for s in data(feed, "station_status")["stations"]
        if s["station_id"] == str(feed.station.pk)
    ]
    assert here["num_vehicles_available"] == 0


def test_vehicle_ids_are_random_and_change_after_each_trip(feed: Tenant) -> None:
    def public_id() -> str:
        vehicles = data(feed, "vehicle_status")["vehicles"]
        return next(v["vehicle_id"] for v in vehicles if not v["is_disabled"])

    first = public_id()
    assert public_id() == first  # stable between trips
    assert first not in {feed.vehicle.plate, str(feed.vehicle.pk)}
    assert len(first) == 32
    booking = booking_create(
        actor=feed.member,
        member=feed.member,
        community=feed.community,
        vehicle=feed.vehicle,
        start=NOW,
        end=NOW + dt.timedelta(hours=2),
        purpose="réunion",
    )
    booking_start(actor=feed.member, booking=booking)
    booking_end(actor=feed.member, booking=booking, km=12)
    assert public_id() != first


def test_pricing_plans_come_from_the_communitys_tariffs(feed: Tenant) -> None:
    [plan] = data(feed, "system_pricing_plans")["plans"]
    assert plan["name"][0]["text"] == "Tarif agents"
    assert plan["currency"] == "EUR"
    assert plan["per_km_pricing"] == [{"start": 50, "rate": 0.25, "interval": 1}]
    assert plan["per_min_pricing"][0] == {"start": 0, "rate": 4.0, "interval": 60, "end": 60}
    assert plan["per_min_pricing"][1] == {"start": 60, "rate": 1.0, "interval": 15}


def test_the_validator_catches_a_file_that_breaks_the_spec(
    feed: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above is not vacuous: a vehicle type without its form
    factor, and a system without a contact, are reported."""
    from flotte.opendata import gbfs

    real_types, real_system = gbfs.vehicle_types, gbfs.system_information

    def broken_types(community: Any, today: Any) -> Any:
        types = real_types(community, today)
        del types["vehicle_types"][0]["form_factor"]
        return types

    def broken_system(community: Any) -> Any:
        system = real_system(community)
        del system["feed_contact_email"]
        return system

    monkeypatch.setattr(gbfs, "vehicle_types", broken_types)
    monkeypatch.setattr(gbfs, "system_information", broken_system)
    report = validate(feed)
    failing = {result["file"] for result in report["files"] if result["hasErrors"]}
    assert failing == {"vehicle_types.json", "system_information.json"}


def test_without_a_support_address_the_contact_is_the_platforms_sender(
    alice: Tenant, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Flotte <no-reply@flotte.example.org>"
    publish(alice)
    assert data(alice, "system_information")["feed_contact_email"] == "no-reply@flotte.example.org"
