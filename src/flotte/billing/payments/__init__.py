"""Card payments behind a provider interface (Stripe first): saved cards,
pre-authorisations, charges, refunds, webhooks and the payments sweep."""
