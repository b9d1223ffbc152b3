from django.apps import AppConfig


class CarpoolConfig(AppConfig):
    name = "flotte.carpool"
    label = "carpool"
    verbose_name = "Carpooling"

    def ready(self) -> None:
        from flotte.carpool import params  # noqa: F401
