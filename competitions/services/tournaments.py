"""A tournament's lifecycle before play: create, edit, banner, publish, announce, cancel; its listing plan paid."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.uploads import banner_normalize
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from arena.storage import files_delete, files_delete_on_commit
from competitions import events, scoring
from competitions.models import (
    Game,
    Registration,
    Tournament,
)
from competitions.services._common import (
    MAX_LOBBY_TEAMS,
    SCRIM_MAX_MATCHES,
    SCRIM_MAX_TEAMS,
    _cache_invalidate_after_commit,
    _publish_after_commit,
    _require_owner,
    _tournament_locked,
)
from competitions.services.registrations import _registration_release

EDITABLE_BEFORE_START = {
    "title", "description", "rules", "prize_pool", "entry_fee", "max_teams", "registration_opens_at",
    "registration_closes_at", "starts_at", "check_in_minutes", "rounds_count", "group_size",
    "qualify_per_group", "matches_per_group", "points_table", "kill_points", "swiss_rounds", "listing_plan",
    "third_place_match",
    "captain_reporting",
    "scoring",
}  # fmt: skip


# captain_reporting: a host may hand result entry to the captains (or take it back) mid-event.
ALWAYS_EDITABLE = {"title", "description", "rules", "captain_reporting"}


def _non_negative_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def tournament_structure_validate(tournament: Tournament) -> None:
    """Whether a tournament's settings make a playable structure: ValidationError by field. Every write
    checks it (the API's and the admin's)."""
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
        table = tournament.points_table
        if (
            not isinstance(table, list)
            or not table
            or any(not isinstance(p, int) or isinstance(p, bool) or p < 0 for p in table)
        ):
            error("points_table", "A list of non-negative integers: points for 1st, 2nd, …")
    if tournament.third_place_match and tournament.format != Tournament.BracketFormat.SINGLE_ELIMINATION:
        error("third_place_match", "Only single elimination has a third-place match.")
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
        raise ValidationError(errors)


def _scoring_set(tournament: Tournament, change: dict | None, *, table_given: bool) -> None:
    """Battle royale: merge a scoring change into the tournament (competitions.scoring) and apply its
    preset's table; checked again on every write, since best_of depends on matches_per_group."""
    if not tournament.is_battle_royale:
        if change is not None:
            raise Invalid("Scoring rules are for battle-royale tournaments.", code="scoring_not_for_head_to_head")
        return
    from django.core.exceptions import ValidationError

    try:
        clean, preset = scoring.scoring_update(
            tournament.scoring or {}, change, table_given=table_given, matches_per_group=tournament.matches_per_group
        )
    except scoring.ScoringInvalid as exc:
        raise ValidationError(exc.errors) from None
    teams = {int(team_id) for team_id in clean["head_start"]}
    unknown = sorted(teams - set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True)))
    if unknown:
        raise ValidationError({"scoring.head_start": [f"no such teams: {unknown}"]})
    if preset is not None:
        tournament.points_table, tournament.kill_points = list(preset.points_table), preset.kill_points
    tournament.scoring = clean


def _ensure_future(data: dict) -> None:
    now = timezone.now()
    if data.get("starts_at") and data["starts_at"] <= now:
        raise Invalid("starts_at must be in the future.", code="starts_in_past")
    if data.get("registration_closes_at") and data["registration_closes_at"] <= now:
        raise Invalid("registration_closes_at must be in the future.", code="closes_in_past")


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
    change = data.pop("scoring", None)
    table_given = "points_table" in data or "kill_points" in data
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
    _scoring_set(tournament, change, table_given=table_given)
    tournament_structure_validate(tournament)
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
    data = dict(data)
    change = data.pop("scoring", None)
    for field, value in data.items():
        setattr(tournament, field, value)
    _scoring_set(tournament, change, table_given="points_table" in data or "kill_points" in data)
    if "max_teams" in data:
        taken = tournament.registrations.filter(status__in=Registration.ACTIVE).count()
        if tournament.max_teams < taken:
            raise Conflict(f"{taken} teams are already registered; max_teams cannot go below that.")
    tournament_structure_validate(tournament)
    tournament.full_clean()
    tournament.save()
    _cache_invalidate_after_commit(tournament.pk)
    return tournament


def tournament_banner_set(*, tournament_id: int, user: User, image: UploadedFile) -> Tournament:
    """Store a new banner and its thumbnail; the old pair is deleted once the change commits.
    The image is checked and re-encoded (accounts.uploads.banner_normalize) and both files are
    uploaded before the row lock is taken, so a slow store never holds it."""
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


@transaction.atomic
def tournament_announce(*, tournament_id: int, user: User, text: str) -> dict:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status == Tournament.Status.DRAFT:
        raise Conflict("Publish the tournament before announcing anything.", code="not_published")
    _cache_invalidate_after_commit(tournament.pk)
    return events.announcement_create(tournament_id=tournament.pk, user=user, text=text)


@transaction.atomic
def tournament_listing_paid(*, tournament_id: int) -> bool:
    """Called by the wallet inside the payment's transition to succeeded. False when there is
    nothing to deliver (already paid, or gone), so the wallet refunds it."""
    _cache_invalidate_after_commit(tournament_id)
    return bool(
        Tournament.objects.filter(pk=tournament_id, listing_paid_at__isnull=True).update(listing_paid_at=timezone.now())
    )
