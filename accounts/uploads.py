"""Checks on uploaded files: what they really contain, not what they claim to be."""

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from arena.exceptions import Invalid, PayloadTooLarge, UnsupportedMediaType

AVATAR_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
DOCUMENT_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}


def _open_image(upload: UploadedFile, *, max_pixels: int) -> Image.Image:
    """Open an image, refusing non-images and decompression bombs before decoding pixels."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge("The image's dimensions are too large.", code="image_too_large") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise UnsupportedMediaType("The file is not an image we can read (PNG, JPEG, WebP or GIF).") from None
    # Pillow's own guard only trips at ~89 megapixels; our limit is much lower.
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"The image is {width}×{height}; at most {max_pixels:,} pixels are allowed.", code="image_too_large"
        )
    return image


def avatar_normalize(upload: UploadedFile) -> ContentFile:
    return image_normalize(
        upload, max_bytes=settings.AVATAR_MAX_BYTES, box=(settings.AVATAR_SIZE, settings.AVATAR_SIZE), what="Avatars"
    )


def image_normalize(upload: UploadedFile, *, max_bytes: int, box: tuple[int, int], what: str) -> ContentFile:
    """Re-encode an uploaded image: orientation applied, EXIF and other metadata dropped,
    shrunk to fit `box`. Shared by avatars and tournament banners."""
    if upload.size > max_bytes:
        raise PayloadTooLarge(f"{what} can be at most {max_bytes // (1024 * 1024)} MiB.")
    image = _open_image(upload, max_pixels=settings.AVATAR_MAX_PIXELS)
    if image.format not in AVATAR_FORMATS:
        raise UnsupportedMediaType(f"{image.format} images are not accepted; use PNG, JPEG, WebP or GIF.")
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Invalid("The image is damaged and cannot be decoded.", code="image_corrupt") from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail(box, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Saving without exif=/pnginfo= writes no metadata at all.
    if has_alpha:
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(out, format="JPEG", quality=88, optimize=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def document_check(upload: UploadedFile) -> str:
    """Accept a PDF or an image as an identity document; return a safe storage name."""
    if upload.size > settings.HOST_DOCUMENT_MAX_BYTES:
        raise PayloadTooLarge(f"Documents can be at most {settings.HOST_DOCUMENT_MAX_BYTES // (1024 * 1024)} MiB.")
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        extension = "pdf"
    else:
        image = _open_image(upload, max_pixels=settings.AVATAR_MAX_PIXELS * 4)
        if image.format not in DOCUMENT_IMAGE_FORMATS:
            raise UnsupportedMediaType("Identity documents must be PDF, PNG, JPEG or WebP.")
        extension = image.format.lower().replace("jpeg", "jpg")
    upload.seek(0)
    return f"{uuid.uuid4().hex}.{extension}"


SCREENSHOT_FORMATS = {"PNG", "JPEG", "WEBP"}
SCREENSHOT_MAX_SIDE = 4096


def screenshot_normalize(upload: UploadedFile) -> ContentFile:
    """A result screenshot for OCR: checked like any image, orientation applied, metadata dropped,
    re-encoded losslessly as PNG (JPEG artefacts around small digits hurt OCR)."""
    if upload.size > settings.SCREENSHOT_MAX_BYTES:
        raise PayloadTooLarge(f"Screenshots can be at most {settings.SCREENSHOT_MAX_BYTES // (1024 * 1024)} MiB.")
    image = _open_image(upload, max_pixels=settings.AVATAR_MAX_PIXELS)
    if image.format not in SCREENSHOT_FORMATS:
        raise UnsupportedMediaType(f"{image.format} images are not accepted; send a PNG, JPEG or WebP screenshot.")
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Invalid("The image is damaged and cannot be decoded.", code="image_corrupt") from None
    image = image.convert("RGB")
    image.thumbnail((SCREENSHOT_MAX_SIDE, SCREENSHOT_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.png")
