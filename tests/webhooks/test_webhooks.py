"""Outgoing webhooks against a real receiver on loopback: signatures a receiver can verify,
retries with backoff, the delivery log, replay, the Discord flavour and the SSRF guard."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from tests.competitions.conftest import create_published, make_team, register, tournament_body
from tests.factories import UserFactory
from webhooks import services
from webhooks.tasks import retry_due_webhooks

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP endpoint that answers with the next of `statuses` and keeps what it received."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/arena"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does with Arena-Signature (as Stripe's receivers do with theirs)."""
    parts = dict(item.split("=", 1) for item in headers["Arena-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


@pytest.fixture
def tournament(api, host):
    return create_published(api, host)


def _subscribe(api, host, tournament, url, events=("registration.confirmed",), kind="generic"):
    return api.post_json(
        f"/api/tournaments/{tournament['id']}/webhooks", {"url": url, "events": list(events), "kind": kind}, user=host
    )


def _emit(tournament, event="registration.confirmed", data=None):
    with transaction.atomic():
        services.event_emit(tournament_id=tournament["id"], event=event, data=data or {"team": {"id": 1, "name": "A"}})


def test_a_delivery_is_signed_and_verifiable(api, host, tournament, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver(200)
    created = _subscribe(api, host, tournament, endpoint.url)
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")

    team = make_team(4)
    with django_capture_on_commit_callbacks(execute=True):
        assert register(api, tournament["id"], team).status_code == 201  # a free place: confirmed
    (hit,) = endpoint.received
    assert hit["path"] == "/hooks/arena"
    assert verify(secret, hit["headers"], hit["body"])
    assert not verify("whsec_other", hit["headers"], hit["body"])
    payload = json.loads(hit["body"])
    assert payload["type"] == hit["headers"]["Arena-Event"] == "registration.confirmed"
    assert payload["tournament_id"] == tournament["id"]
    assert payload["data"]["team"] == {"id": team.pk, "name": team.name}
    assert payload["id"] == hit["headers"]["Arena-Event-Id"]
    log = api.get_json(f"/api/tournaments/{tournament['id']}/webhook-deliveries", user=host).json()
    assert log["count"] == 1
    assert (log["items"][0]["status"], log["items"][0]["attempts"], log["items"][0]["last_status_code"]) == (
        "succeeded",
        1,
        200,
    )


def test_failures_are_retried_with_backoff_then_given_up_after_24_hours(
    api, host, tournament, receiver, django_capture_on_commit_callbacks
):
    endpoint = receiver(500, 503, 200)
    _subscribe(api, host, tournament, endpoint.url)
    with django_capture_on_commit_callbacks(execute=True):
        _emit(tournament)
    log_url = f"/api/tournaments/{tournament['id']}/webhook-deliveries"
    first = api.get_json(log_url, user=host).json()["items"][0]
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 500)

    retry_due_webhooks.delay()  # not due yet: the backoff holds it back
    assert len(endpoint.received) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        retry_due_webhooks.delay()
    assert len(endpoint.received) == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=31 + 59), tick=False):
        retry_due_webhooks.delay()  # the second wait is a minute: still held
    assert len(endpoint.received) == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=31 + 61), tick=False):
        retry_due_webhooks.delay()
    assert len(endpoint.received) == 3
    # One event, one id, three attempts that the receiver can tell apart only by their signature time.
    assert len({json.loads(hit["body"])["id"] for hit in endpoint.received}) == 1
    done = api.get_json(log_url, user=host).json()["items"][0]
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("succeeded", 3, 200)

    down = receiver(*[500] * 100)
    _subscribe(api, host, tournament, down.url, events=["standings.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        _emit(tournament, event="standings.updated", data={"standings": []})
    start = timezone.now()
    for hours in range(1, 26):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            retry_due_webhooks.delay()
    failed = api.get_json(f"{log_url}?status=failed", user=host).json()["items"]
    assert len(failed) == 1
    assert failed[0]["next_attempt_at"] is None
    assert failed[0]["last_error"] == "The endpoint answered 500."
    assert len(down.received) == failed[0]["attempts"] <= 26


def test_replay_sends_the_same_event_again(api, host, tournament, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver(200, 200)
    _subscribe(api, host, tournament, endpoint.url)
    with django_capture_on_commit_callbacks(execute=True):
        _emit(tournament)
    delivery = api.get_json(f"/api/tournaments/{tournament['id']}/webhook-deliveries", user=host).json()["items"][0]
    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post_json(
            f"/api/tournaments/{tournament['id']}/webhook-deliveries/{delivery['id']}/replay", user=host
        )
    assert replay.status_code == 202
    assert replay.json()["id"] != delivery["id"]
    assert replay.json()["event_id"] == delivery["event_id"]
    original, again = (json.loads(hit["body"]) for hit in endpoint.received)
    assert original == again


def test_discord_gets_an_embed_of_the_top_ten(api, host, tournament, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver(204)
    # A Discord URL is required for the Discord flavour; the test stands one in on loopback.
    refused = _subscribe(api, host, tournament, endpoint.url, events=["standings.updated"], kind="discord")
    assert refused.status_code == 422
    assert refused.json()["code"] == "webhook_url_refused"
    from webhooks.models import Subscription

    Subscription.objects.create(
        tournament_id=tournament["id"], url=endpoint.url, events=["standings.updated"], kind="discord"
    )
    rows = [{"rank": i, "team": {"id": i, "name": f"Team {i}"}, "points": 100 - i} for i in range(1, 13)]
    with django_capture_on_commit_callbacks(execute=True):
        _emit(tournament, event="standings.updated", data={"standings": rows})
    body = json.loads(endpoint.received[0]["body"])
    (embed,) = body["embeds"]
    assert embed["title"] == f"{tournament['title']}: standings"
    lines = embed["description"].splitlines()
    assert len(lines) == 10
    assert lines[0] == "**1.** Team 1 — 99 pts"
    assert body["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.1]/x",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "http://no-such-host.invalid/hook",
    ],
)
def test_private_and_odd_urls_are_refused(api, host, tournament, url):
    response = _subscribe(api, host, tournament, url)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "webhook_url_refused"


def test_only_the_host_manages_webhooks_and_events_are_checked(api, host, tournament, receiver):
    other = UserFactory(role="host", host_status="approved")
    assert _subscribe(api, other, tournament, receiver(200).url).status_code == 404
    assert api.get_json(f"/api/tournaments/{tournament['id']}/webhooks", user=other).status_code == 404
    bad = api.post_json(
        f"/api/tournaments/{tournament['id']}/webhooks",
        {"url": receiver(200).url, "events": ["match.exploded"]},
        user=host,
    )
    assert bad.status_code == 422
    draft = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    assert _subscribe(api, host, draft, receiver(200).url).status_code == 201  # hosts prepare before publishing


def test_a_withdrawal_reaches_only_the_endpoints_that_asked_for_it(
    api, host, tournament, receiver, django_capture_on_commit_callbacks
):
    confirmed, withdrawn = receiver(), receiver()
    _subscribe(api, host, tournament, confirmed.url, events=["registration.confirmed"])
    _subscribe(api, host, tournament, withdrawn.url, events=["registration.withdrawn"])
    team = make_team(4)
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(api, tournament["id"], team).json()
    with django_capture_on_commit_callbacks(execute=True):
        gone = api.delete_json(
            f"/api/tournaments/{tournament['id']}/registrations/{registration['id']}", user=team.captain
        )
    assert gone.status_code in (200, 204), gone.content
    assert [json.loads(h["body"])["type"] for h in confirmed.received] == ["registration.confirmed"]
    assert [json.loads(h["body"])["data"]["status"] for h in withdrawn.received] == ["withdrawn"]


def test_a_rolled_back_change_sends_nothing(api, host, tournament, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver()
    _subscribe(api, host, tournament, endpoint.url)

    def announce_then_fail():
        with transaction.atomic():
            services.event_emit(tournament_id=tournament["id"], event="registration.confirmed", data={})
            raise RuntimeError("the change fails after announcing itself")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        announce_then_fail()
    assert endpoint.received == []
    assert api.get_json(f"/api/tournaments/{tournament['id']}/webhook-deliveries", user=host).json()["count"] == 0
