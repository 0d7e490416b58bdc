from django.apps import AppConfig


class SteamConfig(AppConfig):
    name = "steam"
    verbose_name = "Steam and Dota 2"
