from channels.testing import WebsocketCommunicator

from arena.asgi import application

ORIGIN = (b"origin", b"http://localhost")


async def test_echo_route_round_trips_text():
    communicator = WebsocketCommunicator(application, "/ws/echo/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data='{"hello": "arena"}')
    assert await communicator.receive_from() == '{"hello": "arena"}'
    await communicator.disconnect()


async def test_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/echo/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
