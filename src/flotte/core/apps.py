from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "flotte.core"
    label = "core"
    verbose_name = "Flotte core"
