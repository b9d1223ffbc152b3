from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.booking.services import booking_create
from flotte.carpool.models import CarpoolOffer
from flotte.carpool.services import carpool_offer_create
from flotte.core import clock
from tests import factories as f
from tests.conftest import Tenant

# A town hall about 1.3 km from the factories' stations.
TOWN_HALL = (Decimal("44.740000"), Decimal("5.055000"))


def member_of(tenant: Tenant, email: str) -> User:
    user = f.UserFactory(email=email)
    f.MembershipFactory(user=user, community=tenant.community, group=tenant.community.default_group)
    f.DriverProfileFactory(user=user)
    f.DriverApprovalFactory(organisation=tenant.organisation, user=user, status="validated")
    return user


def soon(hours: float = 24) -> dt.datetime:
    return (clock.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


def a_booking(
    tenant: Tenant, member: User | None = None, start: dt.datetime | None = None
) -> Booking:
    start = start or soon()
    return booking_create(
        actor=member or tenant.member,
        member=member or tenant.member,
        community=tenant.community,
        vehicle=tenant.vehicle,
        start=start,
        end=start + dt.timedelta(hours=4),
        purpose="réunion",
    )


def an_offer(tenant: Tenant, seats: int = 2, **extra: Any) -> CarpoolOffer:
    booking = extra.pop("booking", None) or a_booking(tenant)
    return carpool_offer_create(
        driver=booking.member,
        booking=booking,
        seats=seats,
        destination=extra.pop("destination", "Mairie"),
        destination_latitude=extra.pop("destination_latitude", TOWN_HALL[0]),
        destination_longitude=extra.pop("destination_longitude", TOWN_HALL[1]),
        **extra,
    )


@pytest.fixture
def passenger(alice: Tenant) -> User:
    return member_of(alice, "passenger-alice@example.org")
