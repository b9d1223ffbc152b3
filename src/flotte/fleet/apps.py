from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "flotte.fleet"
    label = "fleet"
    verbose_name = "Fleet"
