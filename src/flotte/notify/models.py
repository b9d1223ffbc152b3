"""What the platform told whom, how members want to be told, their devices
for push, the satisfaction surveys and the mailings.

Labels here are plain English: the texts members read come from the
per-language templates under ``templates/notify/``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from flotte.core.tenancy import TenantManager


class Channel(models.TextChoices):
    EMAIL = "email", "e-mail"
    SMS = "sms", "SMS"
    PUSH = "push", "push"


class Notification(models.Model):
    """One message of one event to one member on one channel, from the moment
    it is decided (inside the transaction that caused it) to its delivery by
    a task. The member and the managers of the organisation read these."""

    class State(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # What the notification is about ("booking:12"): with it, the same event
    # reaches a member once per thing and channel, however often a sweep runs.
    key = models.CharField(max_length=100, blank=True)
    # The values the templates use, as JSON (datetimes tagged, see context.py).
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    language = models.CharField(max_length=5, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Notification"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["event", "key"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "channel", "key"],
                condition=~Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.user_id} by {self.channel}: {self.state}"


class NotificationPreference(models.Model):
    """A member's channels for one event. Personal, like the user row: it
    holds for every organisation the member belongs to. No row: the
    event's defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(max_length=40)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)
    push = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: {self.channels()}"

    def channels(self) -> set[str]:
        return {channel for channel in Channel.values if getattr(self, channel)}


class PushSubscription(models.Model):
    """A browser or phone of a member that accepted push notifications: the
    push service's endpoint and the keys that encrypt for that device."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"push device {self.pk} of {self.user_id}"


class SurveyResponse(models.Model):
    """The driver's opinion of one trip: one per booking."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="survey_responses"
    )
    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.CASCADE, related_name="survey_response"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    vehicle = models.ForeignKey(
        "fleet.Vehicle", on_delete=models.PROTECT, related_name="survey_responses"
    )
    # The vehicle's home station when the trip was answered for.
    station = models.ForeignKey(
        "fleet.Station", on_delete=models.PROTECT, related_name="survey_responses"
    )
    rating = models.PositiveSmallIntegerField()
    cleanliness = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["SurveyResponse"]()

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(cleanliness__gte=1, cleanliness__lte=5),
                name="survey_cleanliness_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"survey of booking {self.booking_id}: {self.rating}/5"


class Mailing(models.Model):
    """A message a manager sends to a community or a user group, in French,
    English or both; each member gets their language, or the other one."""

    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="mailings"
    )
    community = models.ForeignKey(
        "accounts.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mailings",
    )
    group = models.ForeignKey(
        "accounts.UserGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mailings",
    )
    subject_fr = models.CharField(max_length=200, blank=True)
    body_fr = models.TextField(blank=True)
    subject_en = models.CharField(max_length=200, blank=True)
    body_en = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    batches = models.PositiveIntegerField(default=0)

    tenant_path = "organisation"
    objects = TenantManager["Mailing"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(community__isnull=False, group__isnull=True)
                | Q(community__isnull=True, group__isnull=False),
                name="mailing_to_a_community_or_a_group",
            ),
            models.CheckConstraint(
                condition=(~Q(subject_fr="") & ~Q(body_fr=""))
                | (~Q(subject_en="") & ~Q(body_en="")),
                name="mailing_has_a_language",
            ),
        ]

    def __str__(self) -> str:
        return self.subject_fr or self.subject_en


class MailingRecipient(models.Model):
    """One member of a mailing's audience, frozen when the mailing is sent,
    in one of its batches."""

    class State(models.TextChoices):
        PENDING = "pending", "waiting"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        SKIPPED = "skipped", "unsubscribed meanwhile"

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings_received"
    )
    batch = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "mailing__organisation"
    objects = TenantManager["MailingRecipient"]()

    class Meta:
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["mailing", "batch", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "user"], name="one_mailing_per_recipient")
        ]

    def __str__(self) -> str:
        return f"mailing {self.mailing_id} to {self.user_id}: {self.state}"


class MailingOptOut(models.Model):
    """A member who asked for no more mailings from an organisation. It never
    stops the notifications of their bookings, invoices and payments."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="mailing_opt_outs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailing_opt_outs"
    )
    created_at = models.DateTimeField()
    # link (the page), one_click (List-Unsubscribe-Post), preferences (API)
    source = models.CharField(max_length=20)

    tenant_path = "organisation"
    objects = TenantManager["MailingOptOut"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_opt_out_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} unsubscribed from {self.organisation_id}"
