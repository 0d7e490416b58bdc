"""The spectator page: a server-rendered standings table that then follows the tournament's
WebSocket topic (snapshot on connect, events by `seq`, resume with ?since=)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from arena.exceptions import NotFound
from competitions import selectors


def tournament_live(request: HttpRequest, tournament_id: int) -> HttpResponse:
    """Anyone, for a published tournament; drafts and unknown ids are 404 (as on the topic)."""
    try:
        tournament = selectors.tournament_get(tournament_id=tournament_id, user=None)
    except NotFound as exc:
        raise Http404("No such tournament.") from exc
    podium = [tournament.winner, tournament.runner_up, tournament.third_place] if tournament.winner_id else []
    live = {
        "id": tournament.pk,
        "ws_path": f"/ws/tournaments/{tournament.pk}/",
        "status": tournament.status,
        "podium": [{"id": team.pk, "name": team.name} for team in podium if team is not None],
        "standings": selectors.standings_table(tournament_id=tournament.pk),
    }
    return render(
        request,
        "live/tournament.html",
        {"tournament": tournament, "standings": live["standings"], "podium": live["podium"], "live": live},
    )
