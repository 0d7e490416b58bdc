"""Registering a team, the wallet's entry-fee callbacks, withdrawal and check-in."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import access, events
from competitions.models import (
    Registration,
    RegistrationPlayer,
    Standing,
    Tournament,
)
from competitions.services._common import (
    _cache_invalidate_after_commit,
    _publish_after_commit,
    _require_owner,
    _tournament_locked,
)
from competitions.services.scoring import _br_rerank, _br_standings_locked
from wallet.models import Payment
from wallet.refunds import purchase_refund
from webhooks.services import event_emit


def _registration_event(registration: Registration) -> dict:
    team = registration.team
    return {
        "registration_id": registration.pk,
        "status": registration.status,
        "team": {"id": team.pk, "name": team.name},
    }


def _registration_release(registration: Registration, *, status: str) -> None:
    was_paid = registration.status == Registration.Status.CONFIRMED and registration.tournament.entry_fee > 0
    registration.status = status
    registration.save(update_fields=["status"])
    released = list(registration.players.values_list("user_id", flat=True))
    registration.players.all().delete()
    _cache_invalidate_after_commit(registration.tournament_id)
    events.access_recheck(released)  # their open lobby sockets close with 4403 after commit
    if was_paid:
        registration_refund(registration=registration)


@transaction.atomic
def registration_confirm_paid(*, registration_id: int) -> bool:
    """Called by the wallet inside the payment's transition to succeeded. False when the
    registration no longer waits for this money (withdrawn meanwhile), so the wallet refunds it."""
    registration = (
        Registration.objects.select_for_update(of=("self",)).select_related("tournament", "team")
        .filter(pk=registration_id).first()
    )  # fmt: skip
    if registration is None or registration.status != Registration.Status.PENDING_PAYMENT:
        return False
    registration.status = Registration.Status.CONFIRMED
    registration.save(update_fields=["status"])
    _cache_invalidate_after_commit(registration.tournament_id)
    event_emit(
        tournament_id=registration.tournament_id, event="registration.confirmed", data=_registration_event(registration)
    )
    events.notify(
        registration.players.values_list("user_id", flat=True),
        "registration_confirmed",
        f"{registration.team.name} is in {registration.tournament.title}",
        data={"tournament_id": registration.tournament_id, "registration_id": registration.pk},
    )
    return True


def registration_refund(*, registration: Registration) -> None:
    """The one call site for refunding a paid entry fee (withdrawal, cancellation)."""
    purchase_refund(purpose=Payment.Purpose.REGISTRATION, ref=str(registration.pk), reason="Registration withdrawn")


@transaction.atomic
def registration_create(
    *, tournament_id: int, user: User, team_id: int, player_ids: list[int], substitute_ids: list[int]
) -> Registration:
    # The tournament row lock serialises registrations, so capacity holds under concurrency.
    tournament = _tournament_locked(tournament_id)
    if not tournament.registration_open_now:
        window = (tournament.registration_opens_at, tournament.registration_closes_at)
        raise Conflict(f"Registration is not open for this tournament (window: {window}).", code="registration_closed")
    if not user.is_email_verified:
        raise PermissionDenied("Verify your email address before registering a team.", code="email_unverified")
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Invalid("No such team.", code="unknown_team")
    if team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain can register the team.", code="not_captain")
    roster = list(player_ids) + list(substitute_ids)
    if len(set(roster)) != len(roster):
        raise Invalid("A player is listed twice.", code="duplicate_player")
    if len(player_ids) != tournament.game.team_size:
        raise Invalid(
            f"{tournament.game.name} needs exactly {tournament.game.team_size} players.", code="wrong_team_size"
        )
    if len(substitute_ids) > tournament.game.max_substitutes:
        raise Invalid(f"At most {tournament.game.max_substitutes} substitutes.", code="too_many_substitutes")
    members = set(TeamMembership.objects.filter(team=team, user_id__in=roster).values_list("user_id", flat=True))
    strangers = sorted(set(roster) - members)
    if strangers:
        raise Invalid(f"Not members of {team.name}: {strangers}.", code="not_team_members")
    if tournament.registrations.filter(team=team, status__in=Registration.ACTIVE).exists():
        raise Conflict("This team is already registered.", code="already_registered")
    clash = RegistrationPlayer.objects.filter(tournament=tournament, user_id__in=roster).values_list(
        "user__username", flat=True
    )
    if clash:
        raise Conflict(f"Already playing in this tournament for another team: {sorted(clash)}.", code="player_taken")
    if tournament.registrations.filter(status__in=Registration.ACTIVE).count() >= tournament.max_teams:
        raise Conflict("This tournament is full.", code="tournament_full")
    registration = Registration.objects.create(
        tournament=tournament,
        team=team,
        registered_by=user,
        status=Registration.Status.CONFIRMED if tournament.entry_fee == 0 else Registration.Status.PENDING_PAYMENT,
    )
    RegistrationPlayer.objects.bulk_create(
        [RegistrationPlayer(tournament=tournament, registration=registration, user_id=uid) for uid in player_ids]
        + [
            RegistrationPlayer(tournament=tournament, registration=registration, user_id=uid, is_substitute=True)
            for uid in substitute_ids
        ]
    )
    if registration.status == Registration.Status.CONFIRMED:
        event_emit(tournament_id=tournament.pk, event="registration.confirmed", data=_registration_event(registration))
        events.notify(
            [*player_ids, *substitute_ids],
            "registration_confirmed",
            f"{team.name} is in {tournament.title}",
            data={"tournament_id": tournament.pk, "registration_id": registration.pk},
        )
    count = tournament.registrations.filter(status__in=Registration.ACTIVE).count()
    _publish_after_commit(tournament.pk, "registrations.count", {"count": count})
    return registration


@transaction.atomic
def registration_withdraw(*, tournament_id: int, registration_id: int, user: User) -> None:
    tournament = _tournament_locked(tournament_id)
    registration = tournament.registrations.select_related("team").filter(pk=registration_id).first()
    if registration is None:
        raise NotFound("No such registration.")
    if registration.team.captain_id != user.pk and not access.manages(tournament=tournament, user=user):
        raise PermissionDenied("Only the team captain or the host can withdraw a registration.")
    if registration.status not in Registration.ACTIVE:
        raise Conflict(f"This registration is already {registration.status}.")
    if tournament.status != Tournament.Status.REGISTRATION_OPEN:
        raise Conflict("Withdrawal is only possible before the tournament starts.", code="already_started")
    _registration_release(registration, status=Registration.Status.WITHDRAWN)
    event_emit(tournament_id=tournament.pk, event="registration.withdrawn", data=_registration_event(registration))


@transaction.atomic
def registration_check_in(*, tournament_id: int, registration_id: int, user: User) -> Registration:
    tournament = _tournament_locked(tournament_id)
    registration = tournament.registrations.select_related("team").filter(pk=registration_id).first()
    if registration is None:
        raise NotFound("No such registration.")
    if registration.team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain can check in.", code="not_captain")
    if registration.status != Registration.Status.CONFIRMED:
        raise Conflict("Only confirmed registrations check in.", code="not_confirmed")
    if not tournament.check_in_minutes:
        raise Conflict("This tournament has no check-in.", code="no_check_in")
    opens = tournament.starts_at - timezone.timedelta(minutes=tournament.check_in_minutes)
    if not opens <= timezone.now() <= tournament.starts_at or tournament.status != Tournament.Status.REGISTRATION_OPEN:
        raise Conflict(f"Check-in is open from {opens.isoformat()} until the start.", code="check_in_closed")
    registration.checked_in_at = registration.checked_in_at or timezone.now()
    registration.save(update_fields=["checked_in_at"])
    return registration


@transaction.atomic
def registration_disqualify(*, tournament_id: int, registration_id: int, user: User) -> Registration:
    """The host disqualifies a team of an ongoing battle royale: it plays no further match, ranks below
    every other team (its points kept or voided by the tournament's dq_points rule), neither qualifies
    nor wins, and its players lose the lobby and room details. Its entry fee is not refunded."""
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    registration = tournament.registrations.select_related("team").filter(pk=registration_id).first()
    if registration is None:
        raise NotFound("No such registration.")
    if not tournament.is_battle_royale:
        raise Conflict("Disqualification is for battle-royale tournaments.", code="not_battle_royale")
    if tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Only a team of an ongoing tournament can be disqualified.", code="not_ongoing")
    if registration.status != Registration.Status.CONFIRMED:
        raise Conflict(f"This registration is {registration.status}.", code="not_confirmed")
    registration.status = Registration.Status.DISQUALIFIED
    registration.disqualified_at = timezone.now()
    registration.save(update_fields=["status", "disqualified_at"])
    rows = _br_standings_locked(tournament, every_group=True)
    for row in rows:
        if row.team_id == registration.team_id:
            row.status = Standing.Status.DISQUALIFIED
    _br_rerank(tournament, rows, round_numbers={row.round_number for row in rows if row.round_id is not None})
    events.access_recheck(list(registration.players.values_list("user_id", flat=True)))
    _cache_invalidate_after_commit(tournament.pk)
    events.standings_publish_on_commit(tournament_id=tournament.pk)
    return registration
