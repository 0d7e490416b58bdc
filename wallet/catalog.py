"""Every price and reward, in one place. Clients never send amounts; they name an item."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ListingPlan:
    slug: str
    name: str
    price: int  # paise
    description: str


@dataclass(frozen=True)
class XPPack:
    slug: str
    name: str
    price: int  # paise
    xp: int


LISTING_PLANS = {
    plan.slug: plan
    for plan in (
        ListingPlan("basic", "Basic", 29_900, "Listed in search and on the game page."),
        ListingPlan("featured", "Featured", 49_900, "Basic, plus listed before basic tournaments."),
        ListingPlan("premium", "Premium", 79_900, "Featured, plus listed first of all."),
    )
}
XP_PACKS = {
    pack.slug: pack
    for pack in (
        XPPack("xp-100", "100 XP", 9_900, 100),
        XPPack("xp-275", "275 XP", 24_900, 275),
        XPPack("xp-600", "600 XP", 49_900, 600),
    )
}
STREAK_FREEZE_PRICE_XP = 100
# XP for each rostered player of the podium's teams.
TOURNAMENT_PRIZE_XP = {1: 500, 2: 250, 3: 100}
