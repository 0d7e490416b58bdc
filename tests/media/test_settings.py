"""USE_S3 and the storages it builds; the local private storage's signed links."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.test import Client

from arena.storage import PrivateFileSystemStorage, _signature
from tests.ops.test_settings import PRODUCTION_ENV, _manage
from tests.s3 import settings_for

S3_ENV = {"USE_S3": "true", "AWS_STORAGE_BUCKET_NAME": "arena-media"}


def _with_local_private(backends: dict, location) -> dict:
    private = {"BACKEND": "arena.storage.PrivateFileSystemStorage", "OPTIONS": {"location": str(location)}}
    return {**backends, "private": private}


def test_local_storage_is_the_default():
    namespace = settings_for({"USE_S3": ""})
    assert namespace["USE_S3"] is False
    assert namespace["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert namespace["STORAGES"]["private"]["BACKEND"] == "arena.storage.PrivateFileSystemStorage"


@pytest.mark.parametrize("private", ["/srv/arena/media", "/srv/arena/media/private", "/srv/arena/media/./x/../p"])
def test_private_media_inside_media_root_is_refused(private):
    """Everything under MEDIA_ROOT is served at /media/ (or by a proxy) without a signature."""
    with pytest.raises(ImproperlyConfigured, match="PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT"):
        settings_for({"USE_S3": "", "MEDIA_ROOT": "/srv/arena/media", "PRIVATE_MEDIA_ROOT": private})
    beside = settings_for({"USE_S3": "", "MEDIA_ROOT": "/srv/arena/media", "PRIVATE_MEDIA_ROOT": "/srv/arena/media-p"})
    assert beside["STORAGES"]["private"]["OPTIONS"]["location"] == "/srv/arena/media-p"


def test_use_s3_without_a_bucket_is_refused():
    with pytest.raises(ImproperlyConfigured, match="USE_S3=true needs AWS_STORAGE_BUCKET_NAME"):
        settings_for({"USE_S3": "true", "AWS_STORAGE_BUCKET_NAME": ""})


def test_a_bucket_alone_does_not_switch_to_s3():
    namespace = settings_for({"USE_S3": "false", "AWS_STORAGE_BUCKET_NAME": "arena-media"})
    assert namespace["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_s3_storages_public_read_and_private_signed():
    namespace = settings_for(
        {
            **S3_ENV,
            "AWS_PRIVATE_BUCKET_NAME": "arena-private",
            "AWS_S3_REGION_NAME": "ap-south-1",
            "AWS_S3_ENDPOINT_URL": "https://minio.internal:9000",
            "PRIVATE_MEDIA_URL_EXPIRE": "120",
        }
    )
    public, private = namespace["STORAGES"]["default"], namespace["STORAGES"]["private"]
    assert public["BACKEND"] == private["BACKEND"] == "storages.backends.s3.S3Storage"
    assert public["OPTIONS"]["default_acl"] == "public-read"
    assert public["OPTIONS"]["querystring_auth"] is False
    assert private["OPTIONS"] | {"custom_domain": None} == {
        "bucket_name": "arena-private",
        "location": "private",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 120,
        "custom_domain": None,
    }
    assert namespace["AWS_S3_REGION_NAME"] == "ap-south-1"
    assert namespace["AWS_S3_ENDPOINT_URL"] == "https://minio.internal:9000"
    # Credentials are boto's business (env, instance role), never settings'.
    assert "AWS_ACCESS_KEY_ID" not in namespace
    assert "AWS_SECRET_ACCESS_KEY" not in namespace


def test_private_files_share_the_bucket_under_a_prefix_without_a_private_bucket():
    private = settings_for({**S3_ENV, "AWS_PRIVATE_BUCKET_NAME": ""})["STORAGES"]["private"]["OPTIONS"]
    assert (private["bucket_name"], private["location"], private["default_acl"]) == (
        "arena-media",
        "private",
        "private",
    )


def test_acls_can_be_left_to_a_bucket_policy():
    storages = settings_for({**S3_ENV, "AWS_S3_USE_ACLS": "false"})["STORAGES"]
    assert storages["default"]["OPTIONS"]["default_acl"] is None
    assert storages["private"]["OPTIONS"]["default_acl"] is None
    assert storages["private"]["OPTIONS"]["querystring_auth"] is True


def test_check_deploy_with_s3_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **S3_ENV})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_local_signed_links_expire_and_stay_inside_the_root(tmp_path, settings):
    storage = PrivateFileSystemStorage(location=str(tmp_path))
    settings.STORAGES = _with_local_private(settings.STORAGES, tmp_path)
    name = storage.save("screenshots/a.png", ContentFile(b"png bytes"))
    client = Client()
    assert client.get(storage.url(name)).status_code == 200
    assert client.get(storage.url(name, expire=-1)).status_code == 403
    # A signature is for one name only.
    other = storage.save("screenshots/b.png", ContentFile(b"other"))
    query = storage.url(name).split("?", 1)[1]
    assert client.get(f"/private-media/{other}?{query}").status_code == 403
    expires = int(time.time()) + 60
    assert client.get(f"/private-media/{name}?expires={expires}&signature=").status_code == 403
    # Traversal out of the root never serves a file, even with a valid signature for that name.
    (tmp_path.parent / "secret.txt").write_text("secret")
    expires = int(time.time()) + 60
    signature = _signature("../secret.txt", expires)
    assert client.get(f"/private-media/..%2Fsecret.txt?expires={expires}&signature={signature}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("expires", ["\u00b2", "\u0661\u0662", "9" * 5000, "-5", "1e12", ""])
def test_local_signed_links_refuse_malformed_expiry_with_403(tmp_path, settings, expires):
    """Digits int() refuses (superscripts, past the 4300-digit limit) were a 500, not a 403."""
    storage = PrivateFileSystemStorage(location=str(tmp_path))
    settings.STORAGES = _with_local_private(settings.STORAGES, tmp_path)
    name = storage.save("screenshots/a.png", ContentFile(b"png bytes"))
    response = Client(raise_request_exception=False).get(
        f"/private-media/{name}", {"expires": expires, "signature": "x"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_local_public_media_is_served_but_not_private_files(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.STORAGES = _with_local_private(settings.STORAGES, tmp_path / "private")
    from django.core.files.storage import storages

    public = storages["default"].save("avatars/a.jpg", ContentFile(b"jpeg"))
    private = storages["private"].save("host-documents/a.pdf", ContentFile(b"%PDF-"))
    client = Client()
    response = client.get(f"/media/{public}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"jpeg"
    assert response["Content-Type"] == "image/jpeg"
    assert client.get(f"/media/{private}").status_code == 404
    assert client.get(f"/media/../private/{private}").status_code == 404
    assert client.get("/media/avatars/").status_code == 404
