"""A corpus of result screens rendered the way games draw them, with the truth each one shows.

What made real screens hard to read, and what every image here has some of: rank badges (a
medal, no digit) on the top three rows, textured gradient backgrounds, translucent row panels,
condensed bold fonts at 18–28 px, header/division/scorer lines around the data, JPEG quality 70,
the screenshot scaled to 0.75× and mild sensor noise. Everything comes from a seeded
`random.Random`, so each image is the same on every run and machine (given the same fonts).

Fonts: DejaVu Sans Condensed (Debian fonts-dejavu-extra) when installed, else DejaVu Sans
(fonts-dejavu-core) in the same weight.
"""

import io
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
# wanted font → the core font used when the wanted one is not installed
FONTS = {
    "DejaVuSansCondensed-Bold.ttf": "DejaVuSans-Bold.ttf",
    "DejaVuSansCondensed.ttf": "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf": "DejaVuSans-Bold.ttf",
    "DejaVuSans.ttf": "DejaVuSans.ttf",
}

TEAM_POOL = [
    "Team Soul", "GodLike Esports", "Orangutan", "Blind Esports", "Revenant XSpark", "Medal Esports",
    "Global Esports", "Enigma Gaming", "Team XSpark", "Numen Gaming", "Gods Reign", "Team Insane",
    "Skylightz Gaming", "Chemin Esports", "Hyderabad Hydras", "Marcos Gaming", "Big Brother Esports",
    "Troy Tamilan", "Genesis Esports", "Velocity Gaming", "Carnival Gaming", "Nebula Esports",
    "True Rippers", "Reckoning Esports", "Aryan x TSG", "Vasista Esports", "Team Tamilas", "Wyld Fangs",
]  # fmt: skip
CLUBS = [
    "Blue Lions", "Red Dragons", "Northern Wolves", "Atletico Sol", "Real Brisa", "FC Tempest",
    "Sporting Lumen", "Inter Falcons", "Dynamo Storm", "Olympic Tide", "United Comets", "Athletic Forge",
]  # fmt: skip
SCORERS = ["L. Messi", "E. Haaland", "K. Mbappe", "H. Kane", "Vini Jr.", "M. Salah", "Pedri", "R. Lewandowski"]
# (label shown, stored key, percent)
STATS = [
    ("Possession", "possession", True),
    ("Shots", "shots", False),
    ("Shots on Target", "shots_on_target", False),
    ("Fouls", "fouls", False),
    ("Offsides", "offsides", False),
    ("Corner Kicks", "corner_kicks", False),
    ("Free Kicks", "free_kicks", False),
    ("Passes", "passes", False),
    ("Successful Passes", "successful_passes", False),
    ("Crosses", "crosses", False),
    ("Interceptions", "interceptions", False),
    ("Tackles", "tackles", False),
    ("Saves", "saves", False),
]
BR_HEADERS = [("#", "TEAM", "KILLS", "PTS"), ("RANK", "TEAM", "ELIMS", "TOTAL"), ("#", "SQUAD", "FINISHES", "POINTS")]
BR_POINTS = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0]
MEDALS = [(238, 190, 60), (196, 202, 214), (205, 127, 60)]


@dataclass
class Screen:
    name: str
    image: bytes
    kind: str  # "battle_royale" | "score"
    # battle royale: the lobby's registered names and the rows shown, (placement, registered name, kills)
    lobby: list[str] = field(default_factory=list)
    rows: list[tuple[int, str, int]] = field(default_factory=list)
    # score screens
    home: tuple[str, int] = ("", 0)
    away: tuple[str, int] = ("", 0)
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)


@cache
def font_path(name: str) -> str | None:
    for wanted in (name, FONTS[name]):
        for folder in FONT_DIRS:
            if (Path(folder) / wanted).exists():
                return str(Path(folder) / wanted)
    return None


def fonts_installed() -> bool:
    """Whether the corpus is drawn in its own fonts. The figures in docs/RELIABILITY.md are for
    these; with DejaVu Sans standing in for the condensed faces the images differ (95 %)."""
    return all(font_path(name) and Path(font_path(name)).name == name for name in FONTS)


def require_fonts() -> None:
    """Inside a test: skip without the corpus's fonts, or fail where nothing may be skipped."""
    import pytest

    from tests.conftest import REQUIRE_SERVICES

    if not fonts_installed():
        how = "install fonts-dejavu-extra (DejaVu Sans Condensed) to read the OCR corpus"
        if REQUIRE_SERVICES:
            pytest.fail(f"ARENA_REQUIRE_SERVICES=1 but the corpus fonts are missing: {how}")
        pytest.skip(how)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = font_path(name)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _background(rng: random.Random, width: int, height: int) -> Image.Image:
    """A diagonal two-colour gradient with a texture (hex-ish dots or diagonal streaks) and a vignette."""
    top = tuple(rng.randint(10, 45) for _ in range(3))
    bottom = tuple(rng.randint(30, 80) for _ in range(3))
    gradient = Image.linear_gradient("L").rotate(rng.choice([0, 30, 60, 90, 120]), expand=False)
    gradient = gradient.resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient)
    texture = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(texture)
    if rng.random() < 0.5:
        step = rng.randint(14, 26)
        for y in range(0, height, step):
            for x in range((y // step) % 2 * step // 2, width, step):
                draw.ellipse((x, y, x + step // 3, y + step // 3), fill=rng.randint(18, 40))
    else:
        for _ in range(60):
            x = rng.randint(-height, width)
            draw.line((x, 0, x + height, height), fill=rng.randint(15, 45), width=rng.randint(2, 18))
    texture = texture.filter(ImageFilter.GaussianBlur(1.5))
    return ImageChops.add(image, Image.merge("RGB", (texture, texture, texture)))


def _panel(image: Image.Image, box: tuple[int, int, int, int], color: tuple[int, int, int], alpha: int) -> None:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle(box, fill=(*color, alpha))
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))


def _badge(draw: ImageDraw.ImageDraw, rng: random.Random, x: int, y: int, size: int, place: int, style: int) -> None:
    """A medal instead of the rank number: a ribboned disc, a shield or a crown, no digit."""
    color = MEDALS[place - 1]
    dark = tuple(c // 2 for c in color)
    if style == 0:  # disc on a ribbon
        draw.polygon([(x + size * 0.2, y - 4), (x + size * 0.45, y + size * 0.5), (x, y + size * 0.5)], fill=dark)
        draw.polygon(
            [(x + size * 0.8, y - 4), (x + size * 0.55, y + size * 0.5), (x + size, y + size * 0.5)], fill=dark
        )
        draw.ellipse((x + 2, y + 2, x + size - 2, y + size + 2), fill=color, outline=dark, width=3)
        draw.ellipse((x + size * 0.3, y + size * 0.35, x + size * 0.7, y + size * 0.75), outline=dark, width=2)
    elif style == 1:  # shield with a star
        draw.polygon(
            [(x, y), (x + size, y), (x + size, y + size * 0.6), (x + size / 2, y + size + 4), (x, y + size * 0.6)],
            fill=color,
            outline=dark,
        )
        draw.regular_polygon((x + size / 2, y + size * 0.45, size * 0.22), 5, fill=dark)
    else:  # crown
        points = [(x, y + size), (x, y + size * 0.3), (x + size * 0.25, y + size * 0.6), (x + size * 0.5, y)]
        points += [(x + size * 0.75, y + size * 0.6), (x + size, y + size * 0.3), (x + size, y + size)]
        draw.polygon(points, fill=color, outline=dark)
        draw.ellipse((x + size * 0.42, y + size * 0.55, x + size * 0.58, y + size * 0.72), fill=dark)


def _finish(rng: random.Random, image: Image.Image, *, scale: float = 0.75, quality: int = 70) -> bytes:
    """Scale as a phone screenshot shared through a chat app would be, add mild noise, save JPEG q70."""
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    amplitude = rng.randint(10, 18)
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    noise = noise.point(lambda v: v * amplitude // 255)
    noise_rgb = Image.merge("RGB", (noise, noise, noise))
    image = ImageChops.subtract(ImageChops.add(image, noise_rgb), Image.new("RGB", image.size, (amplitude // 2,) * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def battle_royale(seed: int) -> Screen:
    rng = random.Random(seed)
    count = rng.randint(12, 16)
    names = rng.sample(TEAM_POOL, count + 1)
    shown, absent = names[:count], names[count]  # one registered team did not play (or was not shown)
    kills = [rng.randint(0, 18) for _ in shown]
    name_font = rng.choice(["DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed.ttf"])
    size = rng.randint(18, 28)
    row_height = size + rng.randint(16, 24)
    width, top = 1400, 230
    height = top + row_height * count + 80
    image = _background(rng, width, height)
    draw = ImageDraw.Draw(image)
    accent = rng.choice([(255, 196, 58), (255, 90, 70), (90, 200, 255), (140, 255, 140)])
    draw.text(
        (70, 40), rng.choice(["MATCH RESULTS", "FINAL STANDINGS", "RESULTS"]), font=_font(name_font, 44), fill=accent
    )
    draw.text(
        (70, 100),
        rng.choice(["ERANGEL · SQUAD · TPP", "MIRAMAR · MATCH 3", "BERMUDA · CLASH SQUAD", "SANHOK · DAY 2"]),
        font=_font("DejaVuSans.ttf", 22),
        fill=(160, 170, 190),
    )
    header = rng.choice(BR_HEADERS)
    columns = (80, 190, 960, 1160)
    for label, x in zip(header, columns, strict=True):
        draw.text((x, 170), label, font=_font(name_font, size), fill=(170, 178, 200))
    badge_style = rng.randint(0, 2)
    panel = tuple(rng.randint(20, 60) for _ in range(3))
    for index, name in enumerate(shown):
        place = index + 1
        y = top + index * row_height
        fill = MEDALS[index] if index < 3 else panel
        _panel(image, (60, y - 8, width - 60, y + size + 10), fill if index >= 3 else tuple(c // 3 for c in fill), 170)
        draw = ImageDraw.Draw(image)
        if index < 3:
            _badge(draw, rng, columns[0] - 4, y - 4, size + 8, place, badge_style)
        else:
            draw.text((columns[0], y), str(place), font=_font(name_font, size), fill=(236, 238, 244))
        text = name.upper() if rng.random() < 0.3 else name
        draw.text((columns[1], y), text, font=_font(name_font, size), fill=(236, 238, 244))
        draw.text((columns[2], y), str(kills[index]), font=_font(name_font, size), fill=(236, 238, 244))
        points = BR_POINTS[index] + kills[index]
        draw.text((columns[3], y), str(points), font=_font(name_font, size), fill=accent)
    lobby = sorted([*shown, absent])
    rows = [(index + 1, name, kills[index]) for index, name in enumerate(shown)]
    return Screen(f"battle_royale-{seed}", _finish(rng, image), "battle_royale", lobby=lobby, rows=rows)


def score(seed: int, *, goals: tuple[int, int] | None = None) -> Screen:
    rng = random.Random(seed)
    home, away = rng.sample(CLUBS, 2)
    home_goals, away_goals = goals if goals is not None else (rng.randint(0, 4), rng.randint(0, 4))
    stats_shown = [STATS[0], *rng.sample(STATS[1:], rng.randint(5, 8))]
    values: dict[str, tuple[int, int]] = {}
    for _, key, _percent in stats_shown:
        if key == "possession":
            left = rng.randint(35, 65)
            values[key] = (left, 100 - left)
        elif key in ("passes", "successful_passes"):
            values[key] = (rng.randint(150, 520), rng.randint(150, 520))
        else:
            values[key] = (rng.randint(0, 20), rng.randint(0, 20))
    if "passes" in values and "successful_passes" in values:
        values["successful_passes"] = tuple(
            min(a, b) for a, b in zip(values["successful_passes"], values["passes"], strict=True)
        )
    if "shots" in values and "shots_on_target" in values:
        values["shots_on_target"] = tuple(
            min(a, b) for a, b in zip(values["shots_on_target"], values["shots"], strict=True)
        )
    bold = rng.choice(["DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf"])
    size = rng.randint(20, 28)
    width = 1400
    stats_top = 380
    row_height = size + rng.randint(18, 26)
    height = stats_top + row_height * len(stats_shown) + 60
    image = _background(rng, width, height)
    draw = ImageDraw.Draw(image)
    accent = rng.choice([(255, 196, 58), (90, 200, 255), (255, 255, 255)])
    division = rng.randint(1, 10)
    draw.text(
        (width // 2, 30),
        rng.choice([f"DIVISION {division}  ·  FULL TIME", f"eFootball League - Division {division}", "FULL TIME"]),
        font=_font(bold, 26),
        fill=accent,
        anchor="mt",
    )
    score_font = _font(bold, 56)
    # The score sits in a box between the two names, as eFootball draws it.
    draw.text((width // 2 - 130, 115), home, font=_font(bold, 34), fill=(240, 240, 245), anchor="rt")
    _panel(image, (width // 2 - 110, 95, width // 2 + 110, 175), (10, 12, 20), 200)
    draw = ImageDraw.Draw(image)
    draw.text((width // 2, 105), f"{home_goals} - {away_goals}", font=score_font, fill=(255, 255, 255), anchor="mt")
    draw.text((width // 2 + 130, 115), away, font=_font(bold, 34), fill=(240, 240, 245), anchor="lt")
    # Scorers: one line per goal under each side's name.
    scorer_font = _font("DejaVuSans.ttf", rng.randint(18, 22))
    home_scorers = [f"{rng.choice(SCORERS)} {rng.randint(1, 90)}'" for _ in range(home_goals)]
    away_scorers = [f"{rng.choice(SCORERS)} {rng.randint(1, 90)}'" for _ in range(away_goals)]
    for line in range(max(home_goals, away_goals)):
        y = 200 + line * 30
        if line < len(home_scorers):
            draw.text((width // 2 - 130, y), home_scorers[line], font=scorer_font, fill=(190, 196, 210), anchor="rt")
        if line < len(away_scorers):
            draw.text((width // 2 + 130, y), away_scorers[line], font=scorer_font, fill=(190, 196, 210), anchor="lt")
    panel = tuple(rng.randint(15, 45) for _ in range(3))
    for index, (label, key, percent) in enumerate(stats_shown):
        y = stats_top + index * row_height
        _panel(image, (220, y - 10, width - 220, y + size + 8), panel, 190)
        draw = ImageDraw.Draw(image)
        suffix = "%" if percent else ""
        left, right = values[key]
        draw.text((300, y), f"{left}{suffix}", font=_font(bold, size), fill=(240, 240, 245))
        draw.text(
            (width // 2, y), label, font=_font("DejaVuSansCondensed.ttf", size), fill=(170, 180, 200), anchor="mt"
        )
        draw.text((width - 300, y), f"{right}{suffix}", font=_font(bold, size), fill=(240, 240, 245), anchor="rt")
    return Screen(
        f"score-{seed}",
        _finish(rng, image),
        "score",
        home=(home, home_goals),
        away=(away, away_goals),
        stats=values,
    )


@cache
def corpus() -> tuple[Screen, ...]:
    """8 battle-royale tables and 8 full-time screens, one of them 0 - 0."""
    return (
        *(battle_royale(seed) for seed in range(101, 109)),
        score(201, goals=(0, 0)),
        *(score(seed) for seed in range(202, 209)),
    )


@dataclass(frozen=True)
class Field:
    screen: str
    name: str  # "placement", "kills", "team", "score", "name", "stat"
    key: str  # which one: the team, the side or the stat
    right: bool
    confidence: float  # 0 when the field is missing


def _same_name(read: str, truth: str) -> bool:
    return " ".join(read.lower().split()) == " ".join(truth.lower().split())


def grade(screen: Screen, data: dict | None, confidence: dict | None) -> list[Field]:
    """Every field the screen shows, right or wrong, with the confidence given to it. A failed
    read (`data` None) gets every field wrong at confidence 0; a stat read but not on the screen
    is a wrong field too."""
    fields = []
    if screen.kind == "battle_royale":
        by_name = {}
        if data:
            for row, conf in zip(data["rows"], confidence["rows"], strict=True):
                by_name[row["team_name"]] = (row, conf)
        for placement, name, kills in screen.rows:
            row, conf = by_name.pop(name, (None, {}))
            same_row = row is not None and row["placement"] == placement
            fields.append(Field(screen.name, "team", name, same_row, conf.get("team", 0.0)))
            fields.append(Field(screen.name, "placement", name, same_row, conf.get("placement", 0.0)))
            right_kills = row is not None and row["kills"] == kills
            fields.append(Field(screen.name, "kills", name, right_kills, conf.get("kills", 0.0)))
        for name, (_, conf) in by_name.items():  # a team that is not on the screen was "found"
            fields.append(Field(screen.name, "team", name, False, conf["team"]))
        return fields
    for side, (name, goals) in (("home", screen.home), ("away", screen.away)):
        read = data[side] if data else {"name": "", "score": None}
        conf = confidence[side] if data else {}
        fields.append(Field(screen.name, "score", side, read["score"] == goals, conf.get("score", 0.0)))
        fields.append(Field(screen.name, "name", side, _same_name(read["name"], name), conf.get("name", 0.0)))
    stats = dict(data["stats"]) if data else {}
    for key, (home, away) in screen.stats.items():
        read = stats.pop(key, None)
        conf = confidence["stats"].get(key, 0.0) if data else 0.0
        fields.append(Field(screen.name, "stat", key, read == {"home": home, "away": away}, conf))
    for key in stats:
        fields.append(Field(screen.name, "stat", key, False, confidence["stats"][key]))
    return fields
