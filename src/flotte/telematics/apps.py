from django.apps import AppConfig


class TelematicsConfig(AppConfig):
    name = "flotte.telematics"
    label = "telematics"
    verbose_name = "Telematics"

    def ready(self) -> None:
        from flotte.telematics import params, tasks  # noqa: F401
