from django.contrib import admin

from flotte.pricing.models import Tariff


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "community",
        "group",
        "valid_from",
        "valid_until",
        "hourly_rate",
        "km_rate",
        "day_cap",
    ]
    list_filter = ["organisation", "community"]
