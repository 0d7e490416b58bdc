"""Steam identities: what a player may type, and the two numeric forms of one account.

Pure functions, no I/O. A SteamID64 of an individual account is
76561197960265728 + the 32-bit account id Dota 2 reports (universe 1, type 1, instance 1).
"""

import re
from dataclasses import dataclass

from arena.exceptions import Invalid

ID64_BASE = 76561197960265728
ID64_MAX = ID64_BASE + 2**32 - 1
# Dota 2 reports players who hide their data as this account id.
ANONYMOUS_ACCOUNT_ID = 4294967295

# Individual accounts run from 76561197960265729 up; ids past 7656119999… will exist one day.
_ID64 = re.compile(r"7656\d{13}")
# Steam custom URLs: letters, digits, "_" and "-"; Steam asks for 3–32, older ones may be shorter.
_VANITY = re.compile(r"[A-Za-z0-9_-]{2,32}")
_PROFILE_URL = re.compile(
    r"(?:https?://)?(?:www\.)?steamcommunity\.com/(?P<kind>profiles|id)/(?P<value>[^/?#\s]+)/?(?:[?#].*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SteamInput:
    """Either a SteamID64 (steam_id set) or a custom URL name to resolve (vanity set)."""

    steam_id: int | None = None
    vanity: str | None = None


def _invalid(message: str) -> Invalid:
    return Invalid(
        message, code="invalid_steam_input", errors=[{"loc": ["body", "steam"], "msg": message, "type": "invalid"}]
    )


def _id64(text: str) -> int:
    if not _ID64.fullmatch(text) or not ID64_BASE < int(text) <= ID64_MAX:
        raise _invalid(f"{text!r} is not the SteamID64 of a Steam account (17 digits, like 76561197960287930).")
    return int(text)


def _vanity(text: str) -> str:
    if not _VANITY.fullmatch(text):
        raise _invalid(f"{text!r} is not a Steam custom URL name (letters, digits, '_' or '-').")
    return text


def steam_input_parse(text: str) -> SteamInput:
    """A SteamID64, a steamcommunity.com/profiles/<id64> or /id/<name> URL, or a bare custom URL name."""
    text = text.strip()
    if not text:
        raise _invalid("Give a SteamID64, a Steam profile URL or a custom URL name.")
    if url := _PROFILE_URL.fullmatch(text):
        value = url["value"]
        return (
            SteamInput(steam_id=_id64(value))
            if url["kind"].lower() == "profiles"
            else SteamInput(vanity=_vanity(value))
        )
    if "/" in text or "." in text or ":" in text:
        raise _invalid("Only steamcommunity.com/profiles/<id> and steamcommunity.com/id/<name> URLs are accepted.")
    # Long digit strings are meant as ids (a typo must not be looked up as someone's name).
    if text.isdigit() and len(text) >= 16:
        return SteamInput(steam_id=_id64(text))
    return SteamInput(vanity=_vanity(text))


def account_id_of(steam_id: int) -> int:
    """SteamID64 → the 32-bit account id that Dota 2 match data uses."""
    return steam_id - ID64_BASE


def steam_id_of(account_id: int) -> int:
    return account_id + ID64_BASE
