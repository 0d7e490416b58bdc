"""What an upload must be before anything is stored: the real format (not its name or claimed
type), a size and pixel limit, and a re-encode that drops EXIF and shrinks it."""

import io

import pytest
from PIL import Image

from accounts import uploads
from arena.exceptions import PayloadTooLarge, UnsupportedMediaType
from competitions.models import Tournament
from tests.competitions.conftest import tournament_body
from tests.conftest import bearer
from tests.factories import UserFactory

from .helpers import GPS_LATITUDE, assert_no_metadata, decompression_bomb, image_bytes, upload

pytestmark = pytest.mark.django_db

TEXT_AS_PNG = b"#!/bin/sh\necho not an image\n" * 10


@pytest.fixture
def banner_path(api):
    host = UserFactory(role="host", host_status="approved")
    tournament = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    return f"/api/tournaments/{tournament['id']}/banner", host


def test_the_source_photo_really_has_gps_exif():
    with Image.open(io.BytesIO(image_bytes("JPEG", exif=True))) as image:
        assert image.getexif().get_ifd(0x8825) == GPS_LATITUDE


def test_banner_drops_exif_gps_and_is_resized(api, banner_path):
    path, host = banner_path
    photo = image_bytes("JPEG", size=(4000, 3000), exif=True)
    response = api.post(path, {"image": upload("photo.jpg", photo, "image/jpeg")}, **bearer(host))
    assert response.status_code == 200, response.content
    tournament = Tournament.objects.get(pk=int(path.split("/")[3]))
    with tournament.banner.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (800, 600)  # fitted inside 1600×600, aspect kept
        assert_no_metadata(image)
        assert not image.getexif().get_ifd(0x8825)
    with tournament.banner_thumbnail.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (480, 270)
        assert_no_metadata(image)


def test_transparent_banner_stays_transparent(api, banner_path):
    path, host = banner_path
    png = image_bytes("PNG", size=(2000, 750), mode="RGBA")
    assert api.post(path, {"image": upload("logo.png", png)}, **bearer(host)).status_code == 200
    tournament = Tournament.objects.get(pk=int(path.split("/")[3]))
    with tournament.banner.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (1600, 600))
    with tournament.banner_thumbnail.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.mode) == ("WEBP", "RGBA")


@pytest.mark.parametrize("target", ["avatar", "banner", "document"])
def test_text_file_renamed_png_is_415(api, user, banner_path, target):
    path, host = {
        "avatar": ("/api/me/avatar", user),
        "banner": banner_path,
        "document": ("/api/me/host-application", user),
    }[target]
    field = "identity_document" if target == "document" else "image"
    response = api.post(path, {field: upload("evil.png", TEXT_AS_PNG)}, **bearer(host))
    assert response.status_code == 415, response.content
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("target", ["avatar", "banner"])
def test_decompression_bomb_is_413(api, user, banner_path, target):
    path, who = ("/api/me/avatar", user) if target == "avatar" else banner_path
    response = api.post(path, {"image": upload("bomb.png", decompression_bomb())}, **bearer(who))
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"


def test_gif_is_an_avatar_but_not_a_banner(api, user, banner_path):
    gif = image_bytes("GIF", size=(100, 100))
    assert api.post("/api/me/avatar", {"image": upload("a.gif", gif, "image/gif")}, **bearer(user)).status_code == 200
    path, host = banner_path
    response = api.post(path, {"image": upload("b.gif", gif, "image/gif")}, **bearer(host))
    assert response.status_code == 415
    assert "PNG, JPEG or WebP" in response.json()["detail"]


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_415(api, user, fmt):
    response = api.post("/api/me/avatar", {"image": upload("a.png", image_bytes(fmt))}, **bearer(user))
    assert response.status_code == 415


def test_banner_byte_and_pixel_limits_are_413(api, banner_path, settings):
    path, host = banner_path
    settings.BANNER_MAX_BYTES = 10_000
    big = image_bytes("PNG") + b"\0" * 10_000
    assert api.post(path, {"image": upload("big.png", big)}, **bearer(host)).status_code == 413
    settings.BANNER_MAX_BYTES = 5 * 1024 * 1024
    settings.BANNER_MAX_PIXELS = 1000 * 1000
    response = api.post(path, {"image": upload("wide.png", image_bytes("PNG", size=(1001, 1000)))}, **bearer(host))
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert not Tournament.objects.get(pk=int(path.split("/")[3])).banner


def test_only_the_host_can_set_or_delete_the_banner(api, banner_path):
    path, _host = banner_path
    stranger = UserFactory()
    assert api.post(path, {"image": upload("b.png", image_bytes("PNG"))}, **bearer(stranger)).status_code == 403
    assert api.delete(path, **bearer(stranger)).status_code == 403
    assert (
        api.post(
            "/api/tournaments/999999/banner", {"image": upload("b.png", image_bytes("PNG"))}, **bearer(stranger)
        ).status_code
        == 404
    )


def test_banner_normalize_refuses_before_decoding():
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(UnsupportedMediaType):
        uploads.banner_normalize(SimpleUploadedFile("x.png", TEXT_AS_PNG))
    with pytest.raises(PayloadTooLarge):
        uploads.banner_normalize(SimpleUploadedFile("x.png", decompression_bomb()))


def test_a_camera_mpo_jpeg_is_a_jpeg_for_avatars_and_banners(api, user, banner_path):
    """Pillow names a JPEG with an MPF segment (phone cameras) "MPO"; it was refused with 415."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 60)).save(
        out, format="MPO", save_all=True, append_images=[Image.new("RGB", (800, 600))]
    )
    photo = out.getvalue()
    assert (
        api.post("/api/me/avatar", {"image": upload("me.jpg", photo, "image/jpeg")}, **bearer(user)).status_code == 200
    )
    path, host = banner_path
    assert api.post(path, {"image": upload("b.jpg", photo, "image/jpeg")}, **bearer(host)).status_code == 200
