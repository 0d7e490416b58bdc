from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from steam.services import steam_summaries_refresh


class Command(BaseCommand):
    help = "Re-fetch the Steam summaries (persona name, avatar) of linked accounts, 100 per Steam call."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-hours",
            type=float,
            default=settings.STEAM_SUMMARY_STALE_SECONDS / 3600,
            help="refresh accounts not fetched for this long (default: STEAM_SUMMARY_STALE_SECONDS)",
        )
        parser.add_argument("--all", action="store_true", help="refresh every linked account, however fresh")
        parser.add_argument("--limit", type=int, default=None, help="at most this many accounts")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        if options["stale_hours"] < 0:
            raise CommandError("--stale-hours cannot be negative.")
        stale_after = timedelta(0) if options["all"] else timedelta(hours=options["stale_hours"])
        refreshed = steam_summaries_refresh(stale_after=stale_after, limit=options["limit"])
        self.stdout.write(self.style.SUCCESS(f"Refreshed {refreshed} Steam profile(s)."))
