"""Media storage: the local counterparts of what S3 gives with USE_S3=true.

Two storage aliases hold uploads (settings.STORAGES):
- "default": public media (tournament banners and their thumbnails, avatars). Locally under
  MEDIA_ROOT, served at MEDIA_URL by `public_media`; on S3, public-read objects with plain URLs.
- "private": files only their owner or staff may see (host identity documents, result
  screenshots). Locally under PRIVATE_MEDIA_ROOT, reachable only through the short-lived signed
  URLs `PrivateFileSystemStorage.url()` makes, which `private_media` checks; on S3, private
  objects behind presigned URLs. Either way `storages["private"].url(name)` is a URL that works
  for PRIVATE_MEDIA_URL_EXPIRE seconds and then answers 403, as does the bare path.

On S3 neither view is used: clients read straight from the bucket.
"""

import mimetypes
import re
import time
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponseForbidden
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_safe

_SIGNING_SALT = "arena.storage.private-media"
_EXPIRES = re.compile(r"[0-9]{1,12}")


def _signature(name: str, expires: int) -> str:
    return signing.Signer(salt=_SIGNING_SALT).signature(f"{name}\n{expires}")


class PrivateFileSystemStorage(FileSystemStorage):
    """Local private files: `url()` is signed and expires, like an S3 presigned URL."""

    def __init__(self, location=None, base_url=None, **kwargs):
        super().__init__(location=location, base_url=base_url or settings.PRIVATE_MEDIA_URL, **kwargs)

    def url(self, name: str, expire: int | None = None) -> str:
        expires = int(time.time()) + (expire or settings.PRIVATE_MEDIA_URL_EXPIRE)
        query = urlencode({"expires": expires, "signature": _signature(name, expires)})
        return f"{super().url(name)}?{query}"


def files_delete(storage: Storage, *names: str | None) -> None:
    """Delete stored files by name, skipping empty names. Storage backends already treat a
    missing file as deleted."""
    for name in names:
        if name:
            storage.delete(name)


def files_delete_on_commit(storage: Storage, *names: str | None) -> None:
    """Delete them once the transaction that stopped referring to them commits; robust, so a
    storage outage never turns a committed change into an error."""
    transaction.on_commit(partial(files_delete, storage, *names), robust=True)


def _serve(storage: FileSystemStorage, name: str, *, cache_control: str) -> FileResponse:
    try:
        path = storage.path(name)  # safe_join: no way out of the storage's root
    except SuspiciousFileOperation:
        raise Http404 from None
    try:
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Http404 from None
    content_type, _ = mimetypes.guess_type(name)
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Cache-Control"] = cache_control
    # Uploads are re-encoded images or checked documents; even so, never let one run as a page.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_safe
def public_media(request: HttpRequest, name: str) -> FileResponse:
    """MEDIA_URL for local storage. Names are unique per upload, so they can be cached."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage) or isinstance(storage, PrivateFileSystemStorage):
        raise Http404
    return _serve(storage, name, cache_control="public, max-age=86400")


@require_safe
def private_media(request: HttpRequest, name: str):
    """PRIVATE_MEDIA_URL: only with a valid, unexpired signature from PrivateFileSystemStorage.url()."""
    storage = storages["private"]
    if not isinstance(storage, PrivateFileSystemStorage):
        raise Http404
    expires = request.GET.get("expires", "")
    signature = request.GET.get("signature", "")
    # ASCII digits only, of a sane length: str.isdigit() also takes "²" and int() refuses
    # it, as it does digit strings past Python's 4300-digit limit.
    if not (
        _EXPIRES.fullmatch(expires)
        and constant_time_compare(signature, _signature(name, int(expires)))
        and int(expires) >= time.time()
    ):
        return HttpResponseForbidden("This link is not signed, or it has expired.", content_type="text/plain")
    return _serve(storage, name, cache_control="private, no-store")
