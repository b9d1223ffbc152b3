"""Parameters of sign-up, driver validation and suspensions."""

from flotte.accounts.parameters import Kind, Level, declare

ORG = Level.ORGANISATION
COMMUNITY = Level.COMMUNITY
GROUP = Level.GROUP

MIN_AGE = declare(
    "member_min_age_years",
    Kind.INT,
    18,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=16,
    maximum=99,
    unit="years",
    fr="Âge minimum pour conduire un véhicule de la flotte.",
    en="Minimum age to drive a fleet vehicle.",
)
LICENCE_SENIORITY = declare(
    "licence_min_seniority_years",
    Kind.INT,
    2,
    levels=(ORG, COMMUNITY, GROUP),
    minimum=0,
    maximum=20,
    unit="years",
    fr="Ancienneté minimale du permis de conduire.",
    en="Minimum number of years since the driving licence was issued.",
)
INVITATION_ONLY = declare(
    "signup_invitation_only",
    Kind.BOOL,
    False,
    levels=(ORG, COMMUNITY),
    fr="L'inscription n'est possible que sur invitation d'un gestionnaire.",
    en="People can join only when a manager invites them.",
)
EMAIL_DOMAINS = declare(
    "signup_email_domains",
    Kind.TEXT_LIST,
    [],
    levels=(ORG, COMMUNITY),
    fr="Domaines d'adresse e-mail acceptés à l'inscription (vide : tous), "
    "par exemple pour réserver une communauté aux agents.",
    en="E-mail domains accepted at sign-up (empty: any), for instance to keep a "
    "community to the employer's staff.",
)
INVITATION_VALIDITY = declare(
    "invitation_validity_days",
    Kind.INT,
    14,
    levels=(ORG, COMMUNITY),
    minimum=1,
    maximum=90,
    unit="days",
    fr="Durée de validité d'une invitation.",
    en="How long an invitation can be accepted.",
)
VERIFICATION_VALIDITY = declare(
    "email_verification_validity_hours",
    Kind.INT,
    48,
    levels=(ORG, COMMUNITY),
    minimum=1,
    maximum=720,
    unit="hours",
    fr="Durée de validité du lien de vérification de l'adresse e-mail.",
    en="How long the e-mail verification link works.",
)
IDENTITY_REQUIRED = declare(
    "identity_document_required",
    Kind.BOOL,
    True,
    levels=(ORG,),
    fr="Une pièce d'identité doit être déposée avec le permis de conduire.",
    en="An identity document must be uploaded with the driving licence.",
)
LICENCE_EXPIRY_SUSPENDS = declare(
    "licence_expiry_suspends",
    Kind.BOOL,
    True,
    levels=(ORG,),
    fr="Un permis expiré suspend automatiquement le membre.",
    en="An expired driving licence suspends the member automatically.",
)
