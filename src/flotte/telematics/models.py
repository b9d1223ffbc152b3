"""What the boxes tell the platform, and what the platform asks of them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from flotte.core.tenancy import TenantManager


class VehicleState(models.Model):
    """The latest known state of a vehicle. Each field keeps the time the box
    observed it, so a message replayed late never overwrites newer state."""

    vehicle = models.OneToOneField(
        "fleet.Vehicle", primary_key=True, on_delete=models.CASCADE, related_name="state"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    odometer_km = models.FloatField(null=True, blank=True)
    odometer_at = models.DateTimeField(null=True, blank=True)
    energy_kind = models.CharField(max_length=4, blank=True)
    energy_pct = models.FloatField(null=True, blank=True)
    range_km = models.FloatField(null=True, blank=True)
    energy_at = models.DateTimeField(null=True, blank=True)
    ignition = models.BooleanField(null=True)
    ignition_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(null=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    doors_closed = models.BooleanField(null=True)
    doors_closed_at = models.DateTimeField(null=True, blank=True)
    charging = models.BooleanField(null=True)
    charging_at = models.DateTimeField(null=True, blank=True)
    key_present = models.BooleanField(null=True)
    key_present_at = models.DateTimeField(null=True, blank=True)
    immobilized = models.BooleanField(null=True)
    immobilized_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["VehicleState"]()

    def __str__(self) -> str:
        return f"state of vehicle {self.vehicle_id}"


class BoxRecord(models.Model):
    """What every sequenced box message keeps: which box (and, at the time,
    which organisation and vehicle), its number and when it was observed
    and received."""

    box = models.ForeignKey("fleet.Box", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.CASCADE, related_name="+"
    )
    vehicle = models.ForeignKey(
        "fleet.Vehicle", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    seq = models.BigIntegerField()
    ts = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        abstract = True


class Telemetry(BoxRecord):
    """One telemetry message, as observed by the box. No speed is ever kept;
    positions only as the organisation's policy allows, and purged after the
    retention period."""

    # No index of their own: the unique (box, seq) and the (vehicle, ts)
    # index start with them, and each index costs every row the gateway
    # stores (thousands a second).
    box = models.ForeignKey("fleet.Box", on_delete=models.CASCADE, related_name="+", db_index=False)
    vehicle = models.ForeignKey(
        "fleet.Vehicle", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    odometer_km = models.FloatField(null=True)
    energy_pct = models.FloatField(null=True)
    range_km = models.FloatField(null=True)
    ignition = models.BooleanField(null=True)
    locked = models.BooleanField(null=True)
    doors_closed = models.BooleanField(null=True)
    charging = models.BooleanField(null=True)
    key_present = models.BooleanField(null=True)
    immobilized = models.BooleanField(null=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    accuracy_m = models.FloatField(null=True)

    tenant_path = "organisation"
    objects = TenantManager["Telemetry"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["box", "seq"], name="telemetry_once_per_box_seq")
        ]
        indexes = [models.Index(fields=["vehicle", "ts"], name="telemetry_vehicle_ts")]

    def __str__(self) -> str:
        return f"telemetry {self.box_id}#{self.seq}"


class BoxEvent(BoxRecord):
    class Type(models.TextChoices):
        BADGE = "badge", _("badge presented")
        KEY_PRESENTED = "key_presented", _("digital key presented")
        UNLOCKED = "unlocked", _("unlocked")
        LOCKED = "locked", _("locked")
        IGNITION_ON = "ignition_on", _("ignition on")
        IGNITION_OFF = "ignition_off", _("ignition off")
        KEY_REMOVED = "key_removed", _("key removed")
        KEY_RETURNED = "key_returned", _("key returned")
        IMMOBILIZER_ENGAGED = "immobilizer_engaged", _("immobilizer engaged")
        IMMOBILIZER_RELEASED = "immobilizer_released", _("immobilizer released")
        LOW_BATTERY = "low_battery", _("low battery")
        TAMPER = "tamper", _("tampering")
        CRASH = "crash", _("crash")
        DOOR_OPENED_UNAUTHORIZED = "door_opened_unauthorized", _("door opened without access")

    type = models.CharField(max_length=30, choices=Type.choices)
    source = models.CharField(max_length=10, blank=True)
    badge_uid = models.CharField(max_length=20, blank=True)
    booking_ref = models.CharField(max_length=40, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    # Set once the platform has reacted (trip start, alert...).
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["BoxEvent"]()

    class Meta:
        ordering = ["ts", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["box", "seq"], name="event_once_per_box_seq")
        ]
        indexes = [models.Index(fields=["handled_at", "box"], name="event_to_handle")]

    def __str__(self) -> str:
        return f"{self.type} {self.box_id}#{self.seq}"


class Command(models.Model):
    """A command to a box, retried with the same id until it is answered or
    expires."""

    class Kind(models.TextChoices):
        UNLOCK = "unlock", _("unlock")
        LOCK = "lock", _("lock")
        IMMOBILIZE = "immobilize", _("immobilize")
        RELEASE_IMMOBILIZER = "release_immobilizer", _("release the immobilizer")
        LOCATE = "locate", _("locate")
        SYNC = "sync", _("sync")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        ACKED = "acked", _("done")
        REJECTED = "rejected", _("rejected by the box")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    OPEN = (State.QUEUED, State.SENT)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    box = models.ForeignKey("fleet.Box", on_delete=models.CASCADE, related_name="commands")
    vehicle = models.ForeignKey(
        "fleet.Vehicle", null=True, on_delete=models.SET_NULL, related_name="commands"
    )
    booking = models.ForeignKey(
        "booking.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    tenant_path = "organisation"
    objects = TenantManager["Command"]()

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["state", "expires_at"], name="command_open")]

    def __str__(self) -> str:
        return f"{self.kind} {self.box_id} ({self.state})"


class RejectedMessage(models.Model):
    """A box message the gateway refused, kept for the operator."""

    class Reason(models.TextChoices):
        INVALID_JSON = "invalid_json", _("not valid JSON")
        TOO_LARGE = "too_large", _("over 16 KiB")
        MISSING_FIELD = "missing_field", _("a required field is missing")
        BAD_VALUE = "bad_value", _("a field has a wrong value")
        UNKNOWN_BOX = "unknown_box", _("unknown box")
        WRONG_TOPIC = "wrong_topic", _("a topic the box may not use")
        UNHANDLED = "unhandled", _("the platform failed to handle it")

    received_at = models.DateTimeField()
    topic = models.CharField(max_length=300)
    box_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    excerpt = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.reason}: {self.topic}"


class Trip(models.Model):
    """The driving part of a booking, from the first unlock to the end."""

    booking = models.OneToOneField("booking.Booking", on_delete=models.CASCADE, related_name="trip")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    vehicle = models.ForeignKey("fleet.Vehicle", on_delete=models.PROTECT, related_name="trips")
    started_at = models.DateTimeField()
    start_source = models.CharField(max_length=10, blank=True)
    start_odometer_km = models.FloatField(null=True)
    start_energy_pct = models.FloatField(null=True)
    start_latitude = models.FloatField(null=True)
    start_longitude = models.FloatField(null=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_odometer_km = models.FloatField(null=True)
    end_energy_pct = models.FloatField(null=True)
    end_latitude = models.FloatField(null=True)
    end_longitude = models.FloatField(null=True)
    private_mode = models.BooleanField(default=False)

    tenant_path = "organisation"
    objects = TenantManager["Trip"]()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"trip of booking {self.booking_id}"

    @property
    def km(self) -> int | None:
        if self.start_odometer_km is None or self.end_odometer_km is None:
            return None
        return max(0, round(self.end_odometer_km - self.start_odometer_km))


class PrivateModeSwitch(models.Model):
    """Private mode hides a private trip's positions; only the switch times
    are kept."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="private_switches")
    on = models.BooleanField()
    at = models.DateTimeField()

    tenant_path = "trip__organisation"
    objects = TenantManager["PrivateModeSwitch"]()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"private mode {'on' if self.on else 'off'} at {self.at:%Y-%m-%d %H:%M}"


class SigningKey(models.Model):
    """The platform's Ed25519 key that signs digital keys; its public half
    is pushed to the boxes in their config."""

    key_id = models.CharField(max_length=32, unique=True)
    private_key = models.CharField(max_length=100)  # base64 of the 32-byte seed
    public_key = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.key_id


class DigitalKey(models.Model):
    """A signed digital key handed to a booking's driver."""

    key_id = models.CharField(max_length=64, unique=True)
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.CASCADE, related_name="digital_keys"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    box = models.ForeignKey("fleet.Box", on_delete=models.CASCADE, related_name="+")
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    issued_at = models.DateTimeField()

    tenant_path = "organisation"
    objects = TenantManager["DigitalKey"]()

    def __str__(self) -> str:
        return self.key_id
