from accounts.emails import email_send
from competitions.models import RegistrationPlayer, Tournament


def winner_emails_deliver(*, tournament_id: int) -> None:
    tournament = Tournament.objects.select_related("winner", "runner_up", "third_place").get(pk=tournament_id)
    players = RegistrationPlayer.objects.filter(tournament=tournament).select_related("user", "registration__team")
    for player in players:
        email_send(
            to=player.user.email,
            template="tournament_completed",
            subject=f"{tournament.title}: final results",
            context={"user": player.user, "tournament": tournament, "team": player.registration.team},
        )
