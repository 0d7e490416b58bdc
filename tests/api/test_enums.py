"""Enumerations in the API documents come from the models' choices, never from hand-written copies."""

import pytest
from django.test import Client

from accounts.models import User
from arena.choices import choices_literal
from competitions.models import Match, Tournament
from matchlog.models import OcrStatus
from wallet.models import Payment


def _enum(schema: dict) -> list:
    options = schema.get("anyOf", [schema])
    return next(option["enum"] for option in options if "enum" in option)


def test_openapi_and_asyncapi_enumerations_are_the_model_choices():
    rest = Client().get("/api/openapi.json").json()["components"]["schemas"]
    ws = Client().get("/api/asyncapi.json").json()["components"]["schemas"]
    assert _enum(rest["TournamentOut"]["properties"]["status"]) == Tournament.Status.values
    assert _enum(rest["TournamentIn"]["properties"]["format"]) == Tournament.BracketFormat.values
    assert _enum(rest["TournamentIn"]["properties"]["listing_plan"]) == Tournament.ListingPlan.values
    assert _enum(rest["PaymentIn"]["properties"]["purpose"]) == Payment.Purpose.values
    assert _enum(rest["PaymentIn"]["properties"]["gateway"]) == Payment.Gateway.values
    assert _enum(rest["MatchOut"]["properties"]["status"]) == Match.Status.values
    assert _enum(ws["MatchState"]["properties"]["status"]) == Match.Status.values
    assert _enum(ws["ScreenshotStatus"]["properties"]["status"]) == OcrStatus.values
    assert _enum(ws["TournamentState"]["properties"]["status"]) == Tournament.Status.values
    # Inputs that accept only part of a model's states say so by exclusion.
    assert _enum(rest["RegisterIn"]["properties"]["role"]) == ["player", "host"]
    assert _enum(rest["MatchPatchIn"]["properties"]["status"]) == ["scheduled", "ongoing", "cancelled"]


def test_excluding_a_value_that_is_not_a_choice_is_an_error():
    with pytest.raises(ValueError, match="not choices"):
        choices_literal(User.Role, exclude=["adminn"])
