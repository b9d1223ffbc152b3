"""Parameters of carpooling."""

from decimal import Decimal

from flotte.accounts.parameters import Kind, Level, declare

ORG, COMMUNITY = Level.ORGANISATION, Level.COMMUNITY

MAX_DISTANCE = declare(
    "carpool_max_distance_km",
    Kind.DECIMAL,
    "2.0",
    levels=(ORG, COMMUNITY),
    minimum=Decimal("0.1"),
    maximum=Decimal("50"),
    unit="km",
    fr="Distance à vol d'oiseau au-delà de laquelle un covoiturage n'est plus proposé : entre "
    "la station de départ du conducteur et celle du passager, et entre leurs destinations.",
    en="Straight-line distance beyond which a carpool trip is not offered: between the "
    "driver's and the passenger's departure stations, and between their destinations.",
)
CONTRIBUTION_PER_KM = declare(
    "carpool_contribution_per_km",
    Kind.DECIMAL,
    "0",
    levels=(ORG, COMMUNITY),
    minimum=Decimal("0"),
    maximum=Decimal("2"),
    unit="EUR/km",
    fr="Participation aux frais qu'un passager verse au conducteur par km du trajet, affichée "
    "avec chaque covoiturage (0 : pas de partage des frais affiché).",
    en="Contribution a passenger pays the driver per km of the trip, shown with each carpool "
    "trip (0: no cost sharing shown).",
)
