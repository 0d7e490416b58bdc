from accounts.emails import email_send
from competitions.models import Registration, RegistrationPlayer, Tournament


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


def reminder_emails_deliver(*, tournament_id: int, label: str) -> None:
    tournament = Tournament.objects.get(pk=tournament_id)
    first_match = tournament.matches.exclude(scheduled_at=None).order_by("scheduled_at").first()
    starts_at = first_match.scheduled_at if first_match else tournament.starts_at
    players = RegistrationPlayer.objects.filter(
        tournament=tournament, registration__status=Registration.Status.CONFIRMED
    ).select_related("user", "registration__team")
    for player in players:
        email_send(
            to=player.user.email,
            template="tournament_reminder",
            subject=f"{tournament.title} starts in {'24 hours' if label == '24h' else '1 hour'}",
            context={
                "user": player.user,
                "tournament": tournament,
                "team": player.registration.team,
                "starts_at": starts_at,
            },
        )
