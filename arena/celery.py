import os

from celery import Celery

from arena import logs, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

app = Celery("arena")
# Every CELERY_* setting in arena/settings.py configures this app
# (JSON only, acks_late, time limits, beat schedule).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logs.celery_connect(app)
metrics.celery_connect()
