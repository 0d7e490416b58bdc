from django.db import migrations

BGMI = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]
FREE_FIRE = [12, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
CODM = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1]

GAMES = [
    # slug, name, format, team_size, points table, kill points
    ("bgmi", "BGMI", "battle_royale", 4, BGMI, 1),
    ("free-fire", "Free Fire", "battle_royale", 4, FREE_FIRE, 1),
    ("codm", "Call of Duty: Mobile (Battle Royale)", "battle_royale", 4, CODM, 1),
    ("valorant", "Valorant", "head_to_head", 5, [], 0),
    ("dota-2", "Dota 2", "head_to_head", 5, [], 0),
    ("efootball", "eFootball", "head_to_head", 1, [], 0),
]


def add_games(apps, schema_editor):
    Game = apps.get_model("competitions", "Game")
    for slug, name, game_format, team_size, table, kill_points in GAMES:
        Game.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "format": game_format,
                "team_size": team_size,
                "banner": f"competitions/banners/{slug}.svg",
                "points_table": table,
                "kill_points": kill_points,
            },
        )


def remove_games(apps, schema_editor):
    apps.get_model("competitions", "Game").objects.filter(slug__in=[g[0] for g in GAMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("competitions", "0001_initial")]

    operations = [migrations.RunPython(add_games, remove_games)]
