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
NO_SHOW_CHARGE = declare(
    "billing_no_show_charge",
    Kind.CHOICE,
    "booked_time",
    levels=(ORG,),
    choices=("booked_time", "none"),
    fr="Réservation non honorée (véhicule jamais pris) : facturer le temps réservé au tarif "
    "(booked_time) ou rien (none).",
    en="Booking not taken (the car was never picked up): bill the booked time at the tariff "
    "(booked_time) or nothing (none).",
)

# Card payments (billing/payments).
CARD_PAYMENTS = declare(
    "payment_card_enabled",
    Kind.BOOL,
    False,
    levels=(ORG,),
    fr="Paiement par carte : les membres enregistrent une carte, débitée à l'émission de "
    "chaque facture.",
    en="Card payments: members save a card, charged when each invoice is issued.",
)
PREAUTH_AMOUNT = declare(
    "payment_preauth_amount",
    Kind.DECIMAL,
    "0",
    levels=(ORG,),
    minimum=0,
    maximum=2000,
    unit="EUR",
    fr="Montant pré-autorisé sur la carte avant le départ, débité ensuite sur la facture "
    "(0 : pas de pré-autorisation). Si elle échoue, la réservation est annulée.",
    en="Amount held on the card before departure, then captured for the invoice "
    "(0: no pre-authorisation). If it fails, the booking is cancelled.",
)
PREAUTH_HOURS_BEFORE = declare(
    "payment_preauth_hours_before",
    Kind.INT,
    0,
    levels=(ORG,),
    minimum=0,
    maximum=144,
    unit="hours",
    fr="Pré-autoriser la carte ce nombre d'heures avant le départ (0 : dès la réservation). "
    "Une pré-autorisation tient au plus 7 jours chez Stripe.",
    en="Hold the amount this many hours before departure (0: as soon as the booking is "
    "made). Stripe keeps a hold for 7 days at most.",
)
RETRY_HOURS = declare(
    "payment_retry_hours",
    Kind.INT,
    24,
    levels=(ORG,),
    minimum=1,
    maximum=168,
    unit="hours",
    fr="Délai avant de présenter de nouveau une facture dont le paiement a échoué.",
    en="Delay before an invoice whose payment failed is charged again.",
)
FAILURES_BEFORE_SUSPENSION = declare(
    "payment_failures_before_suspension",
    Kind.INT,
    3,
    levels=(ORG,),
    minimum=1,
    maximum=10,
    fr="Nombre d'échecs de paiement d'une facture après lequel le membre est suspendu "
    "jusqu'au paiement.",
    en="Failed payments of one invoice after which the member is suspended until it is paid.",
)
INTERNAL_CHARGEBACK = declare(
    "billing_internal_chargeback",
    Kind.BOOL,
    False,
    levels=(ORG,),
    fr="Usage professionnel interne : les factures professionnelles ne sont pas débitées sur "
    "carte mais refacturées chaque mois par service ou centre de coût.",
    en="Internal business use: business invoices are not charged to a card but charged back "
    "each month per department or cost centre.",
)

# Payouts to the organisation (billing/payouts.py).
PAYOUT_PERIOD = declare(
    "payout_period",
    Kind.CHOICE,
    "month",
    levels=(ORG,),
    choices=("month", "fortnight"),
    fr="Période des relevés de reversement : le mois, ou la quinzaine (du 1er au 15, puis du "
    "16 à la fin du mois), dans le fuseau horaire de l'organisation.",
    en="Period of payout statements: the month, or the fortnight (1st to 15th, then 16th to "
    "the end of the month), in the organisation's time zone.",
)
PAYOUT_CONNECT_ACCOUNT = declare(
    "payout_connect_account",
    Kind.TEXT,
    "",
    levels=(ORG,),
    fr="Compte Stripe Connect de l'organisation (acct_...) auquel virer le net de chaque "
    "relevé de reversement, à la demande d'un gestionnaire (vide : pas de virement Stripe).",
    en="The organisation's Stripe Connect account (acct_...) to which a manager may transfer "
    "the net of each payout statement (empty: no Stripe transfer).",
)
