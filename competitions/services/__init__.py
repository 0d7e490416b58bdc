"""Writes for tournaments and scrims: lifecycle, registration, rounds, results, winners.

One import path for every caller (`from competitions.services import tournament_create`,
`from competitions import services`); the modules behind it each hold one part of the domain.
"""

from competitions.services._common import MAX_LOBBY_TEAMS, SCRIM_MAX_MATCHES, SCRIM_MAX_TEAMS
from competitions.services.disputes import dispute_resolve, match_dispute_open
from competitions.services.registrations import (
    registration_check_in,
    registration_confirm_paid,
    registration_create,
    registration_disqualify,
    registration_refund,
    registration_withdraw,
)
from competitions.services.reminders import REMINDERS, tournament_reminders_due
from competitions.services.reports import match_for_captain, match_report_submit
from competitions.services.results import (
    BR_KILLS_MAX,
    match_create,
    match_result_effects_apply,
    match_results_record_br,
    match_results_record_h2h,
    match_update,
)
from competitions.services.rounds import round_advance, tournament_start
from competitions.services.tournaments import (
    ALWAYS_EDITABLE,
    EDITABLE_BEFORE_START,
    tournament_announce,
    tournament_banner_delete,
    tournament_banner_set,
    tournament_cancel_or_delete,
    tournament_create,
    tournament_listing_paid,
    tournament_publish,
    tournament_structure_validate,
    tournament_update,
)
from competitions.services.winners import tournament_winner_request, tournament_winner_select

__all__ = [
    "ALWAYS_EDITABLE",
    "BR_KILLS_MAX",
    "EDITABLE_BEFORE_START",
    "MAX_LOBBY_TEAMS",
    "REMINDERS",
    "SCRIM_MAX_MATCHES",
    "SCRIM_MAX_TEAMS",
    "dispute_resolve",
    "match_create",
    "match_dispute_open",
    "match_for_captain",
    "match_report_submit",
    "match_result_effects_apply",
    "match_results_record_br",
    "match_results_record_h2h",
    "match_update",
    "registration_check_in",
    "registration_confirm_paid",
    "registration_create",
    "registration_disqualify",
    "registration_refund",
    "registration_withdraw",
    "round_advance",
    "tournament_announce",
    "tournament_banner_delete",
    "tournament_banner_set",
    "tournament_cancel_or_delete",
    "tournament_create",
    "tournament_listing_paid",
    "tournament_publish",
    "tournament_reminders_due",
    "tournament_start",
    "tournament_structure_validate",
    "tournament_update",
    "tournament_winner_request",
    "tournament_winner_select",
]
