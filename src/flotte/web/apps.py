from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "flotte.web"
    label = "web"
    verbose_name = "Web"
