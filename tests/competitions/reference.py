"""Running sums for the tests' brute-force references, scored by the one scoring function
(competitions.scoring.match_points) under a plain placement table and points per kill."""

from collections.abc import Sequence
from dataclasses import replace

from competitions.scoring import Rules, match_points
from competitions.standings import BRTotals


def br_match_points(*, placement: int, kills: int, table: Sequence[int], kill_points: int) -> tuple[int, int]:
    return match_points(Rules(points_table=tuple(table), kill_points=kill_points), placement=placement, kills=kills)


def br_totals_add(totals: BRTotals, *, placement: int, kills: int, table: Sequence[int], kill_points: int) -> BRTotals:
    placement_points, points = br_match_points(placement=placement, kills=kills, table=table, kill_points=kill_points)
    return replace(
        totals,
        points=totals.points + points,
        wins=totals.wins + (placement == 1),
        placement_points=totals.placement_points + placement_points,
        kills=totals.kills + kills,
        matches_played=totals.matches_played + 1,
    )
