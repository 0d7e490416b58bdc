from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def select_winner(tournament_id: int) -> None:
    from competitions.services import tournament_winner_select

    tournament_winner_select(tournament_id=tournament_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_winner_emails(tournament_id: int) -> None:
    from competitions.emails import winner_emails_deliver

    winner_emails_deliver(tournament_id=tournament_id)


@shared_task
def send_due_reminders() -> None:
    from competitions.services import tournament_reminders_due

    tournament_reminders_due()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reminder_emails(tournament_id: int, label: str) -> None:
    from competitions.emails import reminder_emails_deliver

    reminder_emails_deliver(tournament_id=tournament_id, label=label)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def apply_result_effects(audit_id: int) -> None:
    from competitions.services import match_result_effects_apply

    match_result_effects_apply(audit_id=audit_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def publish_standings(tournament_id: int) -> None:
    from competitions.events import standings_publish_trailing

    standings_publish_trailing(tournament_id=tournament_id)
