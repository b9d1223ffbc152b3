"""Parameters of telematics and geolocation privacy."""

from flotte.accounts.parameters import Kind, Level, declare

ORG, COMMUNITY = Level.ORGANISATION, Level.COMMUNITY

POSITION_POLICY = declare(
    "position_policy",
    Kind.CHOICE,
    "booking_edges",
    levels=(ORG,),
    choices=("never", "booking_edges", "parked_only", "always"),
    fr="Quand les boîtiers envoient la position : jamais, au début et à la fin des "
    "réservations, à l'arrêt seulement, ou toujours (avec une finalité déclarée).",
    en="When boxes send positions: never, at the edges of bookings, when parked only, "
    "or always (with a stated purpose).",
)
POSITION_PURPOSE = declare(
    "position_purpose",
    Kind.TEXT,
    "",
    levels=(ORG,),
    fr="Finalité du suivi permanent des positions ; sans elle, « toujours » vaut "
    "« début et fin des réservations ».",
    en="Why positions are tracked at all times; without it, 'always' acts as 'booking edges'.",
)
POSITION_RETENTION = declare(
    "position_retention_days",
    Kind.INT,
    60,
    levels=(ORG,),
    minimum=1,
    maximum=365,
    unit="days",
    fr="Durée de conservation des positions, effacées ensuite.",
    en="How long positions are kept before they are erased.",
)
TELEMETRY_INTERVAL = declare(
    "telemetry_interval_s",
    Kind.INT,
    30,
    levels=(ORG,),
    minimum=5,
    maximum=3600,
    unit="seconds",
    fr="Période d'envoi de la télémétrie contact mis.",
    en="How often a box reports while the ignition is on.",
)
PARKED_INTERVAL = declare(
    "parked_interval_s",
    Kind.INT,
    900,
    levels=(ORG,),
    minimum=60,
    maximum=86400,
    unit="seconds",
    fr="Période d'envoi de la télémétrie à l'arrêt.",
    en="How often a parked box reports.",
)
CONTACT_LOST_AFTER = declare(
    "box_contact_lost_after_min",
    Kind.INT,
    35,
    levels=(ORG,),
    minimum=2,
    maximum=7 * 24 * 60,
    unit="minutes",
    fr="Silence d'un boîtier au-delà duquel il est signalé « contact perdu ».",
    en="How long a box may stay silent before it shows as 'contact lost'.",
)
ACCESS_WINDOW = declare(
    "access_window_hours",
    Kind.INT,
    24,
    levels=(ORG,),
    minimum=1,
    maximum=7 * 24,
    unit="hours",
    fr="Réservations des prochaines heures gardées dans chaque boîtier pour l'accès hors ligne.",
    en="Bookings of the next hours kept in each box for offline access.",
)
COMMAND_EXPIRY = declare(
    "command_expiry_s",
    Kind.INT,
    120,
    levels=(ORG,),
    minimum=10,
    maximum=3600,
    unit="seconds",
    fr="Durée pendant laquelle une commande au boîtier est réessayée avant d'expirer.",
    en="How long a command to a box is retried before it expires.",
)
RETURN_RADIUS = declare(
    "return_radius_m",
    Kind.INT,
    150,
    levels=(ORG, COMMUNITY),
    minimum=10,
    maximum=5000,
    unit="metres",
    fr="Distance maximale à la station de retour pour terminer un trajet.",
    en="How far from the return station a trip may end.",
)
