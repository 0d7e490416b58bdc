"""Uploads stored, read back over HTTP through the URLs the API hands out, and deleted — once on
local storage and once on S3 (moto's server on loopback): see tests/s3.py."""

import io
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import HostApplication
from competitions.models import Tournament
from tests.competitions.conftest import tournament_body
from tests.conftest import bearer
from tests.factories import UserFactory

from .helpers import assert_no_metadata, image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def _gone(media_storage, url: str) -> bool:
    status, _ = media_storage.fetch(url)
    # S3 answers 403 rather than 404 to anonymous reads of a missing key when listing is not public.
    return status in (403, 404)


def _public_url_prefix(media_storage) -> str:
    if media_storage.backend == "s3":
        from tests.s3 import PUBLIC_BUCKET

        return f"{media_storage.moto.endpoint_url}/{PUBLIC_BUCKET}/"
    return "http://testserver/media/"


def _acl_is_public_read(media_storage, bucket: str, key: str) -> bool:
    grants = media_storage.moto.client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    return any(
        g["Grantee"].get("URI") == "http://acs.amazonaws.com/groups/global/AllUsers" and g["Permission"] == "READ"
        for g in grants
    )


def _unsigned(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def test_avatar_upload_read_back_and_replace(api, user, media_storage):
    response = api.post("/api/me/avatar", {"image": upload("me.jpg", image_bytes("JPEG", exif=True))}, **bearer(user))
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith(_public_url_prefix(media_storage) + "avatars/")
    assert "signature" not in url.lower()  # public: a plain, cacheable URL

    status, body = media_storage.fetch(url)
    assert status == 200
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        assert image.size == (512, 341)
        assert_no_metadata(image)

    user.refresh_from_db()
    first = user.avatar.name
    if media_storage.backend == "s3":
        from tests.s3 import PUBLIC_BUCKET

        assert _acl_is_public_read(media_storage, PUBLIC_BUCKET, first)

    again = api.post("/api/me/avatar", {"image": upload("me.png", image_bytes("PNG"))}, **bearer(user))
    assert again.status_code == 200
    assert media_storage.fetch(again.json()["avatar_url"])[0] == 200
    assert not media_storage.public.exists(first)
    assert _gone(media_storage, url)


def test_banner_thumbnail_replace_and_delete(api, media_storage):
    host = UserFactory(role="host", host_status="approved")
    created = api.post_json("/api/tournaments", tournament_body(), user=host)
    assert created.status_code == 201, created.content
    tournament = created.json()
    default = "http://testserver/static/competitions/banners/bgmi.svg"
    assert (tournament["banner_url"], tournament["banner_thumbnail_url"]) == (default, default)

    path = f"/api/tournaments/{tournament['id']}/banner"
    photo = image_bytes("JPEG", size=(3200, 1200), exif=True)
    response = api.post(path, {"image": upload("banner.jpg", photo, "image/jpeg")}, **bearer(host))
    assert response.status_code == 200, response.content
    banner_url, thumbnail_url = response.json()["banner_url"], response.json()["banner_thumbnail_url"]
    assert banner_url.startswith(_public_url_prefix(media_storage) + "banners/")
    assert thumbnail_url.startswith(_public_url_prefix(media_storage) + "banners/thumbnails/")

    status, body = media_storage.fetch(banner_url)
    assert status == 200
    with Image.open(io.BytesIO(body)) as image:
        assert (image.format, image.size) == ("JPEG", (1600, 600))
        assert_no_metadata(image)
    status, body = media_storage.fetch(thumbnail_url)
    assert status == 200
    with Image.open(io.BytesIO(body)) as image:
        assert (image.format, image.size) == ("WEBP", (480, 270))
        assert_no_metadata(image)

    detail = api.get_json(f"/api/tournaments/{tournament['id']}", user=host).json()
    assert (detail["banner_url"], detail["banner_thumbnail_url"]) == (banner_url, thumbnail_url)

    first = Tournament.objects.get(pk=tournament["id"])
    old_names = [first.banner.name, first.banner_thumbnail.name]
    if media_storage.backend == "s3":
        from tests.s3 import PUBLIC_BUCKET

        assert all(_acl_is_public_read(media_storage, PUBLIC_BUCKET, name) for name in old_names)

    replaced = api.post(path, {"image": upload("b.webp", image_bytes("WEBP", size=(800, 800)))}, **bearer(host))
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["banner_url"] != banner_url
    assert not any(media_storage.public.exists(name) for name in old_names)
    assert _gone(media_storage, banner_url)
    assert _gone(media_storage, thumbnail_url)
    status, body = media_storage.fetch(replaced.json()["banner_thumbnail_url"])
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (480, 270)  # a square banner is cropped to fill the card

    current = Tournament.objects.get(pk=tournament["id"])
    current_names = [current.banner.name, current.banner_thumbnail.name]
    deleted = api.delete(path, **bearer(host))
    assert deleted.status_code == 200, deleted.content
    assert (deleted.json()["banner_url"], deleted.json()["banner_thumbnail_url"]) == (default, default)
    assert not any(media_storage.public.exists(name) for name in current_names)
    assert _gone(media_storage, replaced.json()["banner_url"])


def test_deleting_a_draft_deletes_its_banner(api, media_storage):
    host = UserFactory(role="host", host_status="approved")
    tournament = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    path = f"/api/tournaments/{tournament['id']}/banner"
    assert api.post(path, {"image": upload("b.png", image_bytes("PNG"))}, **bearer(host)).status_code == 200
    stored = Tournament.objects.get(pk=tournament["id"])
    names = [stored.banner.name, stored.banner_thumbnail.name]
    assert all(media_storage.public.exists(name) for name in names)
    assert api.delete(f"/api/tournaments/{tournament['id']}", **bearer(host)).status_code == 204
    assert not any(media_storage.public.exists(name) for name in names)


def test_host_document_is_private_and_signed(api, user, media_storage):
    document = pdf_bytes()
    response = api.post(
        "/api/me/host-application",
        {"identity_document": upload("id.pdf", document, "application/pdf")},
        **bearer(user),
    )
    assert response.status_code == 201, response.content
    application = HostApplication.objects.get(user=user)
    name = application.identity_document.name
    assert application.identity_document.storage is media_storage.private
    assert not media_storage.public.exists(name)

    url = application.identity_document.url
    absolute = url if url.startswith("http") else f"http://testserver{url}"
    with application.identity_document.open("rb") as stored:
        kept = stored.read()
    assert kept.startswith(b"%PDF-")
    assert media_storage.fetch(absolute) == (200, kept)
    # Without its signature the same object is refused.
    assert media_storage.fetch(_unsigned(absolute))[0] == 403
    if media_storage.backend == "local":
        # So is a forged one (moto does not verify presigned signatures on existing keys; S3 does).
        assert media_storage.fetch(absolute.replace("signature=", "signature=0"))[0] == 403
    if media_storage.backend == "s3":
        from tests.s3 import PRIVATE_BUCKET

        key = f"private/{name}"
        assert not _acl_is_public_read(media_storage, PRIVATE_BUCKET, key)
        media_storage.moto.client.head_object(Bucket=PRIVATE_BUCKET, Key=key)

    media_storage.private.delete(name)
    assert not media_storage.private.exists(name)
    assert media_storage.fetch(absolute)[0] in (403, 404)


def test_private_alias_round_trip(media_storage):
    """What a feature storing through storages["private"] (result screenshots) gets: a signed,
    expiring URL that reads the file back, a bare URL that is refused, and a delete that sticks."""
    png = image_bytes("PNG", size=(64, 64))
    name = media_storage.private.save("screenshots/match-1.png", ContentFile(png))
    url = media_storage.private.url(name)
    absolute = url if url.startswith("http") else f"http://testserver{url}"
    assert media_storage.fetch(absolute) == (200, png)
    assert media_storage.fetch(_unsigned(absolute))[0] == 403
    media_storage.private.delete(name)
    assert not media_storage.private.exists(name)
    assert media_storage.fetch(absolute)[0] in (403, 404)


def test_every_game_ships_its_default_banner(api):
    from django.contrib.staticfiles import finders

    from competitions.models import Game

    games = list(Game.objects.all())
    assert games
    for game in games:
        assert finders.find(game.banner), f"{game.slug}: {game.banner} is not a static file"
    for game in api.get_json("/api/games").json():
        assert game["banner_url"].startswith("http://testserver/static/competitions/banners/")
        assert api.get(game["banner_url"].removeprefix("http://testserver")).status_code == 200
