"""Photos are checked like identity documents, then re-encoded."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from flotte.core.errors import ValidationFailed
from flotte.inspections.photos import PHOTO_MAX_BYTES, photo_clean
from tests.inspections.conftest import image_bytes, photo


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_real_image_is_stored_as_a_jpeg(fmt: str) -> None:
    clean = photo_clean(photo(data=image_bytes(fmt)))
    with Image.open(io.BytesIO(clean.content.read())) as stored:
        assert stored.format == "JPEG"
        assert (stored.width, stored.height) == (40, 30) == (clean.width, clean.height)


def test_the_metadata_of_the_phone_is_dropped() -> None:
    data = image_bytes("JPEG", exif=True)
    assert b"SecretPhoneMaker" in data
    assert b"SecretPhoneMaker" not in photo_clean(photo(data=data)).content.read()


def test_a_large_photo_is_shrunk_to_2048_px() -> None:
    clean = photo_clean(photo(data=image_bytes("PNG", size=(3000, 1000))))
    assert (clean.width, clean.height) == (2048, 683)


def test_a_file_that_is_not_an_image_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="not a readable image"):
        photo_clean(photo("car.png", b"%PDF-1.4 not a photo", "image/png"))


def test_a_truncated_image_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        photo_clean(photo(data=image_bytes("PNG")[:60]))


def test_another_image_format_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(ValidationFailed, match="JPEG, PNG or WebP"):
        photo_clean(photo("car.gif", out.getvalue(), "image/gif"))


def test_a_photo_over_5_mib_is_refused() -> None:
    upload = photo(data=b"\0" * (PHOTO_MAX_BYTES + 1))
    with pytest.raises(ValidationFailed, match="5 MiB"):
        photo_clean(upload)
