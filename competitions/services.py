"""Writes for tournaments and scrims: lifecycle, registration, rounds, results, winners."""

import logging
import math
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from arena.storage import files_delete, files_delete_on_commit
from competitions import access, brackets, career, selectors, standings
from competitions.models import (
    Game,
    Group,
    Match,
    MatchResult,
    Registration,
    RegistrationPlayer,
    ResultAudit,
    Round,
    Standing,
    Tournament,
)
from webhooks.services import event_emit

SCRIM_MAX_TEAMS = 25
SCRIM_MAX_MATCHES = 6
MAX_LOBBY_TEAMS = 25

logger = logging.getLogger(__name__)

EDITABLE_BEFORE_START = {
    "title", "description", "rules", "prize_pool", "entry_fee", "max_teams", "registration_opens_at",
    "registration_closes_at", "starts_at", "check_in_minutes", "rounds_count", "group_size",
    "qualify_per_group", "matches_per_group", "points_table", "kill_points", "swiss_rounds", "listing_plan",
    "captain_reporting",
}  # fmt: skip
# captain_reporting: a host may hand result entry to the captains (or take it back) mid-event.
ALWAYS_EDITABLE = {"title", "description", "rules", "captain_reporting"}


# --- helpers -------------------------------------------------------------------------------


def _tournament_locked(tournament_id: int) -> Tournament:
    tournament = (
        Tournament.objects.select_for_update(of=("self",)).select_related("game").filter(pk=tournament_id).first()
    )
    if tournament is None:
        raise NotFound("No such tournament.")
    return tournament


def _require_owner(tournament: Tournament, user: User) -> None:
    if not access.manages(tournament=tournament, user=user):
        raise PermissionDenied("Only this tournament's host can do this.", code="not_host")


def _publish_after_commit(tournament_id: int, event_type: str, data: dict) -> None:
    """The one call site for tournament events: after commit, invalidate the tournament's
    cached reads, then announce on its topic."""
    from realtime.publish import publish

    _cache_invalidate_after_commit(tournament_id)
    transaction.on_commit(lambda: publish(f"tournament.{tournament_id}", event_type, data))


def _cache_invalidate_after_commit(tournament_id: int) -> None:
    """Every write to a tournament (or what its reads show: registrations, results) ends here, so the
    cached reads (selectors.tournament_get, standings_rows) never outlive the change."""
    # robust: a cache outage must not turn a committed change into a 500.
    transaction.on_commit(lambda: selectors.tournament_cache_invalidate(tournament_id=tournament_id), robust=True)


def _registration_event(registration: Registration) -> dict:
    team = registration.team
    return {
        "registration_id": registration.pk,
        "status": registration.status,
        "team": {"id": team.pk, "name": team.name},
    }


def _publish(topic: str, event_type: str, data: dict) -> None:
    from realtime.publish import publish

    publish(topic, event_type, data)


@transaction.atomic
def tournament_announce(*, tournament_id: int, user: User, text: str) -> dict:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status == Tournament.Status.DRAFT:
        raise Conflict("Publish the tournament before announcing anything.", code="not_published")
    from realtime.services import announcement_create

    announcement = announcement_create(tournament_id=tournament.pk, user=user, text=text)
    _publish_after_commit(tournament.pk, "announcement", announcement)
    return announcement


def _publish_match_after_commit(match_id: int, event_type: str) -> None:
    """The match topic carries the whole match as spectators see it, built once after commit."""
    from realtime.publish import publish

    def announce():
        payload = selectors.match_snapshot(match_id=match_id)
        if payload is not None:
            publish(f"match.{match_id}", event_type, payload)

    transaction.on_commit(announce)


def _access_recheck(user_ids) -> None:
    from realtime.services import access_recheck

    access_recheck(user_ids=user_ids)


def _notify(user_ids, kind: str, title: str, body: str = "", data: dict | None = None) -> None:
    from realtime.services import notification_create

    notification_create(user_ids=user_ids, kind=kind, title=title, body=body, data=data)


def _rostered_users(tournament: Tournament, team_ids=None) -> list[int]:
    players = RegistrationPlayer.objects.filter(tournament=tournament)
    if team_ids is not None:
        players = players.filter(registration__team_id__in=team_ids)
    return list(players.values_list("user_id", flat=True))


def standings_publish(*, tournament_id: int) -> None:
    """Read the overall table and announce it. The tournament row lock makes concurrent publishers
    read and send in turn, so the last message sent is the latest table."""
    from realtime.publish import publish

    with transaction.atomic():
        list(Tournament.objects.select_for_update().filter(pk=tournament_id).values_list("pk", flat=True))
        table = selectors.standings_table(tournament_id=tournament_id)
        publish(f"tournament.{tournament_id}", "standings.updated", {"overall": table})
        # Coalesced like the message above: one delivery per burst, the last one exact.
        event_emit(tournament_id=tournament_id, event="standings.updated", data={"standings": table})


def _standings_keys(tournament_id: int) -> tuple[str, str]:
    return f"competitions:standings:{tournament_id}:recent", f"competitions:standings:{tournament_id}:pending"


def standings_publish_coalesced(*, tournament_id: int) -> None:
    """After each commit that moved standings. A burst of results to one tournament becomes at most
    one standings message per STANDINGS_COALESCE_SECONDS, and the last one is always exact:

    * a trailing publish is pending: it will read this commit, nothing to do;
    * nothing sent in the last window: send now (an isolated result is seen at once);
    * otherwise one trailing Celery task is queued for the end of the window. It clears its pending
      mark before it reads, so every commit is either read by it or queues the next one.

    STANDINGS_COALESCE_SECONDS = 0 sends on every commit."""
    window = settings.STANDINGS_COALESCE_SECONDS
    recent, pending = _standings_keys(tournament_id)
    now = True
    if window > 0:
        try:
            if cache.get(pending) or not cache.add(recent, 1, timeout=window):
                now = False
                if cache.add(pending, 1, timeout=window + 300):
                    from competitions.tasks import publish_standings

                    publish_standings.apply_async((tournament_id,), countdown=window)
        except Exception:
            # Cache or broker unreachable: send now rather than leave spectators on an old table.
            logger.exception("Could not coalesce the standings of tournament %s", tournament_id)
            now = True
    if now:
        standings_publish(tournament_id=tournament_id)


def standings_publish_trailing(*, tournament_id: int) -> None:
    """The trailing edge (competitions.tasks.publish_standings): clear the pending mark first, so a
    commit after this point queues another publish, then open a new window and send."""
    recent, pending = _standings_keys(tournament_id)
    cache.delete(pending)
    cache.set(recent, 1, timeout=max(1, settings.STANDINGS_COALESCE_SECONDS))
    standings_publish(tournament_id=tournament_id)


def _validate_structure(tournament: Tournament) -> None:
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if tournament.max_teams < 2:
        error("max_teams", "At least 2 teams are needed.")
    opens, closes = tournament.registration_opens_at, tournament.registration_closes_at
    if opens and opens >= tournament.starts_at:
        error("registration_opens_at", "Registration must open before the tournament starts.")
    if opens and closes and opens >= closes:
        error("registration_closes_at", "Registration must close after it opens.")
    if tournament.registration_closes_at and tournament.registration_closes_at > tournament.starts_at:
        error("registration_closes_at", "Registration must close before the tournament starts.")
    if tournament.is_battle_royale:
        if not 2 <= tournament.group_size <= MAX_LOBBY_TEAMS:
            error("group_size", f"A lobby holds 2 to {MAX_LOBBY_TEAMS} teams.")
        if tournament.rounds_count < 1:
            error("rounds_count", "At least one round.")
        if tournament.rounds_count > 1 and not 1 <= tournament.qualify_per_group < tournament.group_size:
            error("qualify_per_group", "With several rounds, 1 ≤ qualify_per_group < group_size.")
        if tournament.matches_per_group < 1:
            error("matches_per_group", "At least one match per group.")
        if not tournament.points_table or any(
            not isinstance(p, int) or isinstance(p, bool) or p < 0 for p in tournament.points_table
        ):
            error("points_table", "A list of non-negative integers: points for 1st, 2nd, …")
    if tournament.mode == Tournament.Mode.SCRIM:
        if not tournament.is_battle_royale:
            error("game", "Scrims are for battle-royale games.")
        if tournament.rounds_count != 1:
            error("rounds_count", "A scrim has exactly 1 round.")
        if tournament.max_teams > SCRIM_MAX_TEAMS:
            error("max_teams", f"A scrim has at most {SCRIM_MAX_TEAMS} teams.")
        if tournament.matches_per_group > SCRIM_MAX_MATCHES:
            error("matches_per_group", f"A scrim has at most {SCRIM_MAX_MATCHES} matches.")
    if errors:
        from django.core.exceptions import ValidationError

        raise ValidationError(errors)


def _ensure_future(data: dict) -> None:
    now = timezone.now()
    if data.get("starts_at") and data["starts_at"] <= now:
        raise Invalid("starts_at must be in the future.", code="starts_in_past")
    if data.get("registration_closes_at") and data["registration_closes_at"] <= now:
        raise Invalid("registration_closes_at must be in the future.", code="closes_in_past")


# --- lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def tournament_create(
    *, host: User, game_slug: str, mode: str, data: dict, requested_mode: str | None = None
) -> Tournament:
    """`requested_mode` is the body's `mode`, if any: it must agree with the endpoint's `mode`."""
    if not host.is_verified_host:
        raise PermissionDenied("Only verified hosts can create tournaments.", code="host_not_verified")
    game = Game.objects.filter(slug=game_slug).first()
    if game is None:
        raise Invalid(f"Unknown game {game_slug!r}; see GET /api/games.", code="unknown_game")
    if requested_mode is not None and requested_mode != mode:
        raise Invalid(f"This endpoint creates a {mode}; the body asks for a {requested_mode}.", code="mode_mismatch")
    data = dict(data)
    if game.format == Game.Format.BATTLE_ROYALE:
        if data.get("format", Tournament.BracketFormat.GROUPS) != Tournament.BracketFormat.GROUPS:
            raise Invalid(
                f"{game.name} is a battle royale: it always plays groups; leave out format.",
                code="format_not_for_battle_royale",
            )
        data["format"] = Tournament.BracketFormat.GROUPS
        data.setdefault("points_table", list(game.points_table))
        data.setdefault("kill_points", game.kill_points)
    else:
        data.setdefault("format", Tournament.BracketFormat.SINGLE_ELIMINATION)
        if data["format"] == Tournament.BracketFormat.GROUPS:
            raise Invalid(
                f"{game.name} is head to head; pick an elimination, round-robin or Swiss format.",
                code="format_not_for_head_to_head",
            )
    if mode == Tournament.Mode.SCRIM:
        data.setdefault("rounds_count", 1)
    _ensure_future(data)
    tournament = Tournament(host=host, game=game, mode=mode, **data)
    _validate_structure(tournament)
    tournament.full_clean()
    tournament.save()
    return tournament


@transaction.atomic
def tournament_update(*, tournament_id: int, user: User, data: dict) -> Tournament:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    allowed = EDITABLE_BEFORE_START if tournament.status in (
        Tournament.Status.DRAFT, Tournament.Status.REGISTRATION_OPEN
    ) else ALWAYS_EDITABLE  # fmt: skip
    if tournament.listing_paid_at and data.get("listing_plan", tournament.listing_plan) != tournament.listing_plan:
        raise Conflict("The listing plan is paid; it cannot change now.", code="listing_plan_paid")
    locked = sorted(set(data) - allowed)
    if locked:
        raise Conflict(f"Cannot change {', '.join(locked)} once the tournament is {tournament.status}.")
    _ensure_future(data)
    for field, value in data.items():
        setattr(tournament, field, value)
    if "max_teams" in data:
        taken = tournament.registrations.filter(status__in=Registration.ACTIVE).count()
        if tournament.max_teams < taken:
            raise Conflict(f"{taken} teams are already registered; max_teams cannot go below that.")
    _validate_structure(tournament)
    tournament.full_clean()
    tournament.save()
    _cache_invalidate_after_commit(tournament.pk)
    return tournament


def tournament_banner_set(*, tournament_id: int, user: User, image: UploadedFile) -> Tournament:
    """Store a new banner and its thumbnail; the old pair is deleted once the change commits.
    The image is checked and re-encoded (accounts.uploads.banner_normalize) and both files are
    uploaded before the row lock is taken, so a slow store never holds it."""
    from accounts.uploads import banner_normalize

    tournament = Tournament.objects.filter(pk=tournament_id).first()
    if tournament is None:
        raise NotFound("No such tournament.")
    _require_owner(tournament, user)
    banner, thumbnail = banner_normalize(image)
    storage = tournament.banner.storage
    names = [
        storage.save(tournament.banner.field.generate_filename(tournament, f"{tournament.pk}-{banner.name}"), banner),
        storage.save(
            tournament.banner_thumbnail.field.generate_filename(tournament, f"{tournament.pk}-{thumbnail.name}"),
            thumbnail,
        ),
    ]
    try:
        with transaction.atomic():
            tournament = _tournament_locked(tournament_id)
            _require_owner(tournament, user)
            _banner_files_delete_on_commit(tournament)
            tournament.banner.name, tournament.banner_thumbnail.name = names
            tournament.save(update_fields=["banner", "banner_thumbnail", "updated_at"])
            _cache_invalidate_after_commit(tournament.pk)
    except BaseException:
        files_delete(storage, *names)
        raise
    return tournament


@transaction.atomic
def tournament_banner_delete(*, tournament_id: int, user: User) -> Tournament:
    """Back to the game's default banner; the uploaded files are deleted once this commits."""
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    _banner_files_delete_on_commit(tournament)
    tournament.banner = tournament.banner_thumbnail = ""
    tournament.save(update_fields=["banner", "banner_thumbnail", "updated_at"])
    _cache_invalidate_after_commit(tournament.pk)
    return tournament


def _banner_files_delete_on_commit(tournament: Tournament) -> None:
    files_delete_on_commit(tournament.banner.storage, tournament.banner.name, tournament.banner_thumbnail.name)


@transaction.atomic
def tournament_publish(*, tournament_id: int, user: User) -> Tournament:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status != Tournament.Status.DRAFT:
        raise Conflict(f"Only drafts can be published; this one is {tournament.status}.", code="not_draft")
    if tournament.starts_at <= timezone.now():
        raise Conflict("starts_at has passed; move it before publishing.", code="starts_in_past")
    if tournament.listing_paid_at is None:
        raise Conflict(
            f"Pay the {tournament.listing_plan} listing plan first: POST /api/payments "
            f'{{"purpose": "listing_plan", "ref": "{tournament.pk}"}}.',
            code="listing_plan_unpaid",
        )
    tournament.status = Tournament.Status.REGISTRATION_OPEN
    tournament.published_at = timezone.now()
    tournament.save(update_fields=["status", "published_at", "updated_at"])
    _cache_invalidate_after_commit(tournament.pk)
    return tournament


@transaction.atomic
def tournament_cancel_or_delete(*, tournament_id: int, user: User) -> None:
    """A draft is deleted; a published tournament is cancelled and its registrations released."""
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status == Tournament.Status.DRAFT:
        _banner_files_delete_on_commit(tournament)
        _cache_invalidate_after_commit(tournament.pk)
        tournament.delete()
        return
    if tournament.status in (Tournament.Status.COMPLETED, Tournament.Status.CANCELLED):
        raise Conflict(f"This tournament is already {tournament.status}.")
    for registration in tournament.registrations.filter(status__in=Registration.ACTIVE):
        _registration_release(registration, status=Registration.Status.WITHDRAWN)
    tournament.status = Tournament.Status.CANCELLED
    tournament.save(update_fields=["status", "updated_at"])
    _publish_after_commit(tournament.pk, "tournament.cancelled", {"id": tournament.pk})


# --- registration --------------------------------------------------------------------------


def _registration_release(registration: Registration, *, status: str) -> None:
    was_paid = registration.status == Registration.Status.CONFIRMED and registration.tournament.entry_fee > 0
    registration.status = status
    registration.save(update_fields=["status"])
    released = list(registration.players.values_list("user_id", flat=True))
    registration.players.all().delete()
    _cache_invalidate_after_commit(registration.tournament_id)
    _access_recheck(released)  # their open lobby sockets close with 4403 after commit
    if was_paid:
        registration_refund(registration=registration)


@transaction.atomic
def tournament_listing_paid(*, tournament_id: int) -> bool:
    """Called by the wallet inside the payment's transition to succeeded. False when there is
    nothing to deliver (already paid, or gone), so the wallet refunds it."""
    _cache_invalidate_after_commit(tournament_id)
    return bool(
        Tournament.objects.filter(pk=tournament_id, listing_paid_at__isnull=True).update(listing_paid_at=timezone.now())
    )


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
    _notify(
        registration.players.values_list("user_id", flat=True),
        "registration_confirmed",
        f"{registration.team.name} is in {registration.tournament.title}",
        data={"tournament_id": registration.tournament_id, "registration_id": registration.pk},
    )
    return True


def registration_refund(*, registration: Registration) -> None:
    """The one call site for refunding a paid entry fee (withdrawal, cancellation)."""
    from wallet.refunds import registration_payment_refund

    registration_payment_refund(registration_id=registration.pk)


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
        _notify(
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


# --- structure: start, rounds, groups, matches ---------------------------------------------------


def _snake(teams: list[int], group_count: int) -> list[list[int]]:
    """Balanced snake seeding: 1..g left to right, then g..1 back, and so on."""
    groups: list[list[int]] = [[] for _ in range(group_count)]
    for index, team_id in enumerate(teams):
        row, column = divmod(index, group_count)
        groups[column if row % 2 == 0 else group_count - 1 - column].append(team_id)
    return groups


def _group_names(count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[i] if count <= 26 else f"G{i + 1}" for i in range(count)]


def _next_match_number(tournament: Tournament) -> int:
    last = tournament.matches.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _build_br_round(tournament: Tournament, number: int, team_ids: list[int]) -> Round:
    round_ = Round.objects.create(tournament=tournament, number=number)
    group_count = math.ceil(len(team_ids) / tournament.group_size)
    match_number = _next_match_number(tournament)
    for name, members in zip(_group_names(group_count), _snake(team_ids, group_count), strict=True):
        group = Group.objects.create(round=round_, name=name)
        group.teams.set(members)
        Standing.objects.bulk_create(
            [Standing(tournament=tournament, round=round_, group=group, team_id=t) for t in members]
        )
        for _ in range(tournament.matches_per_group):
            Match.objects.create(tournament=tournament, round=round_, group=group, number=match_number)
            match_number += 1
    Standing.objects.bulk_create([Standing(tournament=tournament, round=round_, team_id=t) for t in team_ids])
    return round_


def _create_bracket_matches(tournament: Tournament, round_: Round, planned: list[brackets.BracketMatch]) -> None:
    number = _next_match_number(tournament)
    for planned_match in planned:
        Match.objects.create(
            tournament=tournament,
            round=round_,
            number=number,
            key=planned_match.key,
            bracket=planned_match.bracket,
            home_team_id=planned_match.home,
            away_team_id=planned_match.away,
            is_bye=planned_match.is_bye,
            winner_to=f"{planned_match.winner_to.match_key}:{planned_match.winner_to.side}"
            if planned_match.winner_to
            else "",
            loser_to=f"{planned_match.loser_to.match_key}:{planned_match.loser_to.side}"
            if planned_match.loser_to
            else "",
        )
        number += 1


@transaction.atomic
def tournament_start(*, tournament_id: int, user: User) -> Tournament:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status != Tournament.Status.REGISTRATION_OPEN:
        raise Conflict(f"Only a tournament open for registration can start; this one is {tournament.status}.")
    active = tournament.registrations.filter(status__in=Registration.ACTIVE)
    if tournament.check_in_minutes:
        for registration in active.filter(checked_in_at__isnull=True):
            _registration_release(registration, status=Registration.Status.DROPPED)
    # Unpaid registrations do not play.
    for registration in active.filter(status=Registration.Status.PENDING_PAYMENT):
        _registration_release(registration, status=Registration.Status.WITHDRAWN)
    confirmed = list(
        tournament.registrations.filter(status=Registration.Status.CONFIRMED)
        .order_by(F("seed").asc(nulls_last=True), "created_at", "id")
        .values_list("team_id", flat=True)
    )
    if len(confirmed) < 2:
        raise Conflict("At least 2 confirmed teams are needed to start.", code="not_enough_teams")
    if tournament.is_battle_royale:
        _build_br_round(tournament, 1, confirmed)
    else:
        Standing.objects.bulk_create([Standing(tournament=tournament, team_id=t) for t in confirmed])
        round_ = Round.objects.create(tournament=tournament, number=1)
        planned = {
            Tournament.BracketFormat.ROUND_ROBIN: brackets.round_robin,
            Tournament.BracketFormat.SINGLE_ELIMINATION: brackets.single_elimination,
            Tournament.BracketFormat.DOUBLE_ELIMINATION: brackets.double_elimination,
        }.get(tournament.format)
        if planned is not None:
            _create_bracket_matches(tournament, round_, planned(confirmed))
        else:
            _create_bracket_matches(tournament, round_, brackets.swiss_pairings(confirmed, set(), set(), 1))
        _auto_advance_byes(tournament)
    if tournament.is_battle_royale:
        Standing.objects.bulk_create([Standing(tournament=tournament, team_id=t) for t in confirmed])
    career.tournament_started(tournament=tournament, team_ids=confirmed)
    tournament.status = Tournament.Status.ONGOING
    tournament.started_at = timezone.now()
    tournament.save(update_fields=["status", "started_at", "updated_at"])
    _publish_after_commit(tournament.pk, "tournament.started", {"id": tournament.pk})
    return tournament


@transaction.atomic
def round_advance(*, tournament_id: int, number: int, user: User) -> Round:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if not tournament.is_battle_royale:
        raise Conflict("Head-to-head brackets advance by themselves as results come in.", code="not_battle_royale")
    round_ = tournament.rounds.filter(number=number).first()
    if round_ is None:
        raise NotFound(f"No round {number}.")
    if round_.status == Round.Status.COMPLETED or tournament.rounds.filter(number=number + 1).exists():
        raise Conflict(f"Round {number} has already been advanced.", code="already_advanced")
    if number >= tournament.rounds_count:
        raise Conflict(f"Round {number} is the final round; select the winner instead.", code="final_round")
    if round_.matches.exclude(status=Match.Status.COMPLETED).exists():
        raise Conflict(f"Every match of round {number} needs results first.", code="round_unfinished")
    qualified: list[tuple[int, int, int]] = []  # (group rank, -points, team)
    for group in round_.groups.all():
        rows = Standing.objects.filter(group=group).order_by("rank", "team_id")[: tournament.qualify_per_group]
        qualified += [(row.rank, -row.points, row.team_id) for row in rows]
    qualified.sort()
    round_.status = Round.Status.COMPLETED
    round_.save(update_fields=["status"])
    next_round = _build_br_round(tournament, number + 1, [team_id for _, _, team_id in qualified])
    # A new stage: the overall table now leads with the teams still in (unranked until they play).
    Standing.objects.bulk_update(_br_overall_derive(_br_standings_locked(tournament)), BR_FIELDS)
    _publish_after_commit(tournament.pk, "round.advanced", {"round": number + 1, "teams": len(qualified)})
    event_emit(tournament_id=tournament.pk, event="round.advanced", data={"round": number + 1, "teams": len(qualified)})
    return next_round


# --- results ---------------------------------------------------------------------------------


def _match_locked(match_id: int) -> Match:
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("tournament__game", "round", "group")
        .filter(pk=match_id)
        .first()
    )
    if match is None:
        raise NotFound("No such match.")
    return match


BR_FIELDS = ["points", "wins", "placement_points", "kills", "matches_played", "rank", "decided_by"]


def _br_standings_locked(tournament: Tournament, group: Group | None = None) -> list[Standing]:
    """Every standing row a battle-royale change can move, locked in one global order (primary key):
    the group's rows (if any), every round's rows (their orders make the overall one) and the overall
    table. Concurrent results for one tournament queue on the same rows in the same order instead of
    deadlocking, and each reranks totals no other transaction is changing."""
    return list(
        Standing.objects.select_for_update(of=("self",))
        .filter(Q(group=group) | Q(group__isnull=True) if group else Q(group__isnull=True), tournament=tournament)
        .annotate(round_number=F("round__number"))
        .order_by("pk")
    )


def _br_totals(row: Standing) -> standings.BRTotals:
    return standings.BRTotals(
        team_id=row.team_id,
        points=row.points,
        wins=row.wins,
        placement_points=row.placement_points,
        kills=row.kills,
        matches_played=row.matches_played,
    )


def _br_set(row: Standing, totals: standings.BRTotals, ranked: standings.RankedRow | None = None) -> None:
    row.points, row.wins, row.placement_points = totals.points, totals.wins, totals.placement_points
    row.kills, row.matches_played = totals.kills, totals.matches_played
    if ranked is not None:
        row.rank, row.decided_by = ranked.rank, ranked.decided_by or ""


def _br_standings_apply(match: Match, rows: list[Standing], changes: list[tuple[MatchResult, int]]) -> None:
    """Move the match's group and round tables by `changes` ((result, +1 or -1), the -1s taking back
    a corrected result), rerank them, derive the overall table, and write it all in one statement.
    The match's new results must already be stored (the last tie-breaker reads them)."""
    tournament = match.tournament
    group_rows = [row for row in rows if row.group_id == match.group_id]
    round_rows = [row for row in rows if row.group_id is None and row.round_id == match.round_id]
    for row in group_rows + round_rows:
        totals = _br_totals(row)
        for result, sign in changes:
            if result.team_id == row.team_id:
                totals = standings.br_totals_add(
                    totals, placement=result.placement, kills=result.kills, table=tournament.points_table,
                    kill_points=tournament.kill_points, sign=sign,
                )  # fmt: skip
        _br_set(row, totals)
    tied = _teams_tied_on_aggregates([_br_totals(row) for row in group_rows]) | _teams_tied_on_aggregates(
        [_br_totals(row) for row in round_rows]
    )
    history: list[tuple[int, int, int, int]] = []
    if tied:
        # Only teams tied on every aggregate need match history, for the last tie-breaker.
        history = list(
            MatchResult.objects.filter(match__round=match.round, team_id__in=tied).values_list(
                "team_id", "match__group_id", "match__number", "placement"
            )
        )
    for scope_rows, in_group in ((group_rows, True), (round_rows, False)):
        placements: dict[int, list[tuple[int, int]]] = {}
        for team_id, group_id, number, placement in history:
            if not in_group or group_id == match.group_id:
                placements.setdefault(team_id, []).append((number, placement))
        _br_rank_rows(scope_rows, placements)
    overall = _br_overall_derive(rows)
    Standing.objects.bulk_update(group_rows + round_rows + overall, BR_FIELDS)


def _br_rank_rows(rows: list[Standing], placements: dict[int, list[tuple[int, int]]]) -> None:
    ranked = {row.team_id: row for _, row in standings.br_rank([_br_totals(r) for r in rows], placements=placements)}
    for row in rows:
        row.rank, row.decided_by = ranked[row.team_id].rank, ranked[row.team_id].decided_by or ""


def _br_overall_derive(rows: list[Standing]) -> list[Standing]:
    """The overall rows (in `rows`, with every round's rows) set from the stages: the final round's
    order, then the teams that went out in each earlier round (standings.br_stages_rank)."""
    stages: dict[int, list[tuple[standings.BRTotals, standings.RankedRow]]] = {}
    for row in rows:
        if row.group_id is None and row.round_id is not None:
            ranked = standings.RankedRow(team_id=row.team_id, rank=row.rank, decided_by=row.decided_by or None)
            stages.setdefault(row.round_number, []).append((_br_totals(row), ranked))
    derived = {
        totals.team_id: (totals, ranked)
        for totals, ranked in standings.br_stages_rank([stages[number] for number in sorted(stages)])
    }
    overall = [row for row in rows if row.round_id is None and row.group_id is None and row.team_id in derived]
    for row in overall:
        _br_set(row, *derived[row.team_id])
    return overall


def _teams_tied_on_aggregates(totals: list[standings.BRTotals]) -> set[int]:
    seen: dict[tuple, list[int]] = {}
    for row in totals:
        seen.setdefault((row.points, row.wins, row.placement_points, row.kills), []).append(row.team_id)
    return {team_id for team_ids in seen.values() if len(team_ids) > 1 for team_id in team_ids}


def _snapshot(match: Match) -> dict:
    if match.tournament.is_battle_royale:
        return _br_snapshot(match.results.all())
    return {"home_score": match.home_score, "away_score": match.away_score}


def _br_snapshot(results: Iterable[MatchResult], *, player_kills: bool = False) -> dict:
    """What spectators see of a battle-royale result; the audit also keeps who got the kills."""
    return {
        "results": [
            {"team_id": r.team_id, "placement": r.placement, "kills": r.kills}
            | ({"player_kills": r.player_kills} if player_kills and r.player_kills else {})
            for r in sorted(results, key=lambda r: r.placement)
        ]
    }


def _require_playable(match: Match, user: User) -> None:
    _require_owner(match.tournament, user)
    if match.tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Results can only be posted while the tournament is ongoing.", code="not_ongoing")
    if match.status == Match.Status.CANCELLED:
        raise Conflict("This match was cancelled.", code="match_cancelled")


BR_KILLS_MAX = 1000


def _player_kills_errors(tournament: Tournament, present: list[dict]) -> list[str]:
    errors = []
    credited = [entry for entry in present if entry.get("player_kills")]
    if not credited:
        return errors
    rosters = _rostered(tournament, [entry["team_id"] for entry in credited])
    for entry in credited:
        players = [p["user_id"] for p in entry["player_kills"]]
        strangers = sorted(set(players) - rosters.get(entry["team_id"], set()))
        if strangers:
            errors.append(f"team {entry['team_id']}: players {strangers} are not on its roster")
        if len(set(players)) != len(players):
            errors.append(f"team {entry['team_id']}: a player is credited twice")
        if sum(p["kills"] for p in entry["player_kills"]) != entry["kills"]:
            errors.append(f"team {entry['team_id']}: player kills must add up to the team's {entry['kills']} kills")
    return errors


def _rostered(tournament: Tournament, team_ids: list[int]) -> dict[int, set[int]]:
    rosters: dict[int, set[int]] = {}
    rows = RegistrationPlayer.objects.filter(tournament=tournament, registration__team_id__in=team_ids)
    for team_id, user_id in rows.values_list("registration__team_id", "user_id"):
        rosters.setdefault(team_id, set()).add(user_id)
    return rosters


@transaction.atomic
def match_results_record_br(*, match_id: int, user: User, entries: list[dict]) -> Match:
    """entries: [{team_id, placement, kills}] or [{team_id, absent: true}]. Re-posting replaces."""
    match = _match_locked(match_id)
    if not match.tournament.is_battle_royale:
        raise Invalid("This is a head-to-head match; post {home_score, away_score}.", code="wrong_result_shape")
    _require_playable(match, user)
    if match.round.status == Round.Status.COMPLETED:
        raise Conflict("This round has been advanced; its results are final.", code="round_closed")
    teams = {team["id"]: team for team in match.group.teams.values("id", "name", "tag")}
    lobby = set(teams)
    seen = [entry["team_id"] for entry in entries]
    errors = []
    unknown = sorted(set(seen) - lobby)
    if unknown:
        errors.append(f"teams not in this lobby: {unknown}")
    if len(set(seen)) != len(seen):
        errors.append("a team appears twice")
    missing = sorted(lobby - set(seen))
    if missing:
        errors.append(f"teams missing (send them with absent: true): {missing}")
    present = [entry for entry in entries if not entry.get("absent")]
    placements = [entry.get("placement") for entry in present]
    if any(p is None or entry.get("kills") is None for p, entry in zip(placements, present, strict=True)):
        errors.append("every team that played needs placement and kills")
    elif len(set(placements)) != len(placements):
        errors.append("placements must be unique")
    elif any(not 1 <= p <= len(lobby) for p in placements):
        errors.append(f"placements run from 1 to {len(lobby)} (the lobby size)")
    if any(entry.get("kills") is not None and not 0 <= entry["kills"] <= BR_KILLS_MAX for entry in present):
        # The API schema bounds typed kills; results proposed by OCR (matchlog) come here unchecked.
        errors.append(f"kills run from 0 to {BR_KILLS_MAX}")
    errors += _player_kills_errors(match.tournament, present)
    if errors:
        raise Invalid("Invalid results: " + "; ".join(errors) + ".", code="invalid_results")

    rows = _br_standings_locked(match.tournament, match.group)
    old = list(match.results.all())
    before = _br_snapshot(old, player_kills=True) if match.status == Match.Status.COMPLETED else None
    match.results.all().delete()
    tournament = match.tournament
    new = []
    for entry in present:
        placement_points, points = standings.br_match_points(
            placement=entry["placement"],
            kills=entry["kills"],
            table=tournament.points_table,
            kill_points=tournament.kill_points,
        )
        new.append(
            MatchResult(
                match=match,
                team_id=entry["team_id"],
                placement=entry["placement"],
                kills=entry["kills"],
                placement_points=placement_points,
                points=points,
                player_kills={str(p["user_id"]): p["kills"] for p in entry.get("player_kills") or []},
            )
        )
    MatchResult.objects.bulk_create(new)
    _br_standings_apply(match, rows, [(result, -1) for result in old] + [(result, 1) for result in new])
    _match_completed(match, user=user, before=before, results=new, teams=teams)
    return match


@transaction.atomic
def match_results_record_h2h(*, match_id: int, user: User, home_score: int, away_score: int) -> Match:
    match = _match_locked(match_id)
    tournament = match.tournament
    if tournament.is_battle_royale:
        raise Invalid("This is a battle-royale match; post [{team_id, placement, kills}].", code="wrong_result_shape")
    _require_playable(match, user)
    if match.is_bye or match.home_team_id is None or match.away_team_id is None:
        raise Conflict("Both teams of this match are not known yet.", code="teams_not_set")
    elimination = tournament.format in (
        Tournament.BracketFormat.SINGLE_ELIMINATION,
        Tournament.BracketFormat.DOUBLE_ELIMINATION,
    )
    if elimination and home_score == away_score:
        raise Invalid("Elimination matches need a winner; draws are not allowed.", code="draw_not_allowed")
    before = None
    # Matches before standings, as the battle-royale path: the matches this result feeds are locked
    # now, not after the table, so a result posted to one of them at the same time cannot deadlock.
    list(_progressed_matches(match).select_for_update().order_by("pk").values_list("pk", flat=True))
    rows = _h2h_standings_locked(tournament)
    if match.status == Match.Status.COMPLETED:
        before = _snapshot(match)
        if _progressed_matches(match).filter(status=Match.Status.COMPLETED).exists():
            raise Conflict("A later match that depends on this result has been played.", code="result_locked")
        _apply_h2h(match, rows, sign=-1)
        _unplace(match)
    match.home_score, match.away_score = home_score, away_score
    match.winner_id = None if home_score == away_score else (
        match.home_team_id if home_score > away_score else match.away_team_id
    )  # fmt: skip
    _apply_h2h(match, rows, sign=1)
    _rerank_h2h(rows)
    home_won = match.winner_id == match.home_team_id
    # GF2 (the bracket reset) is only played when the losers-bracket champion wins GF.
    reset_skipped = match.key == "GF" and not brackets.grand_final_needs_reset("home" if home_won else "away")
    if match.winner_id and not reset_skipped:
        _place(match, match.winner_to, match.winner_id)
        _place(match, match.loser_to, match.away_team_id if home_won else match.home_team_id)
    _match_completed(match, user=user, before=before)
    return match


H2H_FIELDS = ["matches_played", "wins", "draws", "losses", "score_for", "score_against", "points", "rank", "decided_by"]


def _h2h_standings_locked(tournament: Tournament) -> dict[int, Standing]:
    """The whole table, locked in one global order (primary key): a result reranks every row, so
    concurrent results for one tournament queue here instead of deadlocking."""
    rows = Standing.objects.select_for_update(of=("self",)).filter(
        tournament=tournament, round__isnull=True, group__isnull=True
    )
    return {row.team_id: row for row in rows.order_by("pk")}


def _apply_h2h(match: Match, rows: dict[int, Standing], *, sign: int) -> None:
    for team_id, score_for, score_against in (
        (match.home_team_id, match.home_score, match.away_score),
        (match.away_team_id, match.away_score, match.home_score),
    ):
        row = rows[team_id]
        totals = standings.h2h_totals_add(_h2h_totals(row), score_for=score_for, score_against=score_against, sign=sign)
        row.matches_played, row.wins, row.draws, row.losses = totals.played, totals.wins, totals.draws, totals.losses
        row.score_for, row.score_against, row.points = totals.score_for, totals.score_against, totals.points


def _h2h_totals(row: Standing) -> standings.H2HTotals:
    return standings.H2HTotals(
        team_id=row.team_id,
        played=row.matches_played,
        wins=row.wins,
        draws=row.draws,
        losses=row.losses,
        score_for=row.score_for,
        score_against=row.score_against,
    )


def _rerank_h2h(rows: dict[int, Standing]) -> None:
    """Rank the locked table and write it, totals and ranks, in one statement."""
    ranked = {row.team_id: row for _, row in standings.h2h_rank([_h2h_totals(row) for row in rows.values()])}
    for row in rows.values():
        row.rank, row.decided_by = ranked[row.team_id].rank, ranked[row.team_id].decided_by or ""
    Standing.objects.bulk_update(rows.values(), H2H_FIELDS)


def _link(match: Match, link: str) -> tuple[Match, str] | None:
    if not link:
        return None
    key, side = link.split(":")
    return Match.objects.select_for_update().get(tournament=match.tournament, key=key), side


def _progressed_matches(match: Match):
    keys = [link.split(":")[0] for link in (match.winner_to, match.loser_to) if link]
    return Match.objects.filter(tournament=match.tournament, key__in=keys)


def _place(match: Match, link: str, team_id: int) -> None:
    target = _link(match, link)
    if target is None:
        return
    next_match, side = target
    setattr(next_match, f"{side}_team_id", team_id)
    next_match.save(update_fields=[f"{side}_team"])
    if next_match.is_bye:
        _advance_bye(next_match)


def _unplace(match: Match) -> None:
    for link in (match.winner_to, match.loser_to):
        target = _link(match, link)
        if target is not None:
            next_match, side = target
            setattr(next_match, f"{side}_team_id", None)
            next_match.save(update_fields=[f"{side}_team"])


def _advance_bye(match: Match) -> None:
    team_id = match.home_team_id or match.away_team_id
    if team_id is None or match.status == Match.Status.COMPLETED:
        return
    match.winner_id = team_id
    match.status = Match.Status.COMPLETED
    match.completed_at = timezone.now()
    match.save(update_fields=["winner", "status", "completed_at"])
    _place(match, match.winner_to, team_id)


def _auto_advance_byes(tournament: Tournament) -> None:
    for match in tournament.matches.filter(is_bye=True, status=Match.Status.SCHEDULED):
        _advance_bye(match)


def _match_completed(
    match: Match,
    *,
    user: User,
    before: dict | None,
    results: list[MatchResult] | None = None,
    teams: dict[int, dict] | None = None,
) -> None:
    """Only what must be in the request: the match, its audit and what spectators see. Career stats
    and the players' notifications follow after commit in one task (match_result_effects_apply);
    standings messages are coalesced per tournament (standings_publish_coalesced).
    Battle royale passes its new results and the lobby's teams, so nothing is read back."""
    match.status = Match.Status.COMPLETED
    match.completed_at = timezone.now()
    match.save()
    tournament = match.tournament
    if results is not None:
        public, after = _br_snapshot(results), _br_snapshot(results, player_kills=True)
    else:
        public = after = _snapshot(match)
    audit = ResultAudit.objects.create(match=match, actor=user, before=before, after=after)
    if tournament.format == Tournament.BracketFormat.SWISS:
        _swiss_next_round(tournament, match.round)
    _publish_after_commit(tournament.pk, "match.result", {"match_id": match.pk, **public})
    event_emit(tournament_id=tournament.pk, event="match.results_posted", data={"match_id": match.pk, **public})
    transaction.on_commit(lambda: standings_publish_coalesced(tournament_id=tournament.pk))
    if results is not None:
        payload = selectors.match_payload(match, results=results, teams=teams)
        transaction.on_commit(lambda: _publish(f"match.{match.pk}", "match.result", payload))
    else:
        _publish_match_after_commit(match.pk, "match.result")
    from competitions.tasks import apply_result_effects

    transaction.on_commit(lambda: apply_result_effects.delay(audit.pk))
    if _tournament_finished(tournament, match):
        from competitions.tasks import select_winner

        transaction.on_commit(lambda: select_winner.delay(tournament.pk))


@transaction.atomic
def match_result_effects_apply(*, audit_id: int) -> bool:
    """Career stats and the players' "results posted" notifications of one results change, exactly
    once: the audit row is claimed in the same transaction. False when it was already applied."""
    if not ResultAudit.objects.filter(pk=audit_id, applied_at__isnull=True).update(applied_at=timezone.now()):
        return False
    audit = ResultAudit.objects.select_related("match__tournament").get(pk=audit_id)
    match, tournament = audit.match, audit.match.tournament
    team_ids = {
        team_id for snapshot in (audit.before, audit.after) for team_id, *_ in career._outcomes(match, snapshot)
    }
    rosters: dict[int, list[tuple[int, bool]]] = {}
    rows = RegistrationPlayer.objects.filter(tournament=tournament, registration__team_id__in=team_ids)
    for team_id, user_id, substitute in rows.values_list("registration__team_id", "user_id", "is_substitute"):
        rosters.setdefault(team_id, []).append((user_id, substitute))
    career.results_change_applied(match=match, before=audit.before, after=audit.after, rosters=rosters)
    posted = {team_id for team_id, *_ in career._outcomes(match, audit.after)}
    _notify(
        [user_id for team_id in posted for user_id, _ in rosters.get(team_id, [])],
        "results_posted",
        f"Results posted: {tournament.title}, match {match.number}",
        data={"tournament_id": tournament.pk, "match_id": match.pk},
    )
    return True


def _swiss_next_round(tournament: Tournament, round_: Round) -> None:
    if round_.matches.exclude(status=Match.Status.COMPLETED).exists():
        return
    total = tournament.swiss_rounds or brackets.swiss_round_count(tournament.standings.count())
    if round_.number >= total or tournament.rounds.filter(number=round_.number + 1).exists():
        return
    round_.status = Round.Status.COMPLETED
    round_.save(update_fields=["status"])
    ranking = list(
        Standing.objects.filter(tournament=tournament, round__isnull=True).order_by("rank", "team_id")
        .values_list("team_id", flat=True)
    )  # fmt: skip
    played = {
        frozenset((home, away))
        for home, away in tournament.matches.filter(is_bye=False).values_list("home_team_id", "away_team_id")
    }
    had_bye = set(tournament.matches.filter(is_bye=True).values_list("home_team_id", flat=True))
    next_round = Round.objects.create(tournament=tournament, number=round_.number + 1)
    _create_bracket_matches(
        tournament, next_round, brackets.swiss_pairings(ranking, played, had_bye, round_.number + 1)
    )
    _auto_advance_byes(tournament)


def _tournament_finished(tournament: Tournament, match: Match | None = None) -> bool:
    if tournament.is_battle_royale:
        if match is not None:
            # Only a result in the final round can finish it.
            last = match.round if match.round.number == tournament.rounds_count else None
        else:
            last = tournament.rounds.filter(number=tournament.rounds_count).first()
        return last is not None and not last.matches.exclude(status=Match.Status.COMPLETED).exists()
    if tournament.format == Tournament.BracketFormat.DOUBLE_ELIMINATION:
        grand_final = tournament.matches.get(key="GF")
        if grand_final.status != Match.Status.COMPLETED:
            return False
        if not brackets.grand_final_needs_reset(
            "home" if grand_final.winner_id == grand_final.home_team_id else "away"
        ):
            return True
        return tournament.matches.get(key="GF2").status == Match.Status.COMPLETED
    if tournament.format == Tournament.BracketFormat.SWISS:
        total = tournament.swiss_rounds or brackets.swiss_round_count(tournament.standings.count())
        last = tournament.rounds.order_by("-number").first()
        return last.number >= total and not last.matches.exclude(status=Match.Status.COMPLETED).exists()
    return not tournament.matches.exclude(status=Match.Status.COMPLETED).exists()


@transaction.atomic
def match_update(*, match_id: int, user: User, data: dict) -> Match:
    match = _match_locked(match_id)
    _require_owner(match.tournament, user)
    if "status" in data and data["status"] == Match.Status.COMPLETED:
        raise Invalid("A match completes when its results are posted.", code="use_results")
    if match.status == Match.Status.COMPLETED and "status" in data:
        raise Conflict("This match is completed; correct its results instead.")
    for field, value in data.items():
        setattr(match, field, value)
    match.full_clean()
    match.save()
    if {"room_id", "room_password"} & set(data) and (match.room_id or match.room_password):
        # Released to the lobby only: the host and the rostered players.
        room = {"match_id": match.pk, "number": match.number, "room_id": match.room_id,
                "room_password": match.room_password, "map_name": match.map_name}  # fmt: skip
        transaction.on_commit(lambda: _publish(f"lobby.{match.tournament_id}", "lobby.room", room))
    if "status" in data and data["status"] == Match.Status.ONGOING:
        _publish_after_commit(match.tournament_id, "match.status", {"match_id": match.pk, "status": "ongoing"})
        _publish_match_after_commit(match.pk, "match.status")
        teams = [t for t in (match.home_team_id, match.away_team_id) if t] or list(
            match.group.teams.values_list("id", flat=True) if match.group else []
        )
        _notify(
            _rostered_users(match.tournament, teams),
            "match_starting",
            f"Match {match.number} of {match.tournament.title} is starting",
            "Room details are in the match and the lobby.",
            {"tournament_id": match.tournament_id, "match_id": match.pk},
        )
    return match


@transaction.atomic
def match_create(*, tournament_id: int, user: User, group_id: int, scheduled_at: datetime | None = None) -> Match:
    """An extra battle-royale match in a group (e.g. a replayed lobby)."""
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if not tournament.is_battle_royale:
        raise Conflict("Head-to-head matches come from the bracket.", code="not_battle_royale")
    if tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Matches can only be added while the tournament is ongoing.", code="not_ongoing")
    group = Group.objects.select_related("round").filter(pk=group_id, round__tournament=tournament).first()
    if group is None:
        raise Invalid("No such group in this tournament.", code="unknown_group")
    if group.round.status == Round.Status.COMPLETED:
        raise Conflict("This round has been advanced.", code="round_closed")
    if tournament.mode == Tournament.Mode.SCRIM and group.matches.count() >= SCRIM_MAX_MATCHES:
        raise Invalid(f"A scrim has at most {SCRIM_MAX_MATCHES} matches.", code="scrim_limit")
    return Match.objects.create(
        tournament=tournament, round=group.round, group=group, number=_next_match_number(tournament),
        scheduled_at=scheduled_at,
    )  # fmt: skip


# --- winner --------------------------------------------------------------------------------


@transaction.atomic
def tournament_winner_request(*, tournament_id: int, user: User) -> None:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status != Tournament.Status.COMPLETED and (
        tournament.status != Tournament.Status.ONGOING or not _tournament_finished(tournament)
    ):
        raise Conflict("The final match has not been played yet.", code="not_finished")
    from competitions.tasks import select_winner

    transaction.on_commit(lambda: select_winner.delay(tournament.pk))


@transaction.atomic
def tournament_winner_select(*, tournament_id: int) -> Tournament:
    """Idempotent: a completed tournament is returned as it is; the row lock makes
    concurrent runs wait and then see it completed."""
    tournament = _tournament_locked(tournament_id)
    if tournament.status == Tournament.Status.COMPLETED:
        return tournament
    if tournament.status != Tournament.Status.ONGOING or not _tournament_finished(tournament):
        raise Conflict("The final match has not been played yet.", code="not_finished")
    podium = _podium(tournament)
    tournament.winner_id, tournament.runner_up_id, tournament.third_place_id = ([*podium, None, None, None])[:3]
    tournament.status = Tournament.Status.COMPLETED
    tournament.completed_at = timezone.now()
    tournament.save(update_fields=["winner", "runner_up", "third_place", "status", "completed_at", "updated_at"])
    tournament.rounds.update(status=Round.Status.COMPLETED)
    if tournament.winner_id:
        career.tournament_won(tournament=tournament, team_id=tournament.winner_id)
    _award_prizes(tournament)
    from competitions.tasks import send_winner_emails

    transaction.on_commit(lambda: send_winner_emails.delay(tournament.pk))
    _notify(
        _rostered_users(tournament),
        "tournament_winner",
        f"{tournament.title} is over",
        f"Champion: {tournament.winner.name}" if tournament.winner else "",
        {"tournament_id": tournament.pk, "podium": [t for t in podium[:3] if t is not None]},
    )
    _publish_after_commit(tournament.pk, "tournament.winner", {"podium": [t for t in podium[:3] if t is not None]})
    places = dict(
        zip(
            ("winner", "runner_up", "third_place"),
            (tournament.winner, tournament.runner_up, tournament.third_place),
            strict=True,
        )
    )
    event_emit(
        tournament_id=tournament.pk,
        event="tournament.completed",
        data={key: {"id": team.pk, "name": team.name} if team else None for key, team in places.items()},
    )
    return tournament


def _podium(tournament: Tournament) -> list[int | None]:
    if tournament.is_battle_royale:
        last = tournament.rounds.get(number=tournament.rounds_count)
        scope = Standing.objects.filter(round=last, group__isnull=True)
        return list(scope.order_by("rank", "team_id").values_list("team_id", flat=True)[:3])
    if tournament.format in (Tournament.BracketFormat.ROUND_ROBIN, Tournament.BracketFormat.SWISS):
        scope = Standing.objects.filter(tournament=tournament, round__isnull=True, group__isnull=True)
        return list(scope.order_by("rank", "team_id").values_list("team_id", flat=True)[:3])
    final = (
        tournament.matches.filter(key="GF2", status=Match.Status.COMPLETED).first()
        or tournament.matches.filter(key="GF").first()
        or tournament.matches.filter(winner_to="").exclude(is_bye=True).order_by("-number").first()
    )
    runner_up = final.away_team_id if final.winner_id == final.home_team_id else final.home_team_id
    third = None
    if tournament.format == Tournament.BracketFormat.DOUBLE_ELIMINATION:
        lb_final = (
            tournament.matches.filter(bracket="losers", status=Match.Status.COMPLETED).order_by("-number").first()
        )
        if lb_final and lb_final.winner_id:
            third = lb_final.away_team_id if lb_final.winner_id == lb_final.home_team_id else lb_final.home_team_id
    return [final.winner_id, runner_up, third]


def _award_prizes(tournament: Tournament) -> None:
    """Podium XP for every rostered starter of the top three teams, through the wallet."""
    from wallet.services import tournament_prizes_award

    podium = [tournament.winner_id, tournament.runner_up_id, tournament.third_place_id]
    starters = career.starters(tournament, [t for t in podium if t])
    placings = [(place, starters.get(team_id, [])) for place, team_id in enumerate(podium, start=1) if team_id]
    tournament_prizes_award(tournament_id=tournament.pk, placings=placings)


# --- scheduled jobs ------------------------------------------------------------------------

# label → (flag field, window start, window end) relative to now: a tournament created less than an
# hour before its start gets only the 1-hour reminder.
REMINDERS = {
    "24h": ("reminder_24h_sent_at", timezone.timedelta(hours=1), timezone.timedelta(hours=24)),
    "1h": ("reminder_1h_sent_at", timezone.timedelta(0), timezone.timedelta(hours=1)),
}


def tournament_reminders_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim every reminder that is due, exactly once, and queue its emails.

    The claim is a conditional UPDATE, so overlapping beat runs (or two beat processes)
    cannot both send the same reminder.
    """
    from competitions.tasks import send_reminder_emails

    now = now or timezone.now()
    claimed = []
    for label, (field, window_start, window_end) in REMINDERS.items():
        due = Tournament.objects.filter(
            status__in=(Tournament.Status.REGISTRATION_OPEN, Tournament.Status.ONGOING),
            starts_at__gt=now + window_start,
            starts_at__lte=now + window_end,
            **{f"{field}__isnull": True},
        ).values_list("pk", flat=True)
        for tournament_id in due:
            if Tournament.objects.filter(pk=tournament_id, **{f"{field}__isnull": True}).update(**{field: now}):
                claimed.append((tournament_id, label))
                transaction.on_commit(lambda t=tournament_id, lbl=label: send_reminder_emails.delay(t, lbl))
    return claimed
