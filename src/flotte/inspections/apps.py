from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "flotte.inspections"
    label = "inspections"
    verbose_name = "Inspections and incidents"

    def ready(self) -> None:
        from flotte.inspections import params  # noqa: F401
