"""Box messages as a box following docs/box-protocol.md would send them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from flotte.core import clock
from flotte.telematics.ingest import BatchResult, Incoming, ingest_batch

STATION = (44.7335, 5.0416)  # where the factories put every station


def stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeBox:
    """A box's side of the protocol: numbered messages, fed to ingestion."""

    box_id: str
    seq: int = 0
    odometer_km: float = 1000.0
    pct: float = 80.0
    state: dict[str, Any] = field(
        default_factory=lambda: {
            "ignition": False,
            "locked": True,
            "doors_closed": True,
            "charging": False,
            "key_present": True,
            "immobilized": True,
        }
    )
    position: tuple[float, float] | None = STATION

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def telemetry(self, at: dt.datetime | None = None, **changes: Any) -> Incoming:
        self.state.update({k: v for k, v in changes.items() if k in self.state})
        self.odometer_km = changes.get("odometer_km", self.odometer_km)
        self.pct = changes.get("pct", self.pct)
        if "position" in changes:
            self.position = changes["position"]
        payload: dict[str, Any] = {
            "ts": stamp(at or clock.now()),
            "seq": self._next(),
            "odometer_km": self.odometer_km,
            "energy": {"kind": "soc", "pct": self.pct, "range_km": round(self.pct * 3)},
            **self.state,
        }
        if self.position is not None:
            payload["position"] = {
                "lat": self.position[0],
                "lon": self.position[1],
                "accuracy_m": 5,
            }
        return self.raw("telemetry", payload)

    def event(self, kind: str, at: dt.datetime | None = None, **fields: Any) -> Incoming:
        payload = {"ts": stamp(at or clock.now()), "seq": self._next(), "type": kind, **fields}
        return self.raw("events", payload)

    def ack(self, command_id: str, status: str = "ok") -> Incoming:
        payload = {"command_id": command_id, "status": status, "ts": stamp(clock.now())}
        return self.raw("acks", payload)

    def raw(self, leaf: str, payload: Any) -> Incoming:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return Incoming(f"flotte/v1/boxes/{self.box_id}/{leaf}", body, clock.now())


def send(*messages: Incoming) -> BatchResult:
    return ingest_batch(list(messages))


def private_trip(tenant: Any) -> Any:
    """A private trip under way on the tenant's vehicle, in private mode."""
    from flotte.booking.models import Booking
    from flotte.telematics.models import Trip
    from tests.booking.test_services import NOW, book

    with clock.frozen(NOW - dt.timedelta(hours=3)):
        booking = book(tenant, -1, 3)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.STARTED)
    return Trip.objects.create(
        booking=booking,
        organisation=tenant.organisation,
        vehicle=tenant.vehicle,
        started_at=NOW - dt.timedelta(hours=1),
        private_mode=True,
    )
