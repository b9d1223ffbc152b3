"""Demo data: Montclaret, a fictional town of the Drôme, with its agents'
community and its inhabitants' community, three stations, ten vehicles and
thirty members. Loading twice changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction

from flotte.accounts.models import (
    Community,
    DriverApproval,
    DriverProfile,
    Membership,
    Organisation,
    OrganisationManager,
    User,
    UserGroup,
)
from flotte.core import clock
from flotte.core.context import origin
from flotte.core.tenancy import cross_tenant
from flotte.fleet.models import Badge, Box, Station, Vehicle

PASSWORD = "flotte-demo-2026"
OPERATOR = "operateur@flotte.example"
MANAGER = "gestion@montclaret.example"
MEMBER = "camille.martin@montclaret.example"

FIRST = [
    "Camille",
    "Léa",
    "Hugo",
    "Louis",
    "Manon",
    "Jules",
    "Chloé",
    "Lucas",
    "Inès",
    "Nathan",
    "Jade",
    "Gabriel",
    "Zoé",
    "Arthur",
    "Lina",
    "Paul",
    "Rose",
    "Tom",
    "Alice",
    "Noé",
    "Emma",
    "Raphaël",
    "Louise",
    "Adam",
    "Anna",
    "Sacha",
    "Clara",
    "Théo",
    "Mila",
    "Maël",
]
LAST = [
    "Martin",
    "Bernard",
    "Roux",
    "Faure",
    "Blanc",
    "Chabert",
    "Reynaud",
    "Arnaud",
    "Vial",
    "Brun",
    "Mounier",
    "Jourdan",
    "Giraud",
    "Chauvin",
    "Bonnet",
    "Rey",
    "Garnier",
    "Morel",
    "Fabre",
    "Boyer",
    "Barbier",
    "Michel",
    "Perrin",
    "Robin",
    "Colin",
    "Gay",
    "Lambert",
    "Roche",
    "Besson",
    "Mathieu",
]

STATIONS = [
    ("Mairie", "1 place de la Mairie", "44.7335", "5.0416", 4, 2, True),
    ("Gare routière", "12 avenue de la Gare", "44.7291", "5.0462", 4, 2, True),
    ("Maison de santé", "3 chemin des Tilleuls", "44.7362", "5.0378", 3, 1, False),
]
VEHICLES = [
    # plate, make, model, category, energy, seats, range, consumption, co2, station, accessories
    ("GA-101-MC", "Renault", "Zoe", "city", "electric", 5, 300, "17.2", 0, 0, ["charging_cable"]),
    ("GA-102-MC", "Peugeot", "e-208", "compact", "electric", 5, 340, "15.8", 0, 0, []),
    ("GA-103-MC", "Dacia", "Spring", "city", "electric", 4, 220, "13.9", 0, 1, []),
    ("GA-104-MC", "Renault", "Kangoo E-Tech", "utility", "electric", 2, 280, "19.5", 0, 2, []),
    ("GA-105-MC", "Citroën", "Ami", "licence_free", "electric", 2, 75, "8.0", 0, 1, []),
    ("GA-106-MC", "Renault", "Clio", "city", "petrol", 5, 700, "5.4", 122, 0, ["winter_tyres"]),
    ("GA-107-MC", "Toyota", "Yaris Hybrid", "city", "hybrid", 5, 800, "3.9", 89, 1, []),
    ("GA-108-MC", "Dacia", "Jogger", "family", "petrol", 7, 750, "6.1", 138, 0, ["child_seat"]),
    ("GA-109-MC", "Peugeot", "Partner", "utility", "diesel", 3, 900, "5.2", 136, 2, ["tow_bar"]),
    ("GA-110-MC", "Renault", "Trafic", "minibus", "diesel", 9, 850, "7.4", 194, 1, ["snow_chains"]),
]


def load_demo(seed: int = 2026) -> Organisation:
    with cross_tenant("demo data"), origin("cli"), transaction.atomic():
        existing = Organisation.objects.filter(slug="montclaret").first()
        if existing is not None:
            return existing
        return _load(random.Random(seed))  # noqa: S311 - demo names, not secrets


def _user(email: str, first: str, last: str, **extra: object) -> User:
    return User.objects.create_user(
        email, PASSWORD, first_name=first, last_name=last, email_verified_at=clock.now(), **extra
    )


def _load(rng: random.Random) -> Organisation:
    now = clock.now()
    User.objects.filter(email=OPERATOR).exists() or User.objects.create_superuser(
        OPERATOR, PASSWORD, first_name="Opératrice", last_name="Flotte", email_verified_at=now
    )
    org = Organisation.objects.create(
        name="Commune de Montclaret",
        slug="montclaret",
        legal_name="Commune de Montclaret",
        siren="212600001",
        address="1 place de la Mairie, 26400 Montclaret",
        support_email="flotte@montclaret.example",
        support_phone="04 75 00 00 00",
        primary_colour="#0f5132",
        secondary_colour="#b45309",
    )
    agents_group = UserGroup.objects.create(organisation=org, name="Agents")
    UserGroup.objects.create(organisation=org, name="Élus", private_use_allowed=True)
    inhabitants_group = UserGroup.objects.create(
        organisation=org, name="Habitants", private_use_allowed=True
    )
    agents = Community.objects.create(
        organisation=org,
        name="Agents de Montclaret",
        slug="montclaret-agents",
        kind=Community.Kind.AGENTS,
        default_group=agents_group,
        description="Véhicules de service partagés des agents de la commune.",
    )
    public = Community.objects.create(
        organisation=org,
        name="Montclaret Autopartage",
        slug="montclaret",
        kind=Community.Kind.PUBLIC,
        default_group=inhabitants_group,
        description="Les voitures de la commune, ouvertes aux habitants les soirs et week-ends.",
        primary_colour="#1d4ed8",
    )
    stations = []
    for name, address, lat, lon, capacity, charging, one_way in STATIONS:
        station = Station.objects.create(
            organisation=org,
            name=name,
            address=address,
            postcode="26400",
            city="Montclaret",
            latitude=Decimal(lat),
            longitude=Decimal(lon),
            capacity=capacity,
            charging_points=charging,
            one_way_returns=one_way,
        )
        station.communities.set([agents, public])
        stations.append(station)
    for index, (
        plate,
        make,
        model,
        category,
        energy,
        seats,
        range_km,
        consumption,
        co2,
        station_index,
        accessories,
    ) in enumerate(VEHICLES, start=1):
        vehicle = Vehicle.objects.create(
            organisation=org,
            plate=plate,
            make=make,
            model=model,
            category=category,
            energy=energy,
            seats=seats,
            range_km=range_km,
            consumption_per_100km=Decimal(consumption),
            co2_g_km=co2,
            home_station=stations[station_index],
            accessories=accessories,
            carpool_friendly=seats >= 5,
            battery_kwh=Decimal("52.0") if energy == "electric" else None,
        )
        vehicle.communities.set([agents] if category == "utility" else [agents, public])
        Box.objects.create(
            box_id=f"box-{index:03d}",
            organisation=org,
            vehicle=vehicle,
            firmware="1.4.2",
            secret_hash="!",
            provisioned_at=now,
        )
    manager = _user(MANAGER, "Sophie", "Reynaud")
    OrganisationManager.objects.create(user=manager, organisation=org, since=now)
    Membership.objects.create(
        user=manager, community=agents, role="manager", group=agents_group, joined_at=now
    )
    for index in range(30):
        first, last = FIRST[index], LAST[index]
        email = (
            MEMBER
            if index == 0
            else (
                f"{first.lower()}.{last.lower()}@montclaret.example".replace("é", "e")
                .replace("ë", "e")
                .replace("ï", "i")
                .replace("ö", "o")
            )
        )
        user = _user(email, first, last)
        community = agents if index < 12 else public
        group = agents_group if index < 12 else inhabitants_group
        Membership.objects.create(user=user, community=community, group=group, joined_at=now)
        if index == 0:
            Membership.objects.create(
                user=user, community=public, group=inhabitants_group, joined_at=now
            )
        birth = dt.date(1960 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29))
        issued = birth.replace(year=birth.year + 18 + rng.randrange(5))
        profile = DriverProfile.objects.create(
            user=user,
            birth_date=birth,
            licence_number=f"26{rng.randrange(10**10):010d}",
            licence_issued_on=issued,
            licence_expires_on=issued.replace(year=issued.year + 60),
        )
        profile.licence_document.save("permis.pdf", ContentFile(b"%PDF-1.4 demo\n"), save=False)
        profile.identity_document.save("identite.pdf", ContentFile(b"%PDF-1.4 demo\n"))
        # Most members are validated; the last three wait in the validation queue.
        validated = index < 27
        DriverApproval.objects.create(
            organisation=org,
            user=user,
            submitted_at=now,
            status="validated" if validated else "submitted",
            decided_at=now if validated else None,
            decided_by=manager if validated else None,
            licence_expires_on=profile.licence_expires_on,
        )
        Badge.objects.create(organisation=org, uid=f"04A1B2{index:04X}", user=user, issued_at=now)
    _tariffs(org, agents, public, inhabitants_group, now)
    return org


def _tariffs(
    org: Organisation,
    agents: Community,
    public: Community,
    inhabitants: UserGroup,
    now: dt.datetime,
) -> None:
    """Agents drive for work, free of charge; inhabitants pay by the hour
    and km, with a night rate, a day cap and an evening package."""
    from flotte.pricing.models import Tariff

    start = dt.date(now.year, 1, 1)
    Tariff.objects.create(
        organisation=org,
        community=agents,
        name="Agents",
        valid_from=start,
        hourly_rate=Decimal("3.00"),
        km_rate=Decimal("0.15"),
        free_business_use=True,
        created_at=now,
    )
    Tariff.objects.create(
        organisation=org,
        community=public,
        group=inhabitants,
        name="Habitants",
        valid_from=start,
        hourly_rate=Decimal("4.00"),
        km_rate=Decimal("0.25"),
        night_rate=Decimal("1.00"),
        day_cap=Decimal("35.00"),
        week_cap=Decimal("150.00"),
        included_km_per_day=20,
        minimum_charge=Decimal("2.00"),
        flat_rates=[
            {
                "label": "Soirée (18h-23h)",
                "max_minutes": 300,
                "price": "12.00",
                "included_km": 40,
                "from_time": "18:00",
                "until_time": "23:00",
            }
        ],
        created_at=now,
    )


def print_logins(address: str = "127.0.0.1:8000") -> None:
    print(
        f"\nFlotte demo at http://{address}  (password for all: {PASSWORD})\n"
        f"  operator:      {OPERATOR}   (admin at /admin/)\n"
        f"  fleet manager: {MANAGER}\n"
        f"  member:        {MEMBER}   (community page /c/montclaret/)\n"
        f"  API docs:      http://{address}/api/v1/docs\n",
        flush=True,
    )
