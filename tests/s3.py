"""Media storage for tests, both ways: local files, or S3 through moto's server mode on loopback.

Use from a conftest.py:

    from tests.s3 import media_storage, moto_s3  # noqa: F401 (fixtures)

and request `media_storage` in a test: it runs once with local storage and once with S3. In
the S3 run STORAGES and the AWS_* settings are the ones arena/settings.py builds for USE_S3=true
(executed afresh with that environment), pointed at a moto server started once per session on
a free 127.0.0.1 port. Nothing outside this machine is contacted.
"""

import os
import runpy
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import httpx
import pytest
from django.apps import apps
from django.core.files.storage import storages
from django.db.models import FileField
from django.test import Client, override_settings

SETTINGS_PATH = Path(__file__).resolve().parents[1] / "arena" / "settings.py"
PUBLIC_BUCKET = "arena-media-test"
PRIVATE_BUCKET = "arena-private-test"
# moto checks no credentials; these only have to exist so boto can sign.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class MotoS3:
    endpoint_url: str
    client: object  # boto3 S3 client, for asserting on the buckets directly


@pytest.fixture(scope="session")
def moto_s3():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        for bucket in (PUBLIC_BUCKET, PRIVATE_BUCKET):
            client.create_bucket(Bucket=bucket)
        yield MotoS3(endpoint_url=endpoint, client=client)
    finally:
        server.stop()


def settings_for(env: dict[str, str]) -> dict:
    """arena/settings.py's module namespace as it would be with `env` added to the environment."""
    with mock.patch.dict(os.environ, env):
        return runpy.run_path(str(SETTINGS_PATH))


def _s3_settings(moto: MotoS3) -> dict:
    namespace = settings_for(
        {
            "USE_S3": "true",
            "AWS_STORAGE_BUCKET_NAME": PUBLIC_BUCKET,
            "AWS_PRIVATE_BUCKET_NAME": PRIVATE_BUCKET,
            "AWS_S3_ENDPOINT_URL": moto.endpoint_url,
            "AWS_S3_REGION_NAME": "us-east-1",
        }
    )
    aws = {key: value for key, value in namespace.items() if key.startswith("AWS_")}
    return {"STORAGES": namespace["STORAGES"], "USE_S3": True, **aws, **CREDENTIALS}


def _local_settings(root: Path) -> dict:
    namespace = settings_for({"USE_S3": "false"})
    backends = dict(namespace["STORAGES"])
    backends["private"] = {**backends["private"], "OPTIONS": {"location": str(root / "private")}}
    return {"STORAGES": backends, "USE_S3": False, "MEDIA_ROOT": str(root / "public")}


def _file_fields() -> list[FileField]:
    return [field for model in apps.get_models() for field in model._meta.get_fields() if isinstance(field, FileField)]


@contextmanager
def _storages_overridden(**overrides):
    """override_settings(STORAGES=…) and make every FileField follow it. Django's storage
    registry and the lazy `default_storage` are reset by the setting_changed signal; a field
    given a callable (storage=private_storage) or an instance (storage=storages["private"]) holds
    what it got at import, though: point it at the new instance, and back afterwards."""
    aliases = {id(storages[alias]): alias for alias in ("default", "private")}
    originals = {field: field.storage for field in _file_fields()}
    with override_settings(**overrides):
        for field in originals:
            if hasattr(field, "_storage_callable"):
                field.storage = field._storage_callable()
            elif id(field.storage) in aliases:
                field.storage = storages[aliases[id(field.storage)]]
        try:
            yield
        finally:
            for field, storage in originals.items():
                field.storage = storage


@dataclass
class MediaStorage:
    backend: str  # "local" or "s3"
    moto: MotoS3 | None

    @property
    def public(self):
        return storages["default"]

    @property
    def private(self):
        return storages["private"]

    def fetch(self, url: str) -> tuple[int, bytes]:
        """GET a media URL the way a browser would: over HTTP to moto, or through the Django
        app (its /media/ and /private-media/ views) for local storage."""
        if self.moto and url.startswith(self.moto.endpoint_url):
            response = httpx.get(url, timeout=10, trust_env=False)
            return response.status_code, response.content
        path = url.removeprefix("http://testserver")
        assert path.startswith("/"), url
        response = Client().get(path)
        # Consuming a streamed body closes the response (and its file); closing it again would fire
        # request_finished outside the test client, and close the test's database connection.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, body


@pytest.fixture(params=["local", "s3"])
def media_storage(request, tmp_path):
    moto = request.getfixturevalue("moto_s3") if request.param == "s3" else None
    overrides = _s3_settings(moto) if moto else _local_settings(tmp_path / "storage")
    with _storages_overridden(**overrides):
        yield MediaStorage(backend=request.param, moto=moto)
