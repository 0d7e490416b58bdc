"""The spectator page: a server-rendered standings table, the bracket of a head-to-head tournament and its
matches now and next, that then follow the tournament's WebSocket topic (snapshot on connect, events by `seq`,
resume with ?since=&epoch=). ?overlay=1 lays it out for an OBS browser source."""

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
    matches = list(selectors.match_list(tournament=tournament))
    # ?overlay=1: a transparent 1920x1080 page in large type, for an OBS browser source over the stream.
    overlay = request.GET.get("overlay") == "1"
    live = {
        "id": tournament.pk,
        "ws_path": f"/ws/tournaments/{tournament.pk}/",
        "status": tournament.status,
        "format": tournament.format,
        "overlay": overlay,
        "podium": [{"id": team.pk, "name": team.name} for team in podium if team is not None],
        "standings": selectors.standings_table(tournament_id=tournament.pk),
        # The bracket is drawn from these before the socket connects; the snapshot then replaces them.
        "matches": [selectors.match_payload(match) for match in matches],
        "bracket_rounds": selectors.bracket_rounds(matches),
    }
    context = {
        "tournament": tournament,
        "standings": live["standings"],
        "podium": live["podium"],
        "live": live,
        "overlay": overlay,
        "elimination": tournament.format in ("single_elimination", "double_elimination"),
    }
    return render(request, "live/tournament.html", context)
