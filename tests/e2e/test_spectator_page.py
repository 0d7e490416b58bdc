"""The spectator page /live/tournaments/<id>/: what the view renders, then the page in a
real browser: headless Chromium, driven over the DevTools Protocol, loads it from a real
daphne process and follows results posted over REST from this process (through Redis)
without a reload."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from accounts.models import TeamMembership
from tests.competitions.conftest import create_published, register, tournament_body
from tests.conftest import REQUIRE_SERVICES
from tests.e2e.cluster import database_url, free_port
from tests.factories import TeamFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
STEP_TIMEOUT = 10.0


PAGE_STATE = """(() => {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const table = q("standings");
  if (!table) return {ready: document.readyState};
  return {
    ready: document.readyState,
    connection: q("connection-status").dataset.state,
    connectionText: q("connection-status").textContent.trim(),
    status: q("tournament-status").dataset.status,
    winner: q("winner").hidden ? null : q("winner-name").textContent,
    table: table.textContent,
    rows: Array.from(table.tBodies[0].rows, (tr) => Array.from(tr.cells, (c) => c.textContent.trim())),
    moved: Array.from(table.tBodies[0].rows, (tr) => tr.className),
    boldTags: table.querySelectorAll("b").length,
    badges: Array.from(table.querySelectorAll(".qual"), (b) => [b.dataset.qualification, b.textContent]),
    lastSeq: window.arenaLive ? window.arenaLive.state.lastSeq : null,
    url: window.arenaLive ? window.arenaLive.state.url : null,
  };
})()"""


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _http_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _team(name: str, size: int = 4):
    team = TeamFactory(name=name)
    for _ in range(size - 1):
        TeamMembership.objects.create(team=team, user=UserFactory())
    return team


# --- a real server and a real browser ---------------------------------------------------------


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium with its DevTools endpoint; killed (its whole process group) after."""
    if not CHROMIUM.exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"{CHROMIUM} is missing but ARENA_REQUIRE_SERVICES=1 (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    profile = tmp_path / "chromium-profile"
    log = tmp_path / "chromium.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed local binary
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # Port 0: Chromium picks a free port and writes it to DevToolsActivePort (no race).
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        active_port = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (active_port.exists() and active_port.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Chromium did not open its DevTools port:\n" + _tail(log))
            time.sleep(0.1)
        port = int(active_port.read_text().split()[0])
        deadline = time.monotonic() + 10
        while True:
            try:
                pages = [t for t in _http_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"]
            except OSError:
                pages = []
            if pages:
                break
            if time.monotonic() > deadline:
                pytest.fail("Chromium has no page target:\n" + _tail(log))
            time.sleep(0.1)
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            yield Cdp(ws)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
    # Renderer and utility children share the group; make sure none outlives the browser.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def daphne(transactional_db, tmp_path):
    """daphne on a free port, reading the test database this process writes to."""
    port = free_port()
    log = tmp_path / "daphne.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (OSError, urllib.error.HTTPError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("daphne did not start:\n" + _tail(log))
            time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Cdp:
    """The few Chrome DevTools Protocol calls the test needs, over a plain WebSocket."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.exceptions: list[str] = []
        self.call("Runtime.enable")  # reports uncaught page exceptions as events

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, predicate, what: str, timeout: float = STEP_TIMEOUT) -> tuple[dict, float]:
        """Poll the page until predicate(state) holds; return the state and how long it took."""
        start = time.monotonic()
        state: dict = {}
        while time.monotonic() - start < timeout:
            state = self.evaluate(PAGE_STATE) or {}
            if state.get("ready") == "complete" and predicate(state):
                return state, time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"the page never showed {what} within {timeout} s; it shows {state}")


# --- the view, in process -----------------------------------------------------------------------


def _started_tournament(api, host, **overrides) -> tuple[int, object, object]:
    body = {"max_teams": 2, "group_size": 2, "rounds_count": 1, "qualify_per_group": 0, "matches_per_group": 2}
    tid = create_published(api, host, **{**body, **overrides})["id"]
    owls, sharks = _team("Night <b>Owls</b>"), _team("Sharks & Co")
    for team in (owls, sharks):
        response = register(api, tid, team)
        assert response.status_code == 201, response.content
    started = api.post_json(f"/api/tournaments/{tid}/start", user=host)
    assert started.status_code == 200, started.content
    return tid, owls, sharks


@pytest.mark.django_db
def test_unknown_and_draft_tournaments_are_404(api):
    host = UserFactory(role="host", host_status="approved")
    draft = api.post_json("/api/tournaments", tournament_body(), user=host)
    assert draft.status_code == 201, draft.content
    assert draft.json()["status"] == "draft"
    assert api.get(f"/live/tournaments/{draft.json()['id']}/").status_code == 404
    assert api.get("/live/tournaments/987654321/").status_code == 404


@pytest.mark.django_db
def test_page_is_server_rendered_and_escaped(api):
    host = UserFactory(role="host", host_status="approved")
    tid, owls, sharks = _started_tournament(api, host, title="Spectator <Cup>")
    response = api.get(f"/live/tournaments/{tid}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>Spectator &lt;Cup&gt; · Live standings</title>" in html
    assert 'data-testid="standings"' in html
    assert 'data-testid="connection-status"' in html
    assert 'data-status="ongoing"' in html
    assert "Night &lt;b&gt;Owls&lt;/b&gt;" in html
    assert "Sharks &amp; Co" in html
    assert "<b>" not in html
    # The client's configuration, as JSON that cannot close its <script>.
    config = json.loads(html.split('<script id="live-config" type="application/json">')[1].split("</script>")[0])
    assert config["ws_path"] == f"/ws/tournaments/{tid}/"
    assert [row["team"]["id"] for row in config["standings"]] == [owls.pk, sharks.pk]
    assert config["podium"] == []
    # No build step, nothing from a CDN.
    assert "<script src" not in html
    assert "<link" not in html


# --- the page in a browser ----------------------------------------------------------------------


def _results(api, host, match_id: int, rows: list[tuple[int, int, int]]) -> None:
    body = [{"team_id": team_id, "placement": placement, "kills": kills} for team_id, placement, kills in rows]
    response = api.put_json(f"/api/matches/{match_id}/results", body, user=host)
    assert response.status_code == 200, response.content


@pytest.mark.e2e
# The page is served by a separate daphne process: it needs a database both processes share
# (SQLite's test database is in memory) and a channel layer between them (Redis).
@pytest.mark.requires_postgres
@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
def test_spectator_page_follows_results_live(chromium, daphne, api, request, games_catalog):
    base, daphne_log = daphne
    host = UserFactory(role="host", host_status="approved")
    tid, owls, sharks = _started_tournament(api, host, title="Spectator <Cup>")
    matches = api.get_json(f"/api/tournaments/{tid}/rounds").json()[0]["matches"]
    first, second = sorted(matches, key=lambda m: m["number"])

    chromium.call("Page.navigate", url=f"{base}/live/tournaments/{tid}/")
    # Server-rendered, then live: the snapshot came in over the socket (it sets lastSeq).
    state, _ = chromium.wait_for(lambda s: s.get("connection") == "live" and s.get("lastSeq"), "a live connection")
    assert state["connectionText"] == "Live"
    assert state["status"] == "ongoing"
    assert state["rows"] == [["–", "Night <b>Owls</b>", "0", "0", "0", "0"], ["–", "Sharks & Co", "0", "0", "0", "0"]]
    assert state["boldTags"] == 0, "team names must be rendered as text"
    assert state["winner"] is None
    assert chromium.evaluate("document.title") == "Spectator <Cup> · Live standings"

    # Sharks win the first match: the table reorders without a reload.
    _results(api, host, first["id"], [(sharks.pk, 1, 3), (owls.pk, 2, 1)])
    state, took_first = chromium.wait_for(
        lambda s: s["rows"] and s["rows"][0][1] == "Sharks & Co", "Sharks on top after match 1"
    )
    assert state["rows"] == [["1", "Sharks & Co", "18", "1", "3", "1"], ["2", "Night <b>Owls</b>", "13", "0", "1", "1"]]
    assert state["connection"] == "live"

    # Drop the socket: the page reconnects by itself and resumes from the last seq it applied.
    seq = state["lastSeq"]
    chromium.evaluate("window.arenaLive.reconnect()")
    state, took_resume = chromium.wait_for(
        lambda s: s["connection"] == "live" and f"?since={seq}&epoch=" in s["url"], "a resumed connection"
    )

    # The Owls take the second match by a distance: they move up (highlighted), win the cup.
    _results(api, host, second["id"], [(owls.pk, 1, 10), (sharks.pk, 2, 0)])
    state, took_second = chromium.wait_for(
        lambda s: s["rows"] and s["rows"][0][1] == "Night <b>Owls</b>", "the Owls on top after match 2"
    )
    assert state["rows"] == [
        ["1", "Night <b>Owls</b>", "38", "1", "11", "2"],
        ["2", "Sharks & Co", "30", "1", "3", "2"],
    ]
    assert state["moved"] == ["moved-up", "moved-down"]
    assert state["lastSeq"] > seq
    state, _ = chromium.wait_for(lambda s: s["winner"] == "Night <b>Owls</b>", "the champion")
    assert state["status"] == "completed"
    assert state["connection"] == "live"
    assert "Sharks & Co" in state["table"]
    # The rank highlight fades after ~2 s.
    chromium.wait_for(lambda s: s["moved"] == ["", ""], "the highlight fading", timeout=5)

    # Seconds from the REST response to the page showing it (properties in a JUnit report).
    request.node.user_properties += [
        ("seconds_to_first_update", round(took_first, 3)),
        ("seconds_to_resume", round(took_resume, 3)),
        ("seconds_to_second_update", round(took_second, 3)),
    ]
    assert not chromium.exceptions, chromium.exceptions
    assert "Traceback" not in daphne_log.read_text(errors="replace"), _tail(daphne_log)


# --- a head-to-head bracket, on stream -----------------------------------------------------------

BRACKET_STATE = """(() => {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const bracket = q("bracket");
  if (!bracket || !window.arenaLive) return {ready: document.readyState};
  const cards = Array.from(bracket.querySelectorAll('[data-testid="bracket-match"]'));
  const slots = (card) => Array.from(card.querySelectorAll(".slot"), (slot) => ({
    seed: slot.querySelector(".seed").textContent,
    name: slot.querySelector(".name").textContent,
    score: slot.querySelector(".score").textContent,
    state: ["won", "lost", "tbd", "bye", "champion"].filter((c) => slot.classList.contains(c)),
  }));
  return {
    ready: document.readyState,
    connection: q("connection-status").dataset.state,
    url: window.arenaLive.state.url,
    lastSeq: window.arenaLive.state.lastSeq,
    status: q("tournament-status").dataset.status,
    winner: q("winner").hidden ? null : q("winner-name").textContent,
    bracketHidden: bracket.hidden,
    columns: Array.from(bracket.querySelectorAll(".round-col h3"), (h) => h.textContent),
    cards: Object.fromEntries(cards.map((card) => [card.dataset.key, {
      status: card.dataset.status, badge: (card.querySelector(".badge") || {}).textContent || null, slots: slots(card),
    }])),
    lines: Array.from(bracket.querySelectorAll('[data-testid="bracket-lines"] path'), (p) => p.getAttribute("class")),
    now: Array.from(q("now-playing").querySelectorAll("li[data-match-id]"), (li) => li.textContent),
    next: Array.from(q("up-next").querySelectorAll("li[data-match-id]"), (li) => li.textContent),
  };
})()"""


class Server:
    """daphne on a fixed port that the test can stop and start again (a deploy, a crash)."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own server
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "arena.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("daphne did not start:\n" + _tail(self.log))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def server(transactional_db, tmp_path):
    running = Server(tmp_path / "daphne.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _screenshot(chromium, path: Path) -> bytes:
    import base64

    shot = base64.b64decode(chromium.call("Page.captureScreenshot", format="png")["data"])
    path.write_bytes(shot)
    return shot


def _pixels(png: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGBA")


def _h2h(api, host, match: dict, home: int, away: int) -> None:
    response = api.put_json(f"/api/matches/{match['id']}/results", {"home_score": home, "away_score": away}, user=host)
    assert response.status_code == 200, response.content


@pytest.mark.e2e
@pytest.mark.requires_postgres
@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
def test_bracket_and_overlay_follow_results_through_a_server_restart(chromium, server, api, tmp_path, games_catalog):
    host = UserFactory(role="host", host_status="approved")
    body = {"game": "efootball", "format": "single_elimination", "third_place_match": True, "max_teams": 4}
    tid = create_published(api, host, **body, rounds_count=1, qualify_per_group=0)["id"]
    teams = [_team(name, size=1) for name in ("Alpha <i>FC</i>", "Bravo", "Charlie", "Delta")]
    for team in teams:
        assert register(api, tid, team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    matches = {m["key"]: m for m in api.get_json(f"/api/tournaments/{tid}/matches").json()}
    names = [team.name for team in teams]

    chromium.call("Emulation.setDeviceMetricsOverride", width=1920, height=1080, deviceScaleFactor=1, mobile=False)
    chromium.call("Page.navigate", url=f"{server.base}/live/tournaments/{tid}/")
    state = _wait_bracket(chromium, lambda s: s["connection"] == "live" and s["lastSeq"], "a live bracket")
    assert not state["bracketHidden"]
    assert state["columns"] == ["Semi-finals", "Final", "Third-place match"]
    # Seeds 1 v 4 and 2 v 3; names are text, never markup.
    assert [(s["seed"], s["name"]) for s in state["cards"]["W1-1"]["slots"]] == [("1", names[0]), ("4", names[3])]
    assert [(s["seed"], s["name"]) for s in state["cards"]["W1-2"]["slots"]] == [("2", names[1]), ("3", names[2])]
    assert [s["state"] for s in state["cards"]["W2-1"]["slots"]] == [["tbd"], ["tbd"]]
    # Drawn from the pointers: both semi-finals feed the final (solid) and the third-place match (dashed).
    assert sorted(state["lines"]) == ["loser", "loser", "winner", "winner"]
    assert len(state["next"]) == 2
    assert not state["now"]

    # The host starts the first semi-final, then posts its result: the page follows without a reload.
    started = api.patch_json(f"/api/matches/{matches['W1-1']['id']}", {"status": "ongoing"}, user=host)
    assert started.status_code == 200, started.content
    state = _wait_bracket(chromium, lambda s: s["now"], "a match in progress")
    assert names[0] in state["now"][0]
    assert state["cards"]["W1-1"]["badge"] == "Live"
    _h2h(api, host, matches["W1-1"], 3, 1)
    state = _wait_bracket(chromium, lambda s: s["cards"]["W2-1"]["slots"][0]["name"] == names[0], "the finalist")
    assert state["cards"]["W1-1"]["slots"][0]["state"] == ["won"]
    assert state["cards"]["3P"]["slots"][0]["name"] == names[3]
    assert not state["now"]
    assert _pixels(_screenshot(chromium, tmp_path / "bracket-1080p.png")).getpixel((2, 2))[3] == 255  # opaque

    # The server restarts; a result posted while it is down reaches the page when it resumes (?since=&epoch=).
    seq = state["lastSeq"]
    server.stop()
    _wait_bracket(chromium, lambda s: s["connection"] != "live", "the page noticing the restart")
    _h2h(api, host, matches["W1-2"], 0, 2)
    server.start()
    state = _wait_bracket(
        chromium,
        lambda s: s["connection"] == "live" and s["cards"]["W2-1"]["slots"][1]["name"] == names[2],
        "the missed result after the restart",
        timeout=30,
    )
    assert f"?since={seq}&epoch=" in state["url"]
    assert state["cards"]["3P"]["slots"][1]["name"] == names[1]
    assert state["lastSeq"] > seq

    # The final and the third-place match: the champion is crowned on the page.
    final = api.get_json(f"/api/matches/{matches['W2-1']['id']}").json()
    _h2h(api, host, final, 1, 0)
    _h2h(api, host, api.get_json(f"/api/matches/{matches['3P']['id']}").json(), 2, 1)
    state = _wait_bracket(chromium, lambda s: s["winner"] == names[0], "the champion", timeout=20)
    assert state["status"] == "completed"
    assert "champion" in state["cards"]["W2-1"]["slots"][0]["state"]
    _screenshot(chromium, tmp_path / "bracket-champion-1080p.png")

    # The overlay for OBS: transparent where nothing is drawn, 1920x1080, large type.
    chromium.call("Emulation.setDefaultBackgroundColorOverride", color={"r": 0, "g": 0, "b": 0, "a": 0})
    chromium.call("Page.navigate", url=f"{server.base}/live/tournaments/{tid}/?overlay=1")
    _wait_bracket(chromium, lambda s: s["connection"] == "live" and s["lastSeq"], "the overlay live")
    layout = chromium.evaluate(
        """(() => {
          const box = (sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                                 return [r.left, r.top, r.width, r.height]; };
          return {
            overlay: document.documentElement.classList.contains("overlay"),
            background: getComputedStyle(document.body).backgroundColor,
            page: box(".page"), head: box(".head"),
            title: parseFloat(getComputedStyle(document.querySelector("h1")).fontSize),
            slot: parseFloat(getComputedStyle(document.querySelector(".slot .name")).fontSize),
            table: getComputedStyle(document.querySelector(".table-wrap")).display,
            bracket: getComputedStyle(document.querySelector('[data-testid="bracket"]')).display,
          };
        })()"""
    )
    assert layout["overlay"]
    assert layout["background"] == "rgba(0, 0, 0, 0)"
    assert layout["page"][2:] == [1920, 1080]
    assert layout["title"] >= 48
    assert layout["slot"] >= 24
    assert (layout["table"], layout["bracket"]) == ("none", "block")
    shot = _pixels(_screenshot(chromium, tmp_path / "overlay-1080p.png"))
    assert shot.size == (1920, 1080)
    for corner in ((0, 0), (1919, 0), (0, 1079), (1919, 1079), (20, 540)):
        assert shot.getpixel(corner)[3] == 0, f"the overlay is not transparent at {corner}"
    head_x, head_y = int(layout["head"][0] + 10), int(layout["head"][1] + 10)
    assert shot.getpixel((head_x, head_y))[3] > 0, "the header panel is drawn"

    # Still live after its own socket drops: it resumes where it was.
    seq = chromium.evaluate("window.arenaLive.state.lastSeq")
    chromium.evaluate("window.arenaLive.reconnect()")
    _wait_bracket(chromium, lambda s: s["connection"] == "live" and f"?since={seq}&epoch=" in s["url"], "a resume")
    assert not chromium.exceptions, chromium.exceptions
    assert "Traceback" not in server.log.read_text(errors="replace"), _tail(server.log)


def _bracket(chromium) -> dict:
    return chromium.evaluate(BRACKET_STATE) or {}


def _wait_bracket(chromium, predicate, what: str, timeout: float = STEP_TIMEOUT) -> dict:
    start = time.monotonic()
    state: dict = {}
    while time.monotonic() - start < timeout:
        state = _bracket(chromium)
        if state.get("ready") == "complete" and "cards" in state and predicate(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"the page never showed {what} within {timeout} s; it shows {state}")


@pytest.mark.e2e
@pytest.mark.requires_postgres
@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
def test_spectator_page_shows_qualification_live(chromium, daphne, api, games_catalog):
    """Two rounds, one of two teams goes through, placement points only (BGMI 15-12, no kill points).
    After match 1 (Sharks 15, Owls 12) the Sharks are safe with 15 more (Owls make 27 at most) and the
    Owls can only hope; after match 2 (27 each, the Owls ahead on kills) the badges settle."""
    base, daphne_log = daphne
    host = UserFactory(role="host", host_status="approved")
    tid, owls, sharks = _started_tournament(api, host, rounds_count=2, qualify_per_group=1, kill_points=0)
    first, second = sorted(api.get_json(f"/api/tournaments/{tid}/matches").json(), key=lambda m: m["number"])
    _results(api, host, first["id"], [(sharks.pk, 1, 0), (owls.pk, 2, 0)])

    chromium.call("Page.navigate", url=f"{base}/live/tournaments/{tid}/")
    state, _ = chromium.wait_for(lambda s: s.get("connection") == "live" and s.get("lastSeq"), "a live connection")
    assert state["badges"] == [["alive", "Needs 15 pts"], ["alive", "Alive"]]

    _results(api, host, second["id"], [(owls.pk, 1, 5), (sharks.pk, 2, 0)])
    state, _ = chromium.wait_for(lambda s: s["badges"] and s["badges"][0][0] == "qualified", "the settled badges")
    assert state["badges"] == [["qualified", "Qualified"], ["eliminated", "Out"]]
    assert [row[1] for row in state["rows"]] == ["Night <b>Owls</b>Qualified", "Sharks & CoOut"]
    assert not chromium.exceptions, chromium.exceptions
    assert "Traceback" not in daphne_log.read_text(errors="replace"), _tail(daphne_log)
