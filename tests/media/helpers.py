import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_LATITUDE = {1: "N", 2: (12.0, 58.0, 3.0)}


def image_bytes(fmt: str, size=(1200, 800), mode: str = "RGB", exif: bool = False) -> bytes:
    """An image; with exif=True it carries a camera make and a GPS position, as phone photos do."""
    image = Image.new(mode, size, color=(200, 30, 60) if mode == "RGB" else None)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x8825] = GPS_LATITUDE  # GPSInfo
        kwargs["exif"] = data.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def decompression_bomb() -> bytes:
    """8000×8000 one-bit pixels: a few kilobytes of PNG that would decode to 64 megapixels."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 100_000
    return out.getvalue()


def assert_no_metadata(image: Image.Image) -> None:
    assert not image.getexif()
    assert "exif" not in image.info
    assert not any(key in image.info for key in ("xmp", "XML:com.adobe.xmp", "icc_profile"))


def pdf_bytes(*, pages: int = 1, metadata: dict | None = None) -> bytes:
    """A real PDF (blank pages), as a scanner or a phone's "save as PDF" would make."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if metadata:
        writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
