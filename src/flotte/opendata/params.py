"""Parameters of the open data feeds."""

from flotte.accounts.parameters import Kind, Level, declare

GBFS_ENABLED = declare(
    "gbfs_enabled",
    Kind.BOOL,
    False,
    levels=(Level.COMMUNITY,),
    fr="La communauté publie un flux GBFS v3 ouvert (stations, véhicules disponibles, tarifs) "
    "pour les applications de mobilité (MaaS), sans connexion.",
    en="The community publishes an open GBFS v3 feed (stations, available vehicles, tariffs) "
    "for mobility apps (MaaS), without login.",
)
GBFS_TTL = declare(
    "gbfs_ttl_seconds",
    Kind.INT,
    60,
    levels=(Level.ORGANISATION, Level.COMMUNITY),
    minimum=0,
    maximum=3600,
    unit="seconds",
    fr="Durée pendant laquelle un lecteur du flux GBFS peut garder les fichiers qui changent "
    "souvent (état des stations et des véhicules) avant de les relire.",
    en="How long a GBFS reader may keep the often-changing files (station and vehicle "
    "status) before reading them again.",
)
