from django.apps import AppConfig


class CarpoolConfig(AppConfig):
    name = "flotte.carpool"
    label = "carpool"
    verbose_name = "Carpooling"

    def ready(self) -> None:
        from flotte.carpool import params  # noqa: F401
        from flotte.carpool.selectors import carpool_shared_rides
        from flotte.stats.carpool import register_carpool_source

        # Shared trips count in the statistics (passengers, km shared).
        register_carpool_source(carpool_shared_rides)
