"""Head-to-head brackets: creating bracket matches, moving winners and losers on, byes, Swiss rounds, the end."""

from django.utils import timezone

from competitions import brackets
from competitions.models import (
    Match,
    Round,
    Standing,
    Tournament,
)
from competitions.services._common import _next_match_number


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
        if last is not None and (tournament.scoring or {}).get("match_point"):
            # Match-point final: over when a team wins on match point, however many matches that takes.
            return Standing.objects.filter(round=last, group__isnull=True, status=Standing.Status.CHAMPION).exists()
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
