from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "flotte.pricing"
    label = "pricing"
    verbose_name = "Pricing"
