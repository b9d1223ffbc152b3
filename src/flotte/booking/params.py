"""Parameters of the booking rules."""

from flotte.accounts.parameters import Kind, Level, declare
from flotte.fleet.models import Vehicle

ORG, COMMUNITY, GROUP, VEHICLE = Level.ORGANISATION, Level.COMMUNITY, Level.GROUP, Level.VEHICLE

LEAD_TIME = declare(
    "booking_lead_time_min",
    Kind.INT,
    0,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=24 * 60,
    unit="minutes",
    fr="Délai minimal entre la réservation et le départ.",
    en="How long before departure a booking must be made at the latest.",
)
MIN_DURATION = declare(
    "booking_min_duration_min",
    Kind.INT,
    30,
    levels=(ORG, COMMUNITY, GROUP, VEHICLE),
    minimum=5,
    maximum=24 * 60,
    unit="minutes",
    fr="Durée minimale d'une réservation.",
    en="Shortest booking.",
)
MAX_DURATION = declare(
    "booking_max_duration_hours",
    Kind.INT,
    7 * 24,
    levels=(ORG, COMMUNITY, GROUP, VEHICLE),
    minimum=1,
    maximum=90 * 24,
    unit="hours",
    fr="Durée maximale d'une réservation.",
    en="Longest booking.",
)
HORIZON = declare(
    "booking_horizon_days",
    Kind.INT,
    90,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=1,
    maximum=730,
    unit="days",
    fr="Jusqu'à combien de jours à l'avance on peut réserver.",
    en="How far ahead a booking may start.",
)
BUFFER = declare(
    "booking_buffer_min",
    Kind.INT,
    15,
    levels=(ORG, COMMUNITY, VEHICLE),
    minimum=0,
    maximum=24 * 60,
    unit="minutes",
    fr="Battement après chaque réservation avant la suivante (retour, nettoyage).",
    en="Time kept free after each booking before the next one (return, cleaning).",
)
EV_CHARGING_BUFFER = declare(
    "booking_ev_charging_buffer_min",
    Kind.INT,
    30,
    levels=(ORG, COMMUNITY, VEHICLE),
    minimum=0,
    maximum=24 * 60,
    unit="minutes",
    fr="Battement supplémentaire après la réservation d'un véhicule électrique, pour la recharge.",
    en="Extra time kept free after booking an electric vehicle, for charging.",
)
MAX_CONCURRENT = declare(
    "booking_max_concurrent",
    Kind.INT,
    3,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=1,
    maximum=100,
    fr="Nombre maximal de réservations à venir ou en cours par membre.",
    en="Most upcoming or current bookings a member may hold.",
)
MAX_HOURS_PER_MONTH = declare(
    "booking_max_hours_per_month",
    Kind.INT,
    0,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=744,
    unit="hours",
    fr="Heures de réservation maximales par membre et par mois civil (0 : sans limite).",
    en="Most booked hours per member and calendar month (0: no limit).",
)
BUSINESS_PURPOSE_REQUIRED = declare(
    "booking_business_purpose_required",
    Kind.BOOL,
    True,
    levels=(ORG, COMMUNITY, GROUP),
    fr="Un motif ou un centre de coût est obligatoire pour un usage professionnel.",
    en="A trip purpose or cost centre is required for business use.",
)
CANCEL_FREE_HOURS = declare(
    "booking_cancel_free_until_hours",
    Kind.INT,
    24,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=30 * 24,
    unit="hours",
    fr="Annulation gratuite jusqu'à ce délai avant le départ initialement prévu.",
    en="Cancelling is free until this long before the originally booked start.",
)
CANCEL_FEE = declare(
    "booking_cancel_fee",
    Kind.DECIMAL,
    "5.00",
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=1000,
    unit="EUR incl. VAT",
    fr="Frais d'annulation tardive.",
    en="Fee for a late cancellation.",
)
EARLY_START = declare(
    "booking_early_start_min",
    Kind.INT,
    15,
    levels=(ORG, COMMUNITY),
    minimum=0,
    maximum=120,
    unit="minutes",
    fr="Combien de minutes avant l'heure réservée on peut prendre le véhicule.",
    en="How early before the booked time the trip may start.",
)
NO_SHOW_AFTER = declare(
    "booking_no_show_after_min",
    Kind.INT,
    30,
    levels=(ORG, COMMUNITY),
    minimum=5,
    maximum=24 * 60,
    unit="minutes",
    fr="Une réservation non commencée ce délai après son début est perdue (non-présentation) "
    "et le véhicule libéré.",
    en="A booking not started this long after its start becomes a no-show and frees the vehicle.",
)
LATE_GRACE = declare(
    "late_return_grace_min",
    Kind.INT,
    10,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=120,
    unit="minutes",
    fr="Tolérance de retard avant pénalité.",
    en="Grace period before a late return is charged.",
)
LATE_PENALTY = declare(
    "late_return_penalty_per_half_hour",
    Kind.DECIMAL,
    "10.00",
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=1000,
    unit="EUR incl. VAT",
    fr="Pénalité de retard par demi-heure entamée.",
    en="Late-return penalty per started half hour.",
)
RANGE_MARGIN = declare(
    "booking_range_margin_pct",
    Kind.INT,
    20,
    levels=(ORG, COMMUNITY, VEHICLE),
    minimum=0,
    maximum=200,
    unit="%",
    fr="Marge de sécurité sur l'autonomie : un véhicule est proposé si son autonomie couvre "
    "la distance déclarée augmentée de cette marge.",
    en="Safety margin on range: a vehicle is offered when its range covers the declared "
    "distance plus this margin.",
)
ASSIGNMENT = declare(
    "booking_assignment_priority",
    Kind.CHOICE,
    "electric_first",
    levels=(ORG, COMMUNITY),
    choices=("electric_first", "carpool_first", "spread_use"),
    fr="Choix du véhicule quand le membre réserve une station et une catégorie : électrique "
    "d'abord (si l'autonomie couvre le trajet), covoiturage d'abord, ou répartir l'usage.",
    en="How the vehicle is chosen when a member books a station and category: electric first "
    "(when its range covers the trip), carpool-friendly first, or spread use evenly.",
)
TRANSFER_LOOKAHEAD = declare(
    "transfer_lookahead_min",
    Kind.INT,
    60,
    levels=(ORG, COMMUNITY),
    minimum=0,
    maximum=24 * 60,
    unit="minutes",
    fr="Quand un véhicule est en retard, la réservation suivante qui commence dans ce délai est "
    "transférée sur un véhicule équivalent libre.",
    en="When a vehicle is late, the next booking starting within this time moves to an "
    "equivalent free vehicle.",
)
LATE_EXTENSION = declare(
    "late_return_extension_min",
    Kind.INT,
    30,
    levels=(ORG, COMMUNITY),
    minimum=0,
    maximum=24 * 60,
    unit="minutes",
    fr="Un trajet en retard est prolongé d'autant quand le créneau suivant est libre (0 : jamais).",
    en="A late trip is extended by this much when the next slot is free (0: never).",
)
ALLOWED_CATEGORIES = declare(
    "booking_allowed_categories",
    Kind.TEXT_LIST,
    [],
    levels=(ORG, COMMUNITY, GROUP),
    choices=tuple(Vehicle.Category.values),
    fr="Catégories de véhicules que le groupe peut réserver (vide : toutes).",
    en="Vehicle categories the group may book (empty: all).",
)
