import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.competitions.conftest import create_published, make_team, register
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.matchlog import screens
from tests.s3 import _local_settings, _storages_overridden

BR_TEAMS = ["Team Soul", "GodLike Esports", "Orangutan", "Blind Esports", "Revenant XSpark", "Medal Esports"]


@pytest.fixture(autouse=True)
def _private_storage_in_tmp(tmp_path):
    """Stored screenshots go to this test's own directory, not the checkout's private_media/
    (where they piled up, and where a test could not tell what it left behind)."""
    with _storages_overridden(**_local_settings(tmp_path / "storage")):
        yield


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


@pytest.fixture
def static_ocr(settings):
    """Switch to the canned-text engine: static_ocr("line 1\\nline 2")."""

    def use(text: str, confidence: float = 0.95) -> None:
        settings.OCR_ENGINE = "matchlog.ocr.StaticTextEngine"
        settings.OCR_ENGINE_OPTIONS = {"text": text, "confidence": confidence}

    return use


def png(data: bytes | None = None, name: str = "result.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else screens.blank(), content_type=content_type)


def upload_record(api, user, *, image: bytes | None = None, opponent_name: str = "Blue Lions", **files):
    body = {"screenshot": png(image), "opponent_name": opponent_name, **files}
    return api.post("/api/me/matches", body, **bearer(user))


def upload_screenshot(api, user, match_id: int, image: bytes | None = None, **kw):
    return api.post(f"/api/matches/{match_id}/screenshot", {"image": png(image, **kw)}, **bearer(user))


def started_br_match(api, host, names=BR_TEAMS) -> tuple[dict, dict[str, int], dict]:
    """A started one-lobby BGMI tournament of teams with real names → (tournament, {name: team id}, match)."""
    tournament = create_published(
        api, host, max_teams=len(names), group_size=len(names), rounds_count=1, matches_per_group=2
    )
    teams = {}
    for name in names:
        team = make_team(4)
        team.name = name
        team.save(update_fields=["name"])
        assert register(api, tournament["id"], team).status_code == 201
        teams[name] = team.pk
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    return tournament, teams, match


def started_h2h_match(api, host, home="Red Dragons", away="Blue Lions") -> tuple[dict, dict[str, int], dict]:
    tournament = create_published(api, host, game="efootball", format="single_elimination", max_teams=2)
    teams = {}
    for name in (home, away):
        team = make_team(1)
        team.name = name
        team.save(update_fields=["name"])
        assert register(api, tournament["id"], team).status_code == 201
        teams[name] = team.pk
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    return tournament, teams, match
