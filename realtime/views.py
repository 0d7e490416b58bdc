from django.http import Http404, HttpRequest, HttpResponse


def tournament_live(request: HttpRequest, tournament_id: int) -> HttpResponse:
    """Spectator page (being built)."""
    raise Http404("The spectator page is not built yet.")
