"""Product images: checked, re-encoded and stored under instance/media/products/.

Uploads come from the back office, so nothing about a file is trusted: Pillow must
recognise it as JPEG, PNG, WebP or GIF, its size and pixel count are bounded (a
decompression bomb is refused before it is decoded), and it is re-encoded, which
drops EXIF (GPS position, camera serial) and anything hidden after the image data.
"""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from eshop.extensions import db

from .models import Product, ProductImage

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
FULL_SIZE = 1200  # longest side of the stored image, in pixels
THUMBNAIL_SIZE = 480  # square thumbnails for product tiles
JPEG_QUALITY = 84


class ImageRejected(ValueError):
    """An uploaded file is not an image the shop accepts; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = message


def storage_folder() -> Path:
    """Where product images live (created on first use)."""
    folder = Path(current_app.instance_path) / "media" / "products"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def thumbnail_name(filename: str) -> str:
    """The square thumbnail stored beside ``filename``."""
    stem, _, suffix = filename.rpartition(".")
    return f"{stem}-thumb.{suffix}"


def open_checked(data: bytes) -> Image.Image:
    """Decode ``data`` as an accepted image, or raise ImageRejected."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(_l("The image is larger than 5 MB."))
    if not data:
        raise ImageRejected(_l("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRejected(
                    _l("Only JPEG, PNG, WebP and GIF images are accepted.")
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(_l("The image has more than 40 megapixels."))
            image.load()
    except ImageRejected:
        raise  # a ValueError itself: keep its precise message
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_l("The image has more than 40 megapixels.")) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(
            _l("This file is not an image the shop can read.")
        ) from error
    return image


def _flattened(image: Image.Image) -> Image.Image:
    """Upright RGB pixels only: orientation applied, transparency on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def encode_variants(data: bytes) -> tuple[bytes, bytes]:
    """The stored image and its square thumbnail, as clean JPEG bytes."""
    image = _flattened(open_checked(data))
    full = image.copy()
    full.thumbnail((FULL_SIZE, FULL_SIZE), Image.Resampling.LANCZOS)
    thumbnail = ImageOps.fit(
        image, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS
    )
    return _jpeg(full), _jpeg(thumbnail)


def add_product_image(
    product: Product, data: bytes, alt_fr: str = "", alt_en: str = ""
) -> ProductImage:
    """Check, re-encode and store an image for ``product``; the caller commits.

    Raises ImageRejected with a message fit for the person who uploaded the file.
    """
    full, thumbnail = encode_variants(data)
    return store_product_image(product, "jpg", full, thumbnail, alt_fr, alt_en)


def store_product_image(
    product: Product,
    extension: str,
    full: bytes,
    thumbnail: bytes,
    alt_fr: str = "",
    alt_en: str = "",
) -> ProductImage:
    """Write a picture already checked (or drawn by the shop) and its thumbnail
    under a new name, and attach it to ``product``; the caller commits."""
    filename = f"{product.slug[:60]}-{secrets.token_hex(6)}.{extension}"
    folder = storage_folder()
    (folder / filename).write_bytes(full)
    (folder / thumbnail_name(filename)).write_bytes(thumbnail)
    image = ProductImage(
        filename=filename,
        alt_fr=alt_fr[:200],
        alt_en=alt_en[:200],
        position=len(product.images),
    )
    product.images.append(image)
    db.session.add(image)
    return image


def delete_image_files(filename: str) -> None:
    """Remove an image and its thumbnail from storage (after its row is deleted)."""
    folder = storage_folder()
    for name in (filename, thumbnail_name(filename)):
        (folder / name).unlink(missing_ok=True)
