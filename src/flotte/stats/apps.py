from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "flotte.stats"
    label = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from flotte.stats import params, tasks  # noqa: F401
