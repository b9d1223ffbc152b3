"""Parameters of inspections (état des lieux) and incident reports."""

from flotte.accounts.parameters import Kind, Level, declare

ORG, COMMUNITY = Level.ORGANISATION, Level.COMMUNITY

CHECK_IN_REQUIRED = declare(
    "inspection_check_in_required",
    Kind.BOOL,
    False,
    levels=(ORG, COMMUNITY),
    fr="Le conducteur doit envoyer l'état des lieux de départ avant la première ouverture "
    "du véhicule.",
    en="The driver must submit the check-in inspection before the first unlock.",
)
CHECK_OUT_REQUIRED = declare(
    "inspection_check_out_required",
    Kind.BOOL,
    False,
    levels=(ORG, COMMUNITY),
    fr="Le conducteur doit envoyer l'état des lieux de retour avant de terminer le trajet.",
    en="The driver must submit the check-out inspection before ending the trip.",
)
PHOTO_ANGLES = declare(
    "inspection_photo_angles",
    Kind.TEXT_LIST,
    ["front", "rear", "left", "right", "interior", "dashboard"],
    levels=(ORG, COMMUNITY),
    fr="Photos exigées dans un état des lieux (une par angle) ; vide : aucune.",
    en="Photos an inspection must hold (one per angle); empty: none.",
)
INCIDENT_REPORT_DAYS = declare(
    "incident_report_days",
    Kind.INT,
    7,
    levels=(ORG, COMMUNITY),
    minimum=0,
    maximum=90,
    unit="days",
    fr="Pendant combien de jours après la fin de sa réservation un membre peut signaler "
    "un incident sur le véhicule.",
    en="How many days after the end of their booking a member may report an incident "
    "about the vehicle.",
)
