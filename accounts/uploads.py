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
BANNER_FORMATS = {"PNG", "JPEG", "WEBP"}
DOCUMENT_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF"}


def _format_list(formats: set[str]) -> str:
    names = [_FORMAT_NAMES[f] for f in ("PNG", "JPEG", "WEBP", "GIF") if f in formats]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def _format_of(image: Image.Image) -> str:
    """The image's format, with a camera's MPO (a JPEG carrying extra frames, such as a depth map,
    in its APP2 segment; the first frame is a plain JPEG and the only one decoded) taken as JPEG."""
    return "JPEG" if image.format == "MPO" else image.format


def _open_image(upload: UploadedFile, *, max_pixels: int, formats: set[str] = AVATAR_FORMATS) -> Image.Image:
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
        raise UnsupportedMediaType(f"The file is not an image we can read ({_format_list(formats)}).") from None
    # Pillow's own guard only trips at ~89 megapixels; our limit is much lower.
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"The image is {width}×{height}; at most {max_pixels:,} pixels are allowed.", code="image_too_large"
        )
    return image


def image_load(upload: UploadedFile, *, max_bytes: int, max_pixels: int, formats: set[str], what: str) -> Image.Image:
    """Check an upload and decode it: size, real format (not the name or the claimed type),
    pixel count before decoding, then orientation applied and the pixels alone kept, as RGB or
    RGBA. Whatever is encoded from the result carries no EXIF or other metadata."""
    if upload.size > max_bytes:
        raise PayloadTooLarge(f"{what} can be at most {max_bytes // (1024 * 1024)} MiB.")
    image = _open_image(upload, max_pixels=max_pixels, formats=formats)
    if _format_of(image) not in formats:
        raise UnsupportedMediaType(f"{image.format} images are not accepted; use {_format_list(formats)}.")
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Invalid("The image is damaged and cannot be decoded.", code="image_corrupt") from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def image_encode(image: Image.Image, *, box: tuple[int, int]) -> ContentFile:
    """Shrunk to fit inside `box` (aspect kept, never enlarged); PNG when it has transparency,
    JPEG otherwise. Saving without exif=/pnginfo= writes no metadata at all."""
    image = image.copy()
    image.thumbnail(box, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(out, format="JPEG", quality=88, optimize=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def image_thumbnail(image: Image.Image, *, size: tuple[int, int]) -> ContentFile:
    """Exactly `size`, cropped around the centre to fill it; WebP (keeps transparency)."""
    thumbnail = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumbnail.save(out, format="WEBP", quality=80, method=4)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")


def avatar_normalize(upload: UploadedFile) -> ContentFile:
    return image_normalize(
        upload, max_bytes=settings.AVATAR_MAX_BYTES, box=(settings.AVATAR_SIZE, settings.AVATAR_SIZE), what="Avatars"
    )


def image_normalize(
    upload: UploadedFile,
    *,
    max_bytes: int,
    box: tuple[int, int],
    what: str,
    formats: set[str] = AVATAR_FORMATS,
    max_pixels: int | None = None,
) -> ContentFile:
    """Re-encode an uploaded image: orientation applied, EXIF and other metadata dropped,
    shrunk to fit `box`."""
    image = image_load(
        upload, max_bytes=max_bytes, max_pixels=max_pixels or settings.AVATAR_MAX_PIXELS, formats=formats, what=what
    )
    return image_encode(image, box=box)


def banner_normalize(upload: UploadedFile) -> tuple[ContentFile, ContentFile]:
    """A tournament banner (PNG, JPEG or WebP) fitted to BANNER_SIZE, and its thumbnail of
    exactly BANNER_THUMBNAIL_SIZE for lists. Both re-encoded without metadata."""
    image = image_load(
        upload,
        max_bytes=settings.BANNER_MAX_BYTES,
        max_pixels=settings.BANNER_MAX_PIXELS,
        formats=BANNER_FORMATS,
        what="Banners",
    )
    return image_encode(image, box=settings.BANNER_SIZE), image_thumbnail(image, size=settings.BANNER_THUMBNAIL_SIZE)


def document_normalize(upload: UploadedFile) -> ContentFile:
    """An identity document checked, under a safe storage name, ready to store."""
    name = document_check(upload)
    upload.seek(0)
    return ContentFile(upload.read(), name=name)


def document_check(upload: UploadedFile) -> str:
    """Accept a PDF or an image as an identity document; return a safe storage name."""
    if upload.size > settings.HOST_DOCUMENT_MAX_BYTES:
        raise PayloadTooLarge(f"Documents can be at most {settings.HOST_DOCUMENT_MAX_BYTES // (1024 * 1024)} MiB.")
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        extension = "pdf"
    else:
        image = _open_image(upload, max_pixels=settings.AVATAR_MAX_PIXELS * 4, formats=DOCUMENT_IMAGE_FORMATS)
        if _format_of(image) not in DOCUMENT_IMAGE_FORMATS:
            raise UnsupportedMediaType("Identity documents must be PDF, PNG, JPEG or WebP.")
        extension = _format_of(image).lower().replace("jpeg", "jpg")
    upload.seek(0)
    return f"{uuid.uuid4().hex}.{extension}"


SCREENSHOT_FORMATS = {"PNG", "JPEG", "WEBP"}
SCREENSHOT_MAX_SIDE = 4096


def screenshot_normalize(upload: UploadedFile) -> ContentFile:
    """A result screenshot for OCR: checked like any image, orientation applied, metadata dropped,
    re-encoded losslessly as PNG (JPEG artefacts around small digits hurt OCR)."""
    image = image_load(
        upload, max_bytes=settings.SCREENSHOT_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS,
        formats=SCREENSHOT_FORMATS, what="Screenshots",
    ).convert("RGB")  # fmt: skip
    image.thumbnail((SCREENSHOT_MAX_SIDE, SCREENSHOT_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.png")
