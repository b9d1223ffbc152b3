from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "flotte.booking"
    label = "booking"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from flotte.booking import params, tasks  # noqa: F401
