"""Starting a tournament (seeding its first round) and advancing battle-royale rounds."""

import math
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from arena.db import rows_update
from arena.exceptions import Conflict, NotFound
from competitions import brackets, career, events
from competitions.models import (
    Group,
    Match,
    Registration,
    Round,
    Standing,
    Tournament,
)
from competitions.services._common import _next_match_number, _publish_after_commit, _require_owner, _tournament_locked
from competitions.services.progression import _auto_advance_byes, _create_bracket_matches
from competitions.services.registrations import _registration_release
from competitions.services.scoring import BR_FIELDS, _br_overall_derive, _br_rerank, _br_standings_locked, br_rules
from webhooks.services import event_emit


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
    # The order that seeded the draw becomes every team's public seed (1 = top).
    seeded = {r.team_id: r for r in tournament.registrations.filter(status=Registration.Status.CONFIRMED)}
    for number, team_id in enumerate(confirmed, start=1):
        seeded[team_id].seed = number
    Registration.objects.bulk_update(seeded.values(), ["seed"])
    if tournament.is_battle_royale:
        _build_br_round(tournament, 1, confirmed)
    else:
        Standing.objects.bulk_create([Standing(tournament=tournament, team_id=t) for t in confirmed])
        round_ = Round.objects.create(tournament=tournament, number=1)
        planned = {
            Tournament.BracketFormat.ROUND_ROBIN: brackets.round_robin,
            Tournament.BracketFormat.SINGLE_ELIMINATION: partial(
                brackets.single_elimination, third_place=tournament.third_place_match
            ),
            Tournament.BracketFormat.DOUBLE_ELIMINATION: brackets.double_elimination,
        }.get(tournament.format)
        if planned is not None:
            _create_bracket_matches(tournament, round_, planned(confirmed))
        else:
            _create_bracket_matches(tournament, round_, brackets.swiss_pairings(confirmed, set(), set(), 1))
        _auto_advance_byes(tournament)
        events.bracket_updated_on_commit(tournament_id=tournament.pk)
    if tournament.is_battle_royale:
        Standing.objects.bulk_create([Standing(tournament=tournament, team_id=t) for t in confirmed])
        if br_rules(tournament).head_start:  # the tables open with the points carried in
            _br_rerank(tournament, _br_standings_locked(tournament, every_group=True), round_numbers={1})
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
        rows = (
            Standing.objects.filter(group=group).exclude(status=Standing.Status.DISQUALIFIED)
            .order_by("rank", "team_id")[: tournament.qualify_per_group]
        )  # fmt: skip
        qualified += [(row.rank, -row.points, row.team_id) for row in rows]
    qualified.sort()
    round_.status = Round.Status.COMPLETED
    round_.save(update_fields=["status"])
    next_round = _build_br_round(tournament, number + 1, [team_id for _, _, team_id in qualified])
    # A new stage: the overall table now leads with the teams still in (unranked until they play,
    # unless they carry points in).
    rows = _br_standings_locked(tournament, every_group=True)
    if br_rules(tournament).carry_over:
        _br_rerank(tournament, rows, round_numbers={number + 1})
    else:
        rows_update(_br_overall_derive(rows, br_rules(tournament).tie_breakers), BR_FIELDS)
    _publish_after_commit(tournament.pk, "round.advanced", {"round": number + 1, "teams": len(qualified)})
    event_emit(tournament_id=tournament.pk, event="round.advanced", data={"round": number + 1, "teams": len(qualified)})
    return next_round
