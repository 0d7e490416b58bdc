"""What is stored from an upload carries its pixels (or pages) and nothing else: no JPEG
comment, EXIF (GPS, camera), XMP, ICC profile, PNG text chunks or WebP metadata chunks, and
identity documents are rebuilt rather than stored byte for byte. The files are built with Pillow
and pypdf, uploaded through the public endpoints, and the stored bytes are parsed."""

import io
import struct

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter

from accounts.models import HostApplication, User
from competitions.models import Tournament
from tests.competitions.conftest import tournament_body
from tests.conftest import bearer
from tests.factories import UserFactory

from .helpers import GPS_LATITUDE, pdf_bytes, upload

pytestmark = pytest.mark.django_db

SECRET = "arena-secret-7Qz"  # in every metadata field; must never reach storage
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{SECRET}"/></rdf:RDF></x:xmpmeta>'
    '<?xpacket end="w"?>'
).encode()
RED = (255, 0, 0)


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile whose red and green primaries are swapped: a pixel stored as pure red
    *is* green to any colour-managed viewer. Dropping such a profile without converting the pixels
    would turn green into red."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    offsets = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, green = offsets[b"rXYZ"], offsets[b"gXYZ"]
    data[red + 4 : red + 12], data[green + 4 : green + 12] = data[green + 4 : green + 12], data[red + 4 : red + 12]
    data[84:100] = bytes(16)  # profile id: "not computed"
    return bytes(data)


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = f"SpyPhone {SECRET}"  # Model
    exif[0x8825] = GPS_LATITUDE  # GPSInfo
    return exif.tobytes()


def photo(fmt: str, size=(1200, 800), color=RED) -> bytes:
    """A photo in `fmt` with every kind of metadata that format can carry."""
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    icc = swapped_primaries_profile()
    if fmt == "JPEG":
        image.save(out, "JPEG", comment=SECRET.encode(), exif=camera_exif(), xmp=XMP, icc_profile=icc, quality=95)
    elif fmt == "PNG":
        info = PngInfo()
        info.add_text("Comment", SECRET)  # tEXt
        info.add_text("Author", SECRET, zip=True)  # zTXt
        info.add_itxt("Description", SECRET, lang="en", tkey="Description")  # iTXt
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        image.save(out, "PNG", pnginfo=info, exif=camera_exif(), icc_profile=icc)  # eXIf, iCCP
    else:
        image.save(out, "WEBP", exif=camera_exif(), xmp=XMP, icc_profile=icc, quality=95)  # EXIF, XMP, ICCP chunks
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The JPEG's segment markers up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while data[i + 1] != 0xDA:
        markers.append(data[i + 1])
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        chunks.append(data[i + 4 : i + 8])
        i += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    chunks, i = [], 12
    while i < len(data):
        (length,) = struct.unpack("<I", data[i + 4 : i + 8])
        chunks.append(data[i : i + 4])
        i += 8 + length + (length & 1)
    return chunks


def assert_only_pixels(data: bytes) -> None:
    """Parsed per format: only the chunks needed to show the pixels."""
    for leak in (SECRET.encode(), b"SpyCam", b"Exif\x00\x00", b"xmpmeta", b"ICC_PROFILE"):
        assert leak not in data, leak
    if data[:2] == b"\xff\xd8":
        assert set(jpeg_markers(data)) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD}, [hex(m) for m in jpeg_markers(data)]
    elif data[:4] == b"\x89PNG":
        assert set(png_chunks(data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, png_chunks(data)
    else:
        assert set(webp_chunks(data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, webp_chunks(data)


def assert_green(image: Image.Image) -> None:
    r, g, b = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert (g > 200, r < 80, b < 80) == (True, True, True), (r, g, b)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_source_files_really_carry_metadata(fmt):
    data = photo(fmt)
    assert SECRET.encode() in data or fmt == "PNG"  # PNG's zTXt is compressed; its tEXt is plain
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif().get_ifd(0x8825) == GPS_LATITUDE
        assert image.info["icc_profile"]
        assert image.getpixel((0, 0))[:3] == RED or fmt != "PNG"  # JPEG and WebP are lossy


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_avatars_keep_the_pixels_only_in_the_right_colours(api, user, fmt):
    response = api.post("/api/me/avatar", {"image": upload("me.img", photo(fmt))}, **bearer(user))
    assert response.status_code == 200, response.content
    avatar = User.objects.get(pk=user.pk).avatar
    with avatar.open("rb") as stored:
        data = stored.read()
    assert_only_pixels(data)
    with Image.open(io.BytesIO(data)) as image:
        assert "icc_profile" not in image.info
        assert_green(image)  # converted to sRGB, not just stripped of its profile


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_banners_and_their_thumbnails_keep_the_pixels_only(api, fmt):
    host = UserFactory(role="host", host_status="approved")
    tournament = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    response = api.post(
        f"/api/tournaments/{tournament['id']}/banner", {"image": upload("b.img", photo(fmt))}, **bearer(host)
    )
    assert response.status_code == 200, response.content
    stored = Tournament.objects.get(pk=tournament["id"])
    for field in (stored.banner, stored.banner_thumbnail):
        with field.open("rb") as file:
            data = file.read()
        assert_only_pixels(data)
        with Image.open(io.BytesIO(data)) as image:
            assert_green(image)


def stored_document(user) -> bytes:
    with HostApplication.objects.get(user=user).identity_document.open("rb") as stored:
        return stored.read()


def apply(api, user, name: str, content: bytes, content_type: str):
    return api.post(
        "/api/me/host-application",
        {"message": "I run weekly scrims", "identity_document": upload(name, content, content_type)},
        **bearer(user),
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_identity_document_photos_are_re_encoded_without_metadata(api, user, fmt):
    original = photo(fmt, size=(2000, 1400))
    response = apply(api, user, "id.img", original, "image/jpeg")
    assert response.status_code == 201, response.content
    data = stored_document(user)
    assert data != original
    assert_only_pixels(data)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (2000, 1400), "kept at full size: it must stay legible"
        assert_green(image)


def test_a_pdf_is_re_written_without_trailing_html_or_metadata(api, user):
    original = pdf_bytes(pages=2, metadata={"/Author": SECRET, "/Producer": "SpyScanner 9", "/Title": SECRET})
    # A polyglot: HTML in a comment after the header, and after %%EOF.
    header_end = original.index(b"\n") + 1
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    polyglot = original[:header_end] + b"%" + html + b"\n" + original[header_end:] + html
    with PdfReader(io.BytesIO(polyglot)) as reader:
        assert reader.metadata["/Author"] == SECRET
    response = apply(api, user, "id.pdf", polyglot, "application/pdf")
    assert response.status_code == 201, response.content
    data = stored_document(user)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"<html" not in data
    assert b"<script" not in data
    assert SECRET.encode() not in data
    assert b"SpyScanner" not in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert not reader.metadata
    assert HostApplication.objects.get(user=user).identity_document.name.endswith(".pdf")


def test_a_photo_inside_a_pdf_loses_its_exif_gps_and_comment(api, user):
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (200, 30, 60)).save(out, "PDF", exif=camera_exif(), comment=SECRET.encode())
    assert b"SpyCam" in out.getvalue()
    assert SECRET.encode() in out.getvalue()
    assert apply(api, user, "scan.pdf", out.getvalue(), "application/pdf").status_code == 201
    data = stored_document(user)
    assert b"SpyCam" not in data
    assert SECRET.encode() not in data
    assert b"Exif" not in data
    page = PdfReader(io.BytesIO(data)).pages[0]
    (picture,) = page.images
    assert picture.image.size == (600, 400), "the picture itself is intact"


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = _writer()
    writer.encrypt("hunter2")
    return _bytes(writer)


def javascript_pdf() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")}
    )
    return _bytes(writer)


def attachment_pdf() -> bytes:
    writer = _writer()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really")
    return _bytes(writer)


def launch_action_pdf() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = _writer()
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
    return _bytes(writer)


@pytest.mark.parametrize(
    ("build", "status", "code"),
    [
        (encrypted_pdf, 422, "pdf_encrypted"),
        (javascript_pdf, 422, "pdf_active_content"),
        (attachment_pdf, 422, "pdf_active_content"),
        (launch_action_pdf, 422, "pdf_active_content"),
        (lambda: b"%PDF-1.7\n%only shaped like a pdf\n%%EOF\n", 415, "unsupported_media_type"),
        (lambda: b"%PDF-1.4\n<html><script>alert(1)</script></html>", 415, "unsupported_media_type"),
    ],
)
def test_pdfs_that_are_not_plain_documents_are_refused(api, user, build, status, code):
    response = apply(api, user, "id.pdf", build(), "application/pdf")
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert not HostApplication.objects.exists()
