from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "flotte.accounts"
    label = "accounts"
    verbose_name = "Organisations and members"

    def ready(self) -> None:
        from flotte.accounts import params, tasks  # noqa: F401
