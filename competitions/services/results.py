"""Match results (battle royale and head to head), their after-commit effects, and match edits."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid
from competitions import brackets, career, events, scoring, selectors, tasks
from competitions.models import (
    Group,
    Match,
    MatchResult,
    RegistrationPlayer,
    ResultAudit,
    Round,
    Standing,
    Tournament,
)
from competitions.services._common import (
    SCRIM_MAX_MATCHES,
    _cache_invalidate_after_commit,
    _match_locked,
    _next_match_number,
    _publish_after_commit,
    _require_owner,
    _rostered_users,
    _tournament_locked,
)
from competitions.services.progression import (
    _grand_final_reset_set,
    _place,
    _place_nobody,
    _progressed_matches,
    _swiss_next_round,
    _tournament_finished,
    _unplace,
)
from competitions.services.scoring import (
    _apply_h2h,
    _br_result_apply,
    _br_standings_locked,
    _h2h_standings_locked,
    _rerank_h2h,
    br_rules,
)
from webhooks.services import event_emit


def _snapshot(match: Match) -> dict:
    if match.tournament.is_battle_royale:
        return _br_snapshot(match.results.all())
    snapshot = {"home_score": match.home_score, "away_score": match.away_score}
    return snapshot | ({"forfeit": match.forfeit} if match.forfeit else {})


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
    """entries: [{team_id, placement, kills}] or [{team_id, absent: true}]. Re-posting replaces.
    The match returned carries `state`: the match as spectators now see it (a competitions.schemas.MatchState
    dict, built from what was written and published to the match topic), so callers need not read it back."""
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
    # Locked before the checks: disqualified teams (marked on these rows) play no further match,
    # though their earlier results may still be corrected.
    rows = _br_standings_locked(match.tournament, match.group)
    disqualified = {
        row.team_id for row in rows if row.group_id == match.group_id and row.status == Standing.Status.DISQUALIFIED
    }
    missing = sorted(lobby - disqualified - set(seen))
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
    old = list(match.results.all())
    playing_disqualified = sorted({entry["team_id"] for entry in present} & disqualified - {r.team_id for r in old})
    if playing_disqualified:
        errors.append(f"disqualified teams play no further match (send them with absent: true): {playing_disqualified}")
    if errors:
        raise Invalid("Invalid results: " + "; ".join(errors) + ".", code="invalid_results")

    before = _br_snapshot(old, player_kills=True) if match.status == Match.Status.COMPLETED else None
    match.results.all().delete()
    tournament = match.tournament
    rules = br_rules(tournament)
    new = []
    for entry in present:
        placement_points, points = scoring.match_points(rules, placement=entry["placement"], kills=entry["kills"])
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
    _br_result_apply(tournament, rows, match=match, old=old, new=new)
    if any(row.status == Standing.Status.CHAMPION and row.round_id == match.round_id for row in rows):
        # Match point: the champion is decided, the final's remaining matches are not played.
        match.round.matches.exclude(pk=match.pk).exclude(status=Match.Status.COMPLETED).update(
            status=Match.Status.CANCELLED
        )
    _match_completed(match, user=user, before=before, results=new, teams=teams)
    return match


@transaction.atomic
def match_results_record_h2h(
    *,
    match_id: int,
    user: User,
    home_score: int | None = None,
    away_score: int | None = None,
    forfeit: str | None = None,
) -> Match:
    """Scores, or a forfeit ("home", "away": the other team wins; "both": nobody does, and in a bracket
    neither team goes on, so the next match's opponent advances by walkover)."""
    scores = (home_score, away_score)
    if (forfeit is not None and scores != (None, None)) or (forfeit is None and None in scores):
        raise Invalid("Send home_score and away_score, or forfeit.", code="invalid_results")
    if forfeit not in (None, "home", "away", "both"):
        raise Invalid("forfeit is home, away or both.", code="invalid_results")
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
    if elimination and forfeit is None and home_score == away_score:
        raise Invalid("Elimination matches need a winner; draws are not allowed.", code="draw_not_allowed")
    if (
        elimination
        and forfeit == "both"
        and (match.key in ("GF", "GF2") or (match.bracket == "winners" and match.winner_to_match_id is None))
    ):
        raise Conflict(
            "A double forfeit in the final would leave the tournament without a champion.",
            code="double_forfeit_final",
        )
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
    match.home_score, match.away_score, match.forfeit = home_score, away_score, forfeit or ""
    if forfeit:
        match.winner_id = {"home": match.away_team_id, "away": match.home_team_id}.get(forfeit)
    else:
        match.winner_id = None if home_score == away_score else (
            match.home_team_id if home_score > away_score else match.away_team_id
        )  # fmt: skip
    _apply_h2h(match, rows, sign=1)
    _rerank_h2h(rows)
    home_won = match.winner_id == match.home_team_id
    # GF2 (the bracket reset) is only played when the losers-bracket champion wins GF; otherwise it is cancelled.
    reset_skipped = match.key == "GF" and not brackets.grand_final_needs_reset("home" if home_won else "away")
    if match.key == "GF":
        _grand_final_reset_set(match, needed=not reset_skipped)
    if match.winner_id and not reset_skipped:
        _place(match, "winner", match.winner_id)
        _place(match, "loser", match.away_team_id if home_won else match.home_team_id)
    elif forfeit == "both":
        _place_nobody(match, "winner")
        _place_nobody(match, "loser")
    _match_completed(match, user=user, before=before)
    return match


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
    standings messages are coalesced per tournament (events.standings_publish_coalesced).
    Battle royale passes its new results and the lobby's teams, so nothing is read back."""
    match.status = Match.Status.COMPLETED
    match.completed_at = timezone.now()
    match.save(update_fields=["status", "completed_at", "home_score", "away_score", "forfeit", "winner"])
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
    events.standings_publish_on_commit(tournament_id=tournament.pk)
    if results is not None:
        match.state = selectors.match_payload(match, results=results, teams=teams)
        events.match_event_on_commit(match_id=match.pk, event_type="match.result", payload=match.state)
    else:
        events.match_event_on_commit(match_id=match.pk, event_type="match.result")
        # Head to head: the matches this result filled (or cancelled), for pages that draw the bracket.
        events.bracket_updated_on_commit(tournament_id=tournament.pk, match_id=match.pk)
    transaction.on_commit(lambda: tasks.apply_result_effects.delay(audit.pk))
    if _tournament_finished(tournament, match):
        transaction.on_commit(lambda: tasks.select_winner.delay(tournament.pk))


@transaction.atomic
def match_result_effects_apply(*, audit_id: int) -> bool:
    """Career stats and the players' "results posted" notifications of one results change, exactly
    once: the audit rows are claimed in the same transaction. The changes of one match are applied in
    the order they were made: a task that runs before an earlier correction's task (concurrent
    corrections, workers in parallel) applies that one first, since taking back a result whose stats
    were never added would drive them below zero, and the earlier task then finds nothing to do.
    False when it was already applied."""
    match_id = ResultAudit.objects.filter(pk=audit_id).values_list("match_id", flat=True).first()
    pending = list(
        ResultAudit.objects.select_for_update(of=("self",))
        .filter(match_id=match_id, pk__lte=audit_id, applied_at__isnull=True)
        .select_related("match__tournament")
        .order_by("pk")
    )
    if not pending or pending[-1].pk != audit_id:
        return False
    ResultAudit.objects.filter(pk__in=[audit.pk for audit in pending]).update(applied_at=timezone.now())
    for audit in pending:
        _result_effects_apply(audit)
    return True


def _result_effects_apply(audit: ResultAudit) -> None:
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
    events.notify(
        [user_id for team_id in posted for user_id, _ in rosters.get(team_id, [])],
        "results_posted",
        f"Results posted: {tournament.title}, match {match.number}",
        data={"tournament_id": tournament.pk, "match_id": match.pk},
    )


@transaction.atomic
def match_update(*, match_id: int, user: User, data: dict) -> Match:
    match = _match_locked(match_id)
    _require_owner(match.tournament, user)
    if "status" in data and data["status"] == Match.Status.COMPLETED:
        raise Invalid("A match completes when its results are posted.", code="use_results")
    if match.status == Match.Status.COMPLETED and "status" in data:
        raise Conflict("This match is completed; correct its results instead.")
    if match.group_id is not None and Match.Status.CANCELLED in (match.status, data.get("status", match.status)):
        _matches_left_changed(match.tournament_id)
    for field, value in data.items():
        setattr(match, field, value)
    match.full_clean()
    match.save()
    if {"room_id", "room_password"} & set(data) and (match.room_id or match.room_password):
        # Released to the lobby only: the host and the rostered players.
        room = {"match_id": match.pk, "number": match.number, "room_id": match.room_id,
                "room_password": match.room_password, "map_name": match.map_name}  # fmt: skip
        events.lobby_room_on_commit(tournament_id=match.tournament_id, room=room)
    if "status" in data and data["status"] == Match.Status.ONGOING:
        _publish_after_commit(match.tournament_id, "match.status", {"match_id": match.pk, "status": "ongoing"})
        events.match_event_on_commit(match_id=match.pk, event_type="match.status")
        teams = [t for t in (match.home_team_id, match.away_team_id) if t] or list(
            match.group.teams.values_list("id", flat=True) if match.group else []
        )
        events.notify(
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
    _matches_left_changed(tournament.pk)
    return Match.objects.create(
        tournament=tournament, round=group.round, group=group, number=_next_match_number(tournament),
        scheduled_at=scheduled_at,
    )  # fmt: skip


def _matches_left_changed(tournament_id: int) -> None:
    """A battle-royale group gained or lost a match to play: its teams' qualification (computed from
    the matches left, selectors.qualification_outlooks) changes though no points moved, so the cached
    standings go stale and spectators get the table again."""
    _cache_invalidate_after_commit(tournament_id)
    events.standings_publish_on_commit(tournament_id=tournament_id)
