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
    created: dict[str, Match] = {}
    for planned_match in planned:
        created[planned_match.key] = Match.objects.create(
            tournament=tournament,
            round=round_,
            number=number,
            key=planned_match.key,
            bracket=planned_match.bracket,
            bracket_round=planned_match.round,
            home_team_id=planned_match.home,
            away_team_id=planned_match.away,
            is_bye=planned_match.is_bye,
        )
        number += 1
    # Links point forward, so the pointers are set once every match of the plan has a row.
    linked = []
    for planned_match in planned:
        match = created[planned_match.key]
        for outcome, link in (("winner", planned_match.winner_to), ("loser", planned_match.loser_to)):
            if link is not None:
                setattr(match, f"{outcome}_to_match", created[link.match_key])
                setattr(match, f"{outcome}_to_side", link.side)
        if planned_match.winner_to or planned_match.loser_to:
            linked.append(match)
    Match.objects.bulk_update(linked, ["winner_to_match", "winner_to_side", "loser_to_match", "loser_to_side"])


def _link(match: Match, outcome: str) -> tuple[Match, str] | None:
    """The match (locked) and side that `outcome` ("winner" or "loser") of `match` moves to, if any."""
    target_id = getattr(match, f"{outcome}_to_match_id")
    if target_id is None:
        return None
    return Match.objects.select_for_update().get(pk=target_id), getattr(match, f"{outcome}_to_side")


def _progressed_matches(match: Match):
    targets = [pk for pk in (match.winner_to_match_id, match.loser_to_match_id) if pk is not None]
    return Match.objects.filter(pk__in=targets)


def _place(match: Match, outcome: str, team_id: int) -> None:
    target = _link(match, outcome)
    if target is None:
        return
    next_match, side = target
    setattr(next_match, f"{side}_team_id", team_id)
    next_match.save(update_fields=[f"{side}_team"])
    if next_match.is_bye:
        _advance_bye(next_match)


def _place_nobody(match: Match, outcome: str) -> None:
    """A double forfeit (or a match that nobody reached) sends no team on: the slot it fed stays empty for
    good, so the match there becomes a bye its other team wins without playing. When that match was a bye
    already and has no team, its other slot is empty for good too: it completes with no winner and sends
    nobody on in turn."""
    target = _link(match, outcome)
    if target is None:
        return
    next_match, _side = target
    if next_match.status == Match.Status.COMPLETED:
        return
    if next_match.is_bye and next_match.home_team_id is None and next_match.away_team_id is None:
        next_match.winner_id = None
        next_match.status = Match.Status.COMPLETED
        next_match.completed_at = timezone.now()
        next_match.save(update_fields=["winner", "status", "completed_at"])
        _place_nobody(next_match, "winner")
        _place_nobody(next_match, "loser")
        return
    next_match.is_bye = True
    next_match.save(update_fields=["is_bye"])
    _advance_bye(next_match)


def _unplace(match: Match) -> None:
    """Takes back what `match`'s recorded result sent on (before a correction). Only matches not yet played
    are touched: a completed one locks the result (result_locked)."""
    for outcome in ("winner", "loser"):
        target = _link(match, outcome)
        if target is not None:
            next_match, side = target
            setattr(next_match, f"{side}_team_id", None)
            fields = [f"{side}_team"]
            if match.forfeit == "both" and next_match.is_bye and next_match.status != Match.Status.COMPLETED:
                # The double forfeit made it a bye; with a result corrected, a team arrives after all.
                next_match.is_bye = False
                fields.append("is_bye")
            next_match.save(update_fields=fields)


def _grand_final_reset_set(grand_final: Match, *, needed: bool) -> None:
    """GF2 is cancelled when the winners-bracket champion wins GF, and back on the schedule if a corrected GF
    result makes it needed after all (only an unplayed GF2: a played one locks GF's result)."""
    reset = grand_final.winner_to_match
    status = Match.Status.SCHEDULED if needed else Match.Status.CANCELLED
    if reset is not None and reset.status != Match.Status.COMPLETED and reset.status != status:
        reset.status = status
        reset.save(update_fields=["status"])


def _advance_bye(match: Match) -> None:
    team_id = match.home_team_id or match.away_team_id
    if team_id is None or match.status == Match.Status.COMPLETED:
        return
    match.winner_id = team_id
    match.status = Match.Status.COMPLETED
    match.completed_at = timezone.now()
    match.save(update_fields=["winner", "status", "completed_at"])
    if match.key == "GF":
        # A grand final won by walkover (the other finalist's match was double-forfeited): no reset.
        _grand_final_reset_set(match, needed=False)
        return
    _place(match, "winner", team_id)
    # A bye has no loser. Planned byes have no loser pointer; one made by a double forfeit (_place_nobody)
    # still has its pointer into the losers bracket, where the slot stays empty for good.
    _place_nobody(match, "loser")


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
        # Cancelled: GF was a walkover (_advance_bye), there is no reset to play.
        return tournament.matches.get(key="GF2").status in (Match.Status.COMPLETED, Match.Status.CANCELLED)
    if tournament.format == Tournament.BracketFormat.SWISS:
        total = tournament.swiss_rounds or brackets.swiss_round_count(tournament.standings.count())
        last = tournament.rounds.order_by("-number").first()
        return last.number >= total and not last.matches.exclude(status=Match.Status.COMPLETED).exists()
    return not tournament.matches.exclude(status=Match.Status.COMPLETED).exists()
