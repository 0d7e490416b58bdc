from celery import shared_task

from steam.client import SteamUnavailable

IMPORT_MAX_RETRIES = 5


@shared_task(bind=True, max_retries=IMPORT_MAX_RETRIES)
def import_dota_match(self, link_id: int, dota_match_id: int) -> None:
    """Steam down or our budget spent: retry with backoff; after the last try the link fails with the reason."""
    from steam.services import dota_link_fail, dota_match_import

    try:
        dota_match_import(link_id=link_id, dota_match_id=dota_match_id)
    except SteamUnavailable as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            dota_link_fail(link_id=link_id, dota_match_id=dota_match_id, reason=exc.message)
            return
        countdown = getattr(exc, "retry_after", None) or 30 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def refresh_steam_summaries() -> None:
    from steam.services import steam_summaries_refresh

    steam_summaries_refresh()
