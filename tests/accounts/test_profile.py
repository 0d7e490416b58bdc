import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import HostApplication, User
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.media.helpers import pdf_bytes
from wallet.models import Wallet

pytestmark = pytest.mark.django_db


def _image_bytes(fmt: str, size=(1200, 800), mode="RGB", exif: bool = False) -> bytes:
    image = Image.new(mode, size, color=(200, 30, 60) if mode == "RGB" else None)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x8825] = {2: (12.0, 58.0, 3.0)}  # GPS latitude
        kwargs["exif"] = data.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _upload(api, user, name: str, content: bytes, content_type: str):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return api.post("/api/me/avatar", {"image": file}, **bearer(user))


def test_me_patch_updates_profile(api, user):
    response = api.patch_json(
        "/api/me",
        {
            "display_name": "  Shadow ",
            "bio": "IGL, BGMI",
            "social_links": {"twitter": "https://x.com/shadow", "youtube": ""},
            "game_ids": {"bgmi": "5123456789"},
            "timezone": "Asia/Kolkata",
        },
        user=user,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Shadow"
    assert body["social_links"] == {"twitter": "https://x.com/shadow"}
    assert body["game_ids"] == {"bgmi": "5123456789"}
    assert body["timezone"] == "Asia/Kolkata"
    user.refresh_from_db()
    assert user.bio == "IGL, BGMI"


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "Mars/Olympus"},
        {"social_links": {"myspace": "https://myspace.com/x"}},
        {"social_links": {"twitter": "javascript:alert(1)"}},
        {"game_ids": {"BGMI!": "1"}},
        {"username": "no spaces allowed"},
        {"display_name": 42},
    ],
)
def test_me_patch_rejects_bad_values(api, user, body):
    response = api.patch_json("/api/me", body, user=user)
    assert response.status_code == 422, response.content
    assert isinstance(response.json()["detail"], str)
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.timezone, fresh.social_links, fresh.username) == ("UTC", {}, user.username)


def test_me_patch_username_taken_is_409(api, user):
    UserFactory(username="Taken")
    response = api.patch_json("/api/me", {"username": "taken"}, user=user)
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"), [("PNG", "a.png", "image/png"), ("JPEG", "a.jpg", "image/jpeg")]
)
def test_avatar_is_reencoded_resized_and_stripped(api, user, fmt, name, content_type):
    response = _upload(api, user, name, _image_bytes(fmt, exif=fmt == "JPEG"), content_type)
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith("http://testserver/media/avatars/")
    user.refresh_from_db()
    stored = Path(django_settings.MEDIA_ROOT) / user.avatar.name
    with Image.open(stored) as image:
        assert max(image.size) == 512
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info


def test_new_avatar_replaces_the_old_file(api, user):
    _upload(api, user, "a.png", _image_bytes("PNG"), "image/png")
    user.refresh_from_db()
    first = Path(django_settings.MEDIA_ROOT) / user.avatar.name
    assert first.exists()
    _upload(api, user, "b.png", _image_bytes("PNG"), "image/png")
    assert not first.exists()


def test_text_file_renamed_png_is_415(api, user):
    response = _upload(api, user, "evil.png", b"#!/bin/sh\necho not an image\n" * 10, "image/png")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    user.refresh_from_db()
    assert not user.avatar


def test_oversize_avatar_is_413(api, user, settings):
    settings.AVATAR_MAX_BYTES = 1024
    response = _upload(api, user, "big.png", _image_bytes("PNG") + b"\0" * 2048, "image/png")
    assert response.status_code == 413
    assert "detail" in response.json()


def test_decompression_bomb_is_refused_before_decoding(api, user):
    # 8000×8000 one-bit pixels compress to a few kilobytes but would decode to 64 megapixels.
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 100_000
    response = _upload(api, user, "bomb.png", out.getvalue(), "image/png")
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"


def test_avatar_without_file_is_422(api, user):
    response = api.post("/api/me/avatar", {}, **bearer(user))
    assert response.status_code == 422
    assert "detail" in response.json()


def test_public_profile_and_leaderboard(api):
    star = UserFactory(username="Star", display_name="The Star")
    Wallet.objects.create(user=star, xp_balance=500)
    rookie = UserFactory(username="rookie")
    Wallet.objects.create(user=rookie, xp_balance=500)
    UserFactory(username="newbie")

    profile = api.get_json("/api/users/STAR")
    assert profile.status_code == 200
    assert profile.json()["username"] == "Star"
    assert profile.json()["xp"] == 500
    assert "email" not in profile.json()
    assert api.get_json("/api/users/nobody").status_code == 404

    board = api.get_json("/api/leaderboard?page_size=2")
    assert board.status_code == 200
    body = board.json()
    assert body["count"] == 3
    assert [(row["username"], row["rank"], row["xp"]) for row in body["items"]] == [
        ("Star", 1, 500),
        ("rookie", 1, 500),
    ]
    page_two = api.get_json("/api/leaderboard?page_size=2&page=2").json()
    assert [(row["username"], row["rank"]) for row in page_two["items"]] == [("newbie", 3)]
    assert api.get_json("/api/leaderboard?by=karma").status_code == 422


def test_host_application_needs_verified_email(api):
    unverified = UserFactory(email_verified_at=None)
    response = api.post("/api/me/host-application", {"message": "let me host"}, **bearer(unverified))
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"


def test_host_application_approval_makes_a_host(api, user, admin_user):
    document = SimpleUploadedFile("id.pdf", pdf_bytes(), content_type="application/pdf")
    response = api.post(
        "/api/me/host-application",
        {"message": "I run weekly BGMI scrims", "identity_document": document},
        **bearer(user),
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["has_identity_document"] is True
    application = HostApplication.objects.get(user=user)
    stored = Path(application.identity_document.path)
    try:
        # Kept outside public media, where nothing serves it.
        assert not stored.is_relative_to(Path(django_settings.MEDIA_ROOT))
        assert stored.read_bytes().startswith(b"%PDF-")

        again = api.post("/api/me/host-application", {"message": "again"}, **bearer(user))
        assert again.status_code == 409

        queue = api.get_json("/api/admin/users?host_status=pending", user=admin_user).json()
        assert [row["username"] for row in queue["items"]] == [user.username]

        assert api.post_json(f"/api/admin/hosts/{user.pk}/approve", user=user).status_code == 403
        approved = api.post_json(f"/api/admin/hosts/{user.pk}/approve", {"note": "ok"}, user=admin_user)
        assert approved.status_code == 200, approved.content
        assert approved.json()["status"] == "approved"
        me = api.get_json("/api/me", user=user).json()
        assert (me["role"], me["host_status"]) == ("host", "approved")
        assert api.post_json(f"/api/admin/hosts/{user.pk}/approve", user=admin_user).status_code == 409
    finally:
        stored.unlink(missing_ok=True)


def test_host_application_rejection_allows_reapplying(api, user, admin_user):
    assert api.post("/api/me/host-application", {}, **bearer(user)).status_code == 201
    rejected = api.post_json(f"/api/admin/hosts/{user.pk}/reject", {"note": "too new"}, user=admin_user)
    assert rejected.status_code == 200
    user.refresh_from_db()
    assert (user.role, user.host_status) == ("player", "rejected")
    assert api.post("/api/me/host-application", {}, **bearer(user)).status_code == 201


def test_host_document_must_be_pdf_or_image(api, user):
    document = SimpleUploadedFile("id.pdf", b"MZ\x90\x00 definitely an exe", content_type="application/pdf")
    response = api.post("/api/me/host-application", {"identity_document": document}, **bearer(user))
    assert response.status_code == 415
    assert not HostApplication.objects.exists()
    user.refresh_from_db()
    assert user.host_status == "none"


def test_admin_endpoints_are_admin_only(api, user, admin_user):
    assert api.get_json("/api/admin/stats", user=user).status_code == 403
    stats = api.get_json("/api/admin/stats", user=admin_user)
    assert stats.status_code == 200
    assert stats.json()["users"] == 2
    assert api.post_json("/api/admin/hosts/999999/approve", user=admin_user).status_code == 404
