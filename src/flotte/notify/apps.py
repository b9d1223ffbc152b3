from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "flotte.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from flotte.notify import params, tasks  # noqa: F401
