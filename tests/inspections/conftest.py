from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from flotte.accounts.models import User
from flotte.booking.models import Booking
from flotte.fleet.models import Vehicle
from flotte.inspections.models import Inspection
from flotte.inspections.services import (
    inspection_create,
    inspection_photo_add,
    inspection_submit,
    inspection_update,
    required_angles,
)
from tests import factories as f
from tests.conftest import Tenant


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretPhoneMaker"  # Make
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def photo(name: str = "car.png", data: bytes | None = None, content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type)


def boxless_vehicle(tenant: Tenant) -> Vehicle:
    vehicle = f.VehicleFactory(organisation=tenant.organisation, home_station=tenant.station)
    vehicle.communities.add(tenant.community)
    return vehicle


MARK = {"view": "left", "x": 0.3, "y": 0.5, "kind": "scratch", "note": "porte avant"}


def submitted(
    booking: Booking,
    kind: str,
    marks: list[dict[str, Any]] | None = None,
    driver: User | None = None,
) -> Inspection:
    """A complete inspection of the booking, submitted by its driver."""
    driver = driver or booking.member
    inspection = inspection_create(actor=driver, booking=booking, kind=kind)
    for angle in required_angles(booking):
        inspection_photo_add(actor=driver, inspection=inspection, angle=angle, upload=photo())
    inspection_update(
        actor=driver,
        inspection=inspection,
        data={"marks": marks or [], "energy_pct": 80, "odometer_km": 12000, "cleanliness": 4},
    )
    return inspection_submit(actor=driver, inspection=inspection)
