"""Competitions' models, one module per part of the domain; every model is imported here, so Django
finds them and callers keep `from competitions.models import Match`."""

from competitions.models.matches import Group, Match, MatchResult, ResultAudit, Round
from competitions.models.reports import Dispute, MatchReport
from competitions.models.standings import CareerStats, PlayerStats, Standing, TeamStats
from competitions.models.tournaments import Game, Registration, RegistrationPlayer, Tournament

__all__ = [
    "CareerStats",
    "Dispute",
    "Game",
    "Group",
    "Match",
    "MatchReport",
    "MatchResult",
    "PlayerStats",
    "Registration",
    "RegistrationPlayer",
    "ResultAudit",
    "Round",
    "Standing",
    "TeamStats",
    "Tournament",
]
