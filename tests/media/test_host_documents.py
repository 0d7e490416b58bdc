"""Host applications and their identity documents: everything is checked before anything is
stored, a refused application leaves no file behind, and the endpoint is throttled."""

import pytest
from django.db import connection

from accounts.models import HostApplication
from tests.conftest import bearer
from tests.factories import UserFactory

from .helpers import image_bytes, upload

pytestmark = pytest.mark.django_db
PATH = "/api/me/host-application"


@pytest.fixture
def stored_documents(media_storage):
    """The identity documents stored during this test (the S3 bucket outlives a test)."""

    def listing() -> set[str]:
        try:
            return set(media_storage.private.listdir("host-documents")[1])
        except FileNotFoundError:  # local storage: the folder appears with the first document
            return set()

    before = listing()
    return lambda: sorted(listing() - before)


def apply(api, user, *, message: str = "I run weekly scrims", document: bytes | None = None, **extra):
    data = {"message": message}
    if document is not None:
        data["identity_document"] = upload("id.png", document, "image/png")
    return api.post(PATH, data, **bearer(user), **extra)


def test_a_refused_application_leaves_no_document(api, user, stored_documents):
    too_long = apply(api, user, message="x" * 1001, document=image_bytes("PNG", size=(600, 400)))
    assert too_long.status_code == 422, too_long.content
    assert "message" in str(too_long.json())
    assert stored_documents() == []
    assert not HostApplication.objects.exists()
    user.refresh_from_db()
    assert user.host_status == "none"

    unverified = UserFactory(email_verified_at=None)
    refused = apply(api, unverified, document=image_bytes("PNG"))
    assert (refused.status_code, refused.json()["code"]) == (403, "email_unverified")
    assert stored_documents() == []

    accepted = apply(api, user, document=image_bytes("PNG", size=(600, 400)))
    assert accepted.status_code == 201, accepted.content
    assert len(stored_documents()) == 1
    again = apply(api, user, document=image_bytes("PNG"))
    assert (again.status_code, again.json()["code"]) == (409, "application_pending")
    assert len(stored_documents()) == 1


def test_a_failure_after_the_document_is_stored_deletes_it(api, user, stored_documents):
    """The database refuses the row after the file was written (here: a constraint added for the
    test, standing for any failure at that point): the file goes too."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE accounts_hostapplication ADD CONSTRAINT test_refuse_all CHECK (false) NOT VALID"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_refuse_all BEFORE INSERT ON accounts_hostapplication "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
    answer = apply(api, user, document=image_bytes("PNG", size=(600, 400)))
    assert answer.status_code == 409, answer.content
    assert stored_documents() == []
    user.refresh_from_db()
    assert user.host_status == "none"


def test_host_applications_are_throttled_refused_ones_included(api, user, settings):
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "host_application": "3/h"}
    for _ in range(3):
        assert apply(api, user, message="x" * 1001).status_code == 422
    throttled = apply(api, user)
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert int(throttled["Retry-After"]) >= 1
    assert not HostApplication.objects.exists()
    # Per account: another user from another address is not affected.
    assert apply(api, UserFactory(), REMOTE_ADDR="198.51.100.9").status_code == 201
