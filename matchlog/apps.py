from django.apps import AppConfig


class MatchlogConfig(AppConfig):
    name = "matchlog"
    verbose_name = "Match log and result screenshots"
