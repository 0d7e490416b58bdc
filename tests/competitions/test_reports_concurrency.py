"""Captains reporting at the same moment (real threads, each with its own PostgreSQL connection): the
match row lock makes them queue, so no report is lost and the match is confirmed, or disputed, once."""

import pytest

from competitions.models import Dispute, Match, MatchReport, ResultAudit
from tests.competitions.test_reports import start_br, start_h2h
from tests.concurrency import race
from tests.conftest import ApiClient
from tests.factories import UserFactory

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]


def _post(match_id: int, user, body: dict):
    return lambda client: client.post_json(f"/api/matches/{match_id}/reports", body, user=user).status_code


def test_two_agreeing_captains_at_once_confirm_the_match_once(games_catalog):
    host = UserFactory(role="host", host_status="approved")
    _, teams, match = start_h2h(ApiClient(), host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    statuses = race(
        [_post(match["id"], home.captain, {"home_score": 2, "away_score": 0}),
         _post(match["id"], away.captain, {"home_score": 2, "away_score": 0})]
    )  # fmt: skip
    assert statuses == [200, 200]
    assert MatchReport.objects.filter(match_id=match["id"]).count() == 2
    assert Match.objects.get(pk=match["id"]).status == Match.Status.COMPLETED
    assert ResultAudit.objects.filter(match_id=match["id"]).count() == 1
    assert not Dispute.objects.exists()


def test_two_clashing_captains_at_once_open_one_dispute_with_both_reports(games_catalog):
    host = UserFactory(role="host", host_status="approved")
    _, teams, match = start_h2h(ApiClient(), host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    statuses = race(
        [_post(match["id"], home.captain, {"home_score": 2, "away_score": 0}),
         _post(match["id"], away.captain, {"home_score": 0, "away_score": 2})]
    )  # fmt: skip
    assert statuses == [200, 200]
    (dispute,) = Dispute.objects.filter(match_id=match["id"])
    assert {r["team_id"] for r in dispute.reports} == {home.pk, away.pk}
    assert Match.objects.get(pk=match["id"]).status == Match.Status.SCHEDULED
    assert not ResultAudit.objects.exists()


def test_a_whole_lobby_reporting_at_once_confirms_once(games_catalog):
    host = UserFactory(role="host", host_status="approved")
    _, teams, match = start_br(ApiClient(), host, teams=6)
    statuses = race(
        [_post(match["id"], team.captain, {"placement": index + 1, "kills": index}) for index, team in enumerate(teams)]
    )
    assert statuses == [200] * 6
    assert MatchReport.objects.filter(match_id=match["id"]).count() == 6
    assert ResultAudit.objects.filter(match_id=match["id"]).count() == 1
    assert Match.objects.get(pk=match["id"]).results.count() == 6
