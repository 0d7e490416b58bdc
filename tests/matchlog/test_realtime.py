"""Status changes are pushed over the realtime topics, in the shapes the AsyncAPI document gives."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from arena.asgi import application
from realtime.edge.tickets import ticket_issue
from tests.factories import UserFactory
from tests.matchlog.conftest import started_br_match, upload_record, upload_screenshot
from tests.realtime.asyncapi import assert_valid_message

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://localhost")]


@pytest.fixture(autouse=True)
def _games(games_catalog):
    pass


@pytest.fixture
def host():
    return UserFactory(role="host", host_status="approved")


async def _connect(path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _receive(communicator, channel: str) -> dict:
    return assert_valid_message(channel, json.loads(await communicator.receive_from(timeout=10)))


def test_match_record_status_reaches_the_owner(api, static_ocr):
    owner = UserFactory()
    static_ocr("FULL TIME\nRed Dragons 2 - 1 Blue Lions")

    async def scenario():
        inbox = await _connect(f"/ws/me/?ticket={await sync_to_async(ticket_issue)(user_id=owner.pk)}")
        assert (await _receive(inbox, "user"))["type"] == "snapshot"
        created = await sync_to_async(upload_record)(api, owner)
        events = [await _receive(inbox, "user") for _ in range(2)]
        assert [(e["type"], e["data"]["status"]) for e in events] == [
            ("match_record.status", "processing"),
            ("match_record.status", "extracted"),
        ]
        assert {e["data"]["record_id"] for e in events} == {created.json()["id"]}
        await inbox.disconnect()

    async_to_sync(scenario)()


def test_screenshot_status_reaches_match_spectators_and_the_host(api, host, static_ocr):
    _, _, match = started_br_match(api, host)
    static_ocr("")

    async def scenario():
        watcher = await _connect(f"/ws/matches/{match['id']}/")
        assert (await _receive(watcher, "match"))["type"] == "snapshot"
        inbox = await _connect(f"/ws/me/?ticket={await sync_to_async(ticket_issue)(user_id=host.pk)}")
        await _receive(inbox, "user")
        await sync_to_async(upload_screenshot)(api, host, match["id"])
        for communicator, channel in ((watcher, "match"), (inbox, "user")):
            events = [await _receive(communicator, channel) for _ in range(2)]
            assert [(e["type"], e["data"]["status"], e["data"]["reason"]) for e in events] == [
                ("screenshot.status", "processing", ""),
                ("screenshot.status", "failed", "No text was found in the screenshot."),
            ]
            await communicator.disconnect()

    async_to_sync(scenario)()
