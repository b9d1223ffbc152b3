"""Factories for tests. They create rows across tenants on purpose, so they
run inside a visible cross-tenant scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.core.files.base import ContentFile

from flotte.accounts.models import (
    Community,
    DriverApproval,
    DriverProfile,
    Invitation,
    Membership,
    Organisation,
    OrganisationManager,
    User,
    UserGroup,
)
from flotte.core import clock
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Badge, Box, Station, Vehicle

PASSWORD = "correct-horse-battery"


class ScopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with cross_tenant("test factory"):
            return super()._create(model_class, *args, **kwargs)


class UserFactory(ScopedFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email_verified_at = factory.LazyFunction(clock.now)
    password = factory.django.Password(PASSWORD)


class OrganisationFactory(ScopedFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    siren = "212600001"


class UserGroupFactory(ScopedFactory):
    class Meta:
        model = UserGroup

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class CommunityFactory(ScopedFactory):
    class Meta:
        model = Community

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")


class MembershipFactory(ScopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    joined_at = factory.LazyFunction(clock.now)


class OrganisationManagerFactory(ScopedFactory):
    class Meta:
        model = OrganisationManager

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    since = factory.LazyFunction(clock.now)


class DriverProfileFactory(ScopedFactory):
    class Meta:
        model = DriverProfile

    user = factory.SubFactory(UserFactory)
    birth_date = dt.date(1985, 5, 17)
    licence_number = "120575100123"
    licence_issued_on = dt.date(2004, 6, 1)
    licence_expires_on = dt.date(2040, 6, 1)
    licence_document = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4\n", name="permis.pdf"))
    identity_document = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4\n", name="id.pdf"))


class DriverApprovalFactory(ScopedFactory):
    class Meta:
        model = DriverApproval

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    submitted_at = factory.LazyFunction(clock.now)


class StationFactory(ScopedFactory):
    class Meta:
        model = Station

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Station {n}")
    address = "1 place de la Mairie"
    latitude = Decimal("44.733500")
    longitude = Decimal("5.041600")
    capacity = 4
    charging_points = 2


class VehicleFactory(ScopedFactory):
    class Meta:
        model = Vehicle
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    plate = factory.Sequence(lambda n: f"AB-{n:03d}-CD")
    make = "Renault"
    model = "Zoe"
    energy = Vehicle.Energy.ELECTRIC
    range_km = 300
    consumption_per_100km = Decimal("17.20")
    home_station = factory.SubFactory(
        StationFactory, organisation=factory.SelfAttribute("..organisation")
    )

    @factory.post_generation
    def communities(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            with cross_tenant("test factory"):
                self.communities.set(extracted)


class BoxFactory(ScopedFactory):
    class Meta:
        model = Box

    box_id = factory.Sequence(lambda n: f"box-{n:04d}")
    organisation = factory.SubFactory(OrganisationFactory)
    secret_hash = "!"
    provisioned_at = factory.LazyFunction(clock.now)


class BadgeFactory(ScopedFactory):
    class Meta:
        model = Badge

    organisation = factory.SubFactory(OrganisationFactory)
    uid = factory.Sequence(lambda n: f"04A1B2{n:04X}")
    issued_at = factory.LazyFunction(clock.now)


class InvitationFactory(ScopedFactory):
    class Meta:
        model = Invitation

    community = factory.SubFactory(CommunityFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.org")
    created_at = factory.LazyFunction(clock.now)
    expires_at = factory.LazyFunction(lambda: clock.now() + dt.timedelta(days=14))
