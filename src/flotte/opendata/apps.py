from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "flotte.opendata"
    label = "opendata"
    verbose_name = "Open data"

    def ready(self) -> None:
        from flotte.opendata import params  # noqa: F401
