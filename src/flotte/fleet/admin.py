from django.contrib import admin

from flotte.fleet import models


@admin.register(models.Station)
class StationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "city",
        "capacity",
        "charging_points",
        "one_way_returns",
        "active",
    ]
    list_filter = ["organisation", "one_way_returns", "active"]
    search_fields = ["name", "city"]


@admin.register(models.Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = [
        "plate",
        "make",
        "model",
        "organisation",
        "category",
        "energy",
        "status",
        "home_station",
    ]
    list_filter = ["organisation", "category", "energy", "status"]
    search_fields = ["plate", "vin", "make", "model"]


@admin.register(models.Box)
class BoxAdmin(admin.ModelAdmin):
    list_display = ["box_id", "vendor", "firmware", "organisation", "vehicle", "provisioned_at"]
    list_filter = ["vendor", "organisation"]
    readonly_fields = ["secret_hash"]


@admin.register(models.Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ["uid", "organisation", "user", "active", "issued_at"]
    list_filter = ["organisation", "active"]
    search_fields = ["uid", "user__email"]
    raw_id_fields = ["user"]
