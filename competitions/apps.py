from django.apps import AppConfig


class CompetitionsConfig(AppConfig):
    name = "competitions"

    def ready(self) -> None:
        from competitions.purchases import purchases_register

        purchases_register()
