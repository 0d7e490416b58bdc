"""Checks on uploaded files: what they really contain, not what they claim to be."""

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from arena.exceptions import ApplicationError, Invalid, PayloadTooLarge, UnsupportedMediaType

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
    mode = "RGBA" if has_alpha else "RGB"
    image = _to_srgb(image, mode=mode).convert(mode)
    # Only the pixels go on: a fresh image has an empty `info`, so no encoder can copy a JPEG
    # comment, EXIF, XMP, an ICC profile or PNG text chunks from the upload into what we store.
    pixels = Image.new(mode, image.size)
    pixels.paste(image)
    return pixels


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, *, mode: str) -> Image.Image:
    """Pixels described by an embedded ICC profile (a wide-gamut or CMYK photo), converted to
    sRGB, so they keep their colours once the profile is dropped. A profile that cannot be used
    (broken, or not matching the image's mode) is ignored: the pixels are taken as sRGB."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(
            image, source, _SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


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


DOCUMENT_MAX_SIDE = 4096


def document_normalize(upload: UploadedFile) -> ContentFile:
    """An identity document rebuilt from what it shows, under a safe storage name: an image is
    decoded and re-encoded (no EXIF, GPS, camera model, comments or profiles survive); a PDF is
    parsed and re-written (see `pdf_rewrite`). Nothing of the upload is stored byte for byte."""
    if upload.size > settings.HOST_DOCUMENT_MAX_BYTES:
        raise PayloadTooLarge(f"Documents can be at most {settings.HOST_DOCUMENT_MAX_BYTES // (1024 * 1024)} MiB.")
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        return ContentFile(pdf_rewrite(upload), name=f"{uuid.uuid4().hex}.pdf")
    image = image_load(
        upload, max_bytes=settings.HOST_DOCUMENT_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS * 2,
        formats=DOCUMENT_IMAGE_FORMATS, what="Documents",
    )  # fmt: skip
    return image_encode(image, box=(DOCUMENT_MAX_SIDE, DOCUMENT_MAX_SIDE))


# What a PDF identity document may not carry: anything that runs, launches or hides a file.
_PDF_REFUSED_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/XFA": "an XFA form",
    "/RichMedia": "rich media",
}
_PDF_REFUSED_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute"}
_PDF_METADATA_KEYS = ("/Metadata", "/PieceInfo")
_PDF_MAX_OBJECTS = 100_000


def pdf_rewrite(upload: UploadedFile) -> bytes:
    """Parse a PDF with pypdf and write its pages into a new file. Refused: what pypdf cannot
    parse (415), encrypted files, and files with JavaScript, launch/submit actions or embedded
    files (422). Dropped: the document info (author, producer, dates), XMP metadata streams,
    page-piece data, EXIF/XMP/comments inside embedded JPEG images, everything outside the page
    tree (names, open actions, outlines) and anything before the header or after %%EOF. Content
    streams are re-compressed, so no text such as HTML is left readable in the file."""
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise Invalid("Encrypted PDFs are not accepted; upload it without a password.", code="pdf_encrypted")
        refused = _pdf_scrub(reader.trailer["/Root"])
        if refused:
            raise Invalid(f"PDFs with {refused} are not accepted.", code="pdf_active_content")
        if not reader.pages:
            raise Invalid("The PDF has no pages.", code="pdf_empty")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        for page in writer.pages:
            page.compress_content_streams()
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except ApplicationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise UnsupportedMediaType("The file is not a PDF we can read.") from None
    return out.getvalue()


def _pdf_scrub(root) -> str | None:
    """Walk every object reachable from the catalog: name the first active content found, and
    drop metadata on the way (the writer only copies what the pages reach, so this is enough)."""
    stack, seen, visited = [root], set(), 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        visited += 1
        if visited > _PDF_MAX_OBJECTS:
            return "too many objects"
        if isinstance(obj, DictionaryObject):
            for key in _PDF_METADATA_KEYS:
                obj.pop(key, None)
            for key, value in obj.items():
                if key in _PDF_REFUSED_KEYS:
                    return _PDF_REFUSED_KEYS[key]
                if key == "/S" and value in _PDF_REFUSED_ACTIONS:
                    return f"a {value[1:]} action"
                if key == "/Subtype" and value == "/FileAttachment":
                    return "embedded files"
                stack.append(value)
            if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image" and _is_dct(obj.get("/Filter")):
                obj._data = jpeg_strip_metadata(obj._data)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def _is_dct(filters) -> bool:
    return filters == "/DCTDecode" or (isinstance(filters, list) and list(filters) == ["/DCTDecode"])


def jpeg_strip_metadata(data: bytes) -> bytes:
    """A JPEG stream without its EXIF, XMP, ICC and other APPn segments or comments, without
    re-encoding: APP0 (JFIF) and APP14 (Adobe: how to read the colours) are kept. Anything
    that does not parse as JPEG markers is returned unchanged."""
    if not data.startswith(b"\xff\xd8"):
        return data
    kept, i = [b"\xff\xd8"], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the image data follows
            kept.append(data[i:])
            return b"".join(kept)
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length
            kept.append(data[i : i + 2])
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if (0xE1 <= marker <= 0xEF and marker != 0xEE) or marker == 0xFE:
            i += 2 + length
            continue
        kept.append(data[i : i + 2 + length])
        i += 2 + length
    return data


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
