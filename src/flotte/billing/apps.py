from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "flotte.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from flotte.billing import params, tasks  # noqa: F401
