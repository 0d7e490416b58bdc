"""Pillow-rendered results screens, drawn the way games show them: light text on dark panels."""

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Tesseract reads DejaVu Sans rendered at 16–32 px exactly (measured on the CI machine); Debian: fonts-dejavu-core.
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
BACKGROUND = (16, 20, 32)
PANEL = (28, 34, 52)
WINNER_PANEL = (74, 60, 22)
ACCENT = (255, 196, 58)
TEXT = (236, 238, 244)
MUTED = (150, 160, 185)


@cache
def dejavu_sans() -> str | None:
    return next((path for path in FONT_PATHS if Path(path).exists()), None)


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = dejavu_sans()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _backdrop(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):  # a faint vertical gradient, like a game's menu background
        shade = 6 * y // height
        draw.line((0, y, width, y), fill=(BACKGROUND[0] + shade, BACKGROUND[1] + shade, BACKGROUND[2] + 2 * shade))
    draw.rectangle((0, 0, 10, height), fill=ACCENT)
    return image, draw


def battle_royale_results(
    rows: list[tuple[int, str, int, int]], *, title: str = "MATCH RESULTS", subtitle: str = "ERANGEL · SQUAD"
) -> bytes:
    """A results table: rows of (placement, team name, kills, points)."""
    size, row_height = 24, 50
    width, top = 1280, 190
    image, draw = _backdrop(width, top + row_height * len(rows) + 60)
    draw.text((60, 30), title, font=_font(40), fill=ACCENT)
    draw.text((60, 85), subtitle, font=_font(20), fill=MUTED)
    columns = {"#": 70, "TEAM": 200, "KILLS": 860, "PTS": 1040}
    for label, x in columns.items():
        draw.text((x, 140), label, font=_font(size), fill=MUTED)
    for index, (placement, name, kills, points) in enumerate(rows):
        y = top + index * row_height
        # The winners' row is highlighted, as results screens do.
        draw.rectangle((50, y - 8, width - 50, y + size + 10), fill=WINNER_PANEL if placement == 1 else PANEL)
        draw.text((columns["#"], y), str(placement), font=_font(size), fill=TEXT)
        draw.text((columns["TEAM"], y), name, font=_font(size), fill=TEXT)
        draw.text((columns["KILLS"], y), str(kills), font=_font(size), fill=TEXT)
        draw.text((columns["PTS"], y), str(points), font=_font(size), fill=TEXT)
    return _png(image)


def score_screen(
    home: str, away: str, home_score: int, away_score: int, stats: list[tuple[str, int, int, bool]]
) -> bytes:
    """An eFootball-style full-time screen: names and score, then `left  Label  right` stat rows."""
    width = 1280
    image, draw = _backdrop(width, 260 + 56 * len(stats) + 40)
    draw.text((width // 2, 40), "FULL TIME", font=_font(30), fill=ACCENT, anchor="mt")
    draw.text(
        (width // 2, 110), f"{home}   {home_score} - {away_score}   {away}", font=_font(32), fill=TEXT, anchor="mt"
    )
    for index, (label, left, right, percent) in enumerate(stats):
        y = 220 + index * 56
        draw.rectangle((200, y - 10, width - 200, y + 36), fill=PANEL)
        suffix = "%" if percent else ""
        draw.text((260, y), f"{left}{suffix}", font=_font(24), fill=TEXT)
        draw.text((width // 2, y), label, font=_font(24), fill=MUTED, anchor="mt")
        draw.text((width - 260, y), f"{right}{suffix}", font=_font(24), fill=TEXT, anchor="rt")
    return _png(image)


def blank(width: int = 800, height: int = 450, color=(20, 24, 36)) -> bytes:
    return _png(Image.new("RGB", (width, height), color))
