"""Photos from phones: checked to be real images, then re-encoded as JPEG,
which drops their metadata (EXIF, GPS position) and anything hidden in the
file, and bounded in size."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from flotte.core.errors import ValidationFailed

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # as the identity documents (DATA_UPLOAD_MAX_MEMORY_SIZE)
PHOTO_MAX_PIXELS = 40_000_000  # a decompression bomb is refused before decoding
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
STORED_MAX_SIDE = 2048


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile[bytes]
    width: int
    height: int


def photo_clean(upload: UploadedFile) -> CleanPhoto:
    """A JPEG of at most 2048 px on its longer side, or ValidationFailed."""
    if upload.size is None or upload.size > PHOTO_MAX_BYTES:
        raise ValidationFailed("a photo may weigh 5 MiB at most", fields={"file": "too large"})
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise ValidationFailed(
                    "send a JPEG, PNG or WebP photo", fields={"file": "file type refused"}
                )
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise ValidationFailed(
                    "this photo is too large", fields={"file": "too many pixels"}
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            "this file is not a readable image", fields={"file": "not an image"}
        ) from None
    rgb.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return CleanPhoto(ContentFile(out.getvalue(), name="photo.jpg"), rgb.width, rgb.height)
