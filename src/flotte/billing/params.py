"""Parameters of invoicing. All are per organisation: the organisation is
the seller, and its invoices form one sequence."""

from flotte.accounts.parameters import Kind, Level, declare

ORG = Level.ORGANISATION

BILLING_ENABLED = declare(
    "billing_enabled",
    Kind.BOOL,
    False,
    levels=(ORG,),
    fr="Facturer les réservations : une facture est établie à la fin de chaque réservation.",
    en="Bill bookings: an invoice is drafted when each booking ends.",
)
MANAGER_VALIDATION = declare(
    "billing_manager_validation",
    Kind.BOOL,
    False,
    levels=(ORG,),
    fr="Les factures de fin de réservation attendent la validation d'un gestionnaire avant "
    "d'être émises.",
    en="Invoices drafted at the end of bookings wait for a manager's validation before "
    "they are issued.",
)
PAYMENT_DAYS = declare(
    "billing_payment_days",
    Kind.INT,
    30,
    levels=(ORG,),
    minimum=0,
    maximum=60,
    unit="days",
    fr="Délai de paiement : la date d'échéance suit la date d'émission de ce nombre de jours "
    "(0 : payable à réception ; 60 au plus, art. L441-10 du Code de commerce).",
    en="Payment term: the due date is this many days after the issue date "
    "(0: payable on receipt; at most 60, French Commercial Code art. L441-10).",
)
LATE_PAYMENT_TERMS = declare(
    "billing_late_payment_terms",
    Kind.TEXT,
    "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la date "
    "d'échéance, au taux de trois fois le taux d'intérêt légal en vigueur.",
    levels=(ORG,),
    fr="Conditions et taux des pénalités de retard de paiement, imprimés sur chaque facture.",
    en="Late-payment terms and penalty rate, printed on every invoice.",
)
