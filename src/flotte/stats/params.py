"""Parameters of the statistics (docs/statistics.md explains the method)."""

from flotte.accounts.parameters import Kind, Level, declare

ORG = Level.ORGANISATION

BUSY_THRESHOLD = declare(
    "stats_busy_threshold_pct",
    Kind.INT,
    90,
    levels=(ORG,),
    minimum=1,
    maximum=100,
    unit="%",
    fr="Une journée est tendue quand, à un moment, cette part de la flotte est réservée "
    "(ou quand une recherche n'a trouvé aucun véhicule).",
    en="A day is busy when, at some moment, this share of the fleet is booked "
    "(or when a search found no vehicle).",
)
CO2_BASELINE = declare(
    "stats_co2_baseline_g_km",
    Kind.INT,
    193,
    levels=(ORG,),
    minimum=0,
    maximum=1000,
    unit="g CO2e/km",
    fr="Émissions de la voiture particulière moyenne que l'autopartage remplace "
    "(ADEME, Base Carbone).",
    en="Emissions of the average private car that car sharing replaces (ADEME, Base Carbone).",
)
CO2_KM_REDUCTION = declare(
    "stats_co2_km_reduction_pct",
    Kind.INT,
    0,
    levels=(ORG,),
    minimum=0,
    maximum=90,
    unit="%",
    fr="Part des kilomètres que les membres ne roulent plus depuis qu'ils partagent "
    "une voiture (0 : hypothèse prudente).",
    en="Share of the km members no longer drive since they share a car (0: cautious).",
)
LOW_EMISSION_MAX = declare(
    "stats_low_emission_max_g_km",
    Kind.INT,
    50,
    levels=(ORG,),
    minimum=0,
    maximum=200,
    unit="g CO2/km",
    fr="Seuil d'un véhicule à faibles émissions (50 g/km selon la loi LOM).",
    en="Threshold of a low-emission vehicle (50 g/km by the LOM law).",
)
LOM_REGIME = declare(
    "stats_lom_regime",
    Kind.CHOICE,
    "local_authority",
    levels=(ORG,),
    choices=("local_authority", "state", "other_public", "company", "none"),
    fr="Quotas de renouvellement (loi LOM, code de l'environnement L224-8 et L224-10) qui "
    "s'appliquent : collectivité, État, autre acheteur public, entreprise, ou aucun.",
    en="Renewal quotas (LOM law, code de l'environnement L224-8 and L224-10) that apply: "
    "local authority, State, other public buyer, company, or none.",
)
ADVICE_TOLERANCE = declare(
    "stats_fleet_advice_tolerance_pct",
    Kind.INT,
    2,
    levels=(ORG,),
    minimum=0,
    maximum=50,
    unit="%",
    fr="Part des demandes non servies acceptée quand on conseille une flotte plus petite.",
    en="Share of requests not served that is accepted when advising a smaller fleet.",
)
ADVICE_EXTRA = declare(
    "stats_fleet_advice_extra_vehicles",
    Kind.INT,
    2,
    levels=(ORG,),
    minimum=0,
    maximum=20,
    fr="Combien de véhicules de plus par station la simulation essaie.",
    en="How many more vehicles per station the simulation tries.",
)
