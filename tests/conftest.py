from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from flotte.accounts.models import Community, Organisation, User
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Badge, Box, Station, Vehicle
from tests import factories as f
from tests.billing.fake_stripe import FakeStripe


@pytest.fixture(autouse=True)
def _test_body_sees_every_tenant() -> Iterator[None]:
    """Test bodies inspect rows of several organisations; requests made with
    the test client still get their own scope from the middleware."""
    with cross_tenant("test body"):
        yield


@pytest.fixture(autouse=True)
def _settings_for_tests(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = ""
    # The production hasher costs half a second per password; these tests
    # are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # login throttling counts


@pytest.fixture(autouse=True)
def published() -> Iterator[Any]:
    """What the platform would publish to the boxes, kept instead of sent;
    the tests that use a real broker swap in their own publisher."""
    from flotte.telematics.publisher import RecordingPublisher, use_publisher

    recorder = RecordingPublisher()
    old = use_publisher(recorder)
    yield recorder
    use_publisher(old)


@dataclass
class Tenant:
    """One organisation with a manager, a validated member and some fleet."""

    organisation: Organisation
    community: Community
    manager: User
    member: User
    station: Station
    vehicle: Vehicle
    badge: Badge
    box: Box


def make_tenant(name: str) -> Tenant:
    org = f.OrganisationFactory(name=f"Commune {name}", slug=f"org-{name}")
    group = f.UserGroupFactory(organisation=org, name="Agents")
    community = f.CommunityFactory(organisation=org, slug=f"com-{name}", default_group=group)
    manager = f.UserFactory(email=f"manager-{name}@example.org")
    f.OrganisationManagerFactory(user=manager, organisation=org)
    member = f.UserFactory(email=f"member-{name}@example.org")
    f.MembershipFactory(user=member, community=community, group=group)
    f.DriverProfileFactory(user=member)
    f.DriverApprovalFactory(organisation=org, user=member, status="validated")
    station = f.StationFactory(organisation=org)
    station.communities.add(community)
    vehicle = f.VehicleFactory(organisation=org, home_station=station)
    vehicle.communities.add(community)
    badge = f.BadgeFactory(organisation=org, user=member)
    box = f.BoxFactory(organisation=org, vehicle=vehicle, box_id=f"box-{name}")
    return Tenant(org, community, manager, member, station, vehicle, badge, box)


@pytest.fixture
def alice(db: Any) -> Tenant:
    return make_tenant("alice")


@pytest.fixture
def bob(db: Any) -> Tenant:
    """Another organisation: must never see or touch Alice's."""
    return make_tenant("bob")


@pytest.fixture
def operator(db: Any) -> User:
    return f.UserFactory(
        email="operator@example.org", is_operator=True, is_staff=True, is_superuser=True
    )


class Api:
    """A JSON client for /api/v1/, logged in as one user (session) or anonymous."""

    def __init__(self, user: User | None = None, token: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs: dict[str, Any] = {"headers": self.headers, **extra}
        if body is not None:
            kwargs.update(data=json.dumps(body, default=str), content_type="application/json")
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self.call("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("post", path, {} if body is None else body, **extra)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("put", path, body)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.call("delete", path, **extra)


@pytest.fixture
def stripe(settings: Any) -> Iterator[FakeStripe]:
    """A fake Stripe on loopback, and the platform configured to use it."""
    fake = FakeStripe()
    settings.STRIPE_API_BASE = fake.start()
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.PAYMENT_PROVIDER = "stripe"
    yield fake
    fake.stop()


@pytest.fixture
def api_as() -> Any:
    return Api


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Tests marked `services` need Redis and a Celery worker on PostgreSQL:
    CI's second pass runs them (FLOTTE_TEST_SERVICES=1) and there they fail,
    never skip, when a service is missing. `make test` leaves them out."""
    import os

    if os.environ.get("FLOTTE_TEST_SERVICES") == "1":
        return
    skip = pytest.mark.skip(reason="needs the real services: run by .ci/services-tests")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: Any) -> None:
    """On SQLite, the test database is a file rather than shared memory: the
    tests where the MQTT gateway writes from its own thread need SQLite's
    file locking, with its busy timeout, as in production."""
    from django.db import connections

    database = connections["default"].settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        database["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "flotte-test.sqlite3")
