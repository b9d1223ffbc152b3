"""The operator's admin. Only operators reach it (``is_staff``); it runs in
the operator's cross-tenant scope."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from flotte.accounts import models


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_operator", "is_active", "date_joined"]
    list_filter = ["is_operator", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Person",
            {"fields": ["first_name", "last_name", "phone", "language", "email_verified_at"]},
        ),
        (
            "Rights",
            {
                "fields": [
                    "is_active",
                    "is_operator",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class CommunityInline(admin.TabularInline):
    model = models.Community
    fields = ["name", "slug", "kind", "signup_open"]
    extra = 0


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "siren", "time_zone"]
    search_fields = ["name", "slug", "siren"]
    inlines = [CommunityInline]


@admin.register(models.Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organisation", "kind", "signup_open"]
    list_filter = ["organisation", "kind"]
    search_fields = ["name", "slug"]


@admin.register(models.UserGroup)
class UserGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "private_use_allowed"]
    list_filter = ["organisation"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "group", "joined_at"]
    list_filter = ["community__organisation", "role"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(models.OrganisationManager)
class OrganisationManagerAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "since"]
    raw_id_fields = ["user"]


@admin.register(models.DriverApproval)
class DriverApprovalAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "status", "submitted_at", "decided_at"]
    list_filter = ["organisation", "status"]
    raw_id_fields = ["user", "decided_by"]


@admin.register(models.Suspension)
class SuspensionAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "kind", "starts_at", "ends_at", "lifted_at"]
    list_filter = ["organisation", "kind"]
    raw_id_fields = ["user", "created_by", "lifted_by"]


@admin.register(models.ParameterValue)
class ParameterValueAdmin(admin.ModelAdmin):
    list_display = ["key", "organisation", "level", "community", "group", "vehicle", "value"]
    list_filter = ["organisation", "level", "key"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "kind", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "secret_hash"]
    raw_id_fields = ["user"]
