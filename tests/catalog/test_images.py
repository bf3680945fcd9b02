"""Uploaded product images: only real, bounded images get in, re-encoded, no EXIF."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from eshop.catalog.images import (
    ImageRejected,
    add_product_image,
    storage_folder,
    thumbnail_name,
)

from .conftest import png_bytes


def jpeg_with_gps_exif() -> bytes:
    image = Image.new("RGB", (300, 200), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 57.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def test_a_good_image_is_stored_with_a_square_thumbnail(db, make_product):
    product = make_product()

    image = add_product_image(product, png_bytes((800, 600)), "Savon", "Soap")
    db.session.commit()

    folder = storage_folder()
    with Image.open(folder / image.filename) as stored:
        assert stored.format == "JPEG" and stored.size == (800, 600)
    with Image.open(folder / thumbnail_name(image.filename)) as thumbnail:
        assert thumbnail.size == (480, 480)
    assert product.images == [image]
    assert (image.alt_fr, image.alt_en) == ("Savon", "Soap")


def test_large_images_are_scaled_down(db, make_product):
    image = add_product_image(make_product(), png_bytes((3000, 1500)))

    with Image.open(storage_folder() / image.filename) as stored:
        assert stored.size == (1200, 600)


def test_exif_such_as_gps_position_is_stripped(db, make_product):
    original = jpeg_with_gps_exif()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif()  # the test file really carries EXIF

    image = add_product_image(make_product(), original)

    stored = (storage_folder() / image.filename).read_bytes()
    with Image.open(io.BytesIO(stored)) as reread:
        assert not reread.getexif()
    assert b"PhoneMaker" not in stored


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(
            b"just some text, renamed photo.jpg", "pas une image", id="text-as-jpg"
        ),
        pytest.param(SVG_WITH_SCRIPT, "pas une image", id="svg-with-script"),
        pytest.param(b"", "vide", id="empty"),
        pytest.param(png_bytes()[:60], "pas une image", id="truncated-png"),
        pytest.param(b"\xff" * (30 * 1024 * 1024), "5 Mo", id="30-megabytes"),
        pytest.param(
            png_claiming_size(8000, 6000), "40 mégapixels", id="48-megapixels"
        ),
        pytest.param(
            png_claiming_size(50_000, 50_000), "40 mégapixels", id="bomb-2500-mp"
        ),
        pytest.param(
            png_claiming_size(10_000, 10_000), "40 mégapixels", id="bomb-100-mp"
        ),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(db, make_product, data, reason):
    product = make_product()

    with pytest.raises(ImageRejected) as refused:
        add_product_image(product, data)

    assert reason in str(refused.value.message)
    assert product.images == []
    folder = Path(storage_folder())
    assert list(folder.iterdir()) == []


def test_refusal_messages_are_translated(app, make_product):
    product = make_product()
    with app.test_request_context("/?lang=fr"):
        with pytest.raises(ImageRejected) as refused:
            add_product_image(product, b"not an image")
        assert str(refused.value.message) == (
            "Ce fichier n'est pas une image que la boutique sait lire."
        )
