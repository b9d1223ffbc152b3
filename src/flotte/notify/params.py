"""Parameters of notifications and surveys."""

from flotte.accounts.parameters import Kind, Level, declare

ORG, COMMUNITY = Level.ORGANISATION, Level.COMMUNITY

REMINDER_BEFORE = declare(
    "notify_reminder_before_min",
    Kind.INT,
    60,
    levels=(ORG, COMMUNITY),
    minimum=0,
    maximum=48 * 60,
    unit="minutes",
    fr="Combien de temps avant le départ le membre reçoit un rappel de sa réservation "
    "(0 : pas de rappel). Une réservation faite moins longtemps à l'avance n'en reçoit pas.",
    en="How long before departure the member is reminded of their booking (0: no reminder). "
    "A booking made later than that gets none.",
)
LICENCE_NOTICE = declare(
    "notify_licence_expiry_days",
    Kind.INT,
    30,
    levels=(ORG,),
    minimum=0,
    maximum=365,
    unit="days",
    fr="Combien de jours avant l'expiration de son permis le conducteur validé est prévenu "
    "(0 : jamais).",
    en="How many days before their driving licence expires a validated driver is told (0: never).",
)
SURVEY_ENABLED = declare(
    "survey_enabled",
    Kind.BOOL,
    True,
    levels=(ORG, COMMUNITY),
    fr="Après chaque trajet, le conducteur reçoit un questionnaire de satisfaction.",
    en="After each trip, the driver gets a satisfaction survey.",
)
SURVEY_ANSWER_DAYS = declare(
    "survey_answer_days",
    Kind.INT,
    14,
    levels=(ORG,),
    minimum=1,
    maximum=90,
    unit="days",
    fr="Combien de jours après la fin du trajet le conducteur peut répondre au questionnaire.",
    en="How many days after the trip ended the driver may answer the survey.",
)
