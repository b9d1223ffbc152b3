from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "flotte.api"
    label = "api"
    verbose_name = "REST API"
