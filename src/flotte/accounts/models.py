from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager

colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1d4ed8."))
slug_rule = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Lower-case letters, digits and dashes, 1 to 50 characters."),
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, is_operator=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Not tenant-owned: one person may belong to communities of
    several organisations; what each organisation sees of them goes through
    their memberships there."""

    email = models.EmailField(_("e-mail"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text=_("Can log into the admin."))
    is_operator = models.BooleanField(
        default=False, help_text=_("Platform staff: sees and manages every organisation.")
    )
    date_joined = models.DateTimeField(auto_now_add=True)
    # Secret of the member's calendar feed URL (empty until asked for).
    calendar_token = models.CharField(max_length=64, blank=True, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Organisation(models.Model):
    """The client: a town, a département, a hospital, a company."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[slug_rule])
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^\d{9}$", _("A SIREN has 9 digits."))],
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    address = models.TextField(_("address"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[colour])
    secondary_colour = models.CharField(max_length=7, default="#0f766e", validators=[colour])
    domain = models.CharField(_("own domain"), max_length=200, blank=True)
    support_email = models.EmailField(_("support e-mail"), blank=True)
    support_phone = models.CharField(_("hotline"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = "pk"
    objects = TenantManager["Organisation"]()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A circle that shares vehicles: the agents of the town hall, the
    inhabitants. Has its own URL ``/c/<slug>/`` and branding."""

    class Kind(models.TextChoices):
        AGENTS = "agents", _("Agents and employees (business use)")
        PUBLIC = "public", _("Inhabitants (open to the public)")
        COMPANIES = "companies", _("Neighbouring companies")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="communities"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[slug_rule])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.AGENTS)
    description = models.TextField(_("description"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    primary_colour = models.CharField(max_length=7, blank=True, validators=[colour])
    secondary_colour = models.CharField(max_length=7, blank=True, validators=[colour])
    signup_open = models.BooleanField(_("open to sign-up"), default=True)
    default_group = models.ForeignKey(
        "UserGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The group new members join."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = "organisation"
    objects = TenantManager["Community"]()

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name

    @property
    def branding(self) -> dict[str, str]:
        """The community's look, falling back on its organisation's."""
        org = self.organisation
        logo = self.logo or org.logo
        return {
            "name": self.name,
            "organisation": org.name,
            "logo_url": logo.url if logo else "",
            "primary_colour": self.primary_colour or org.primary_colour,
            "secondary_colour": self.secondary_colour or org.secondary_colour,
        }


class UserGroup(models.Model):
    """Agents, elected officials, inhabitants...: rules and tariffs attach here."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="user_groups"
    )
    name = models.CharField(_("name"), max_length=100)
    private_use_allowed = models.BooleanField(_("private use allowed"), default=False)

    tenant_path = "organisation"
    objects = TenantManager["UserGroup"]()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="group_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a community: member or community manager."""

    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        MANAGER = "manager", _("community manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    cost_centre = models.CharField(_("cost centre"), max_length=50, blank=True)
    joined_at = models.DateTimeField()

    tenant_path = "community__organisation"
    objects = TenantManager["Membership"]()

    class Meta:
        ordering = ["community", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="one_membership_per_community"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.community}"


class OrganisationManager(models.Model):
    """A fleet manager of a whole organisation (all its communities)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_organisations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="managers"
    )
    since = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["OrganisationManager"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_manager_role_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} manages {self.organisation}"


def document_path(instance: DriverProfile, filename: str) -> str:
    import secrets

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{instance.user_id}/{secrets.token_hex(12)}.{suffix}"


class DriverProfile(models.Model):
    """The driver's own data: birth date, licence and documents. One per
    person; each organisation validates it for itself (DriverApproval)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="driver_profile"
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=30, blank=True)
    licence_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    licence_expires_on = models.DateField(_("licence expires on"), null=True, blank=True)
    licence_document = models.FileField(_("driving licence"), upload_to=document_path, blank=True)
    identity_document = models.FileField(
        _("identity document"), upload_to=document_path, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(licence_expires_on__isnull=True)
                | models.Q(licence_issued_on__isnull=True)
                | models.Q(licence_expires_on__gt=models.F("licence_issued_on")),
                name="licence_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"driver profile of {self.user}"

    # What the driver fills in, and the documents they upload.
    DATA_FIELDS = ("birth_date", "licence_number", "licence_issued_on", "licence_expires_on")
    DOCUMENT_FIELDS = ("licence_document", "identity_document")

    def missing_fields(self) -> list[str]:
        required = self.DATA_FIELDS + self.DOCUMENT_FIELDS
        return [name for name in required if not getattr(self, name)]

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def licence_years_on(self, day: dt.date) -> int | None:
        if self.licence_issued_on is None:
            return None
        issued = self.licence_issued_on
        return day.year - issued.year - ((day.month, day.day) < (issued.month, issued.day))


class DriverApproval(models.Model):
    """An organisation's decision on a person's driver profile."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for validation")
        VALIDATED = "validated", _("validated")
        REJECTED = "rejected", _("rejected")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="approvals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approvals"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(_("reason"), blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The licence as validated: a later change to the profile needs a new look.
    licence_expires_on = models.DateField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["DriverApproval"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_approval_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.organisation}: {self.status}"


class Suspension(models.Model):
    """A member may not book while a suspension is in force."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("decided by a manager")
        LICENCE_EXPIRED = "licence_expired", _("driving licence expired")
        UNPAID = "unpaid", _("unpaid invoice")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="suspensions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    reason = models.TextField(_("reason"))
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    tenant_path = "organisation"
    objects = TenantManager["Suspension"]()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="suspension_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} suspended: {self.reason}"

    def in_force_at(self, at: dt.datetime) -> bool:
        return (
            self.lifted_at is None
            and self.starts_at <= at
            and (self.ends_at is None or at < self.ends_at)
        )


class Invitation(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default="member")
    group = models.ForeignKey(UserGroup, null=True, blank=True, on_delete=models.SET_NULL)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    tenant_path = "community__organisation"
    objects = TenantManager["Invitation"]()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.community}"


class ApiToken(models.Model):
    """A personal or app token for the API. Only a prefix (to find the row)
    and a hash of the secret are stored."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal")
        APP = "app", _("mobile app")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ParameterValue(models.Model):
    """A parameter set at one level: organisation, community, user group or
    vehicle. Declared in ``flotte.accounts.parameters``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="parameter_values"
    )
    key = models.CharField(max_length=80)
    level = models.CharField(max_length=12)
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.CASCADE)
    group = models.ForeignKey(UserGroup, null=True, blank=True, on_delete=models.CASCADE)
    vehicle = models.ForeignKey("fleet.Vehicle", null=True, blank=True, on_delete=models.CASCADE)
    value = models.JSONField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    tenant_path = "organisation"
    objects = TenantManager["ParameterValue"]()

    class Meta:
        constraints = [
            *[
                models.UniqueConstraint(
                    fields=[target, "key"],
                    condition=models.Q(level=level),
                    name=f"one_{level}_value_per_key",
                )
                for level, target in [
                    ("organisation", "organisation"),
                    ("community", "community"),
                    ("group", "group"),
                    ("vehicle", "vehicle"),
                ]
            ],
            models.CheckConstraint(
                condition=(
                    models.Q(level="organisation", community=None, group=None, vehicle=None)
                    | models.Q(level="community", community__isnull=False, group=None, vehicle=None)
                    | models.Q(level="group", group__isnull=False, community=None, vehicle=None)
                    | models.Q(level="vehicle", vehicle__isnull=False, community=None, group=None)
                ),
                name="parameter_target_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value!r} ({self.level})"
