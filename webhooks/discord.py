"""The Discord flavour: the same events as an execute-webhook message with an embed
(https://discord.com/developers/docs/resources/webhook#execute-webhook)."""

COLOR = 0x2E7D32
TOP = 10


def _team(value) -> str:
    return (value or {}).get("name", "—") if isinstance(value, dict) else str(value or "—")


def message(*, event: str, payload: dict, title: str) -> dict:
    data = payload.get("data", {})
    if event == "standings.updated":
        rows = data.get("standings", [])[:TOP]
        lines = [
            f"**{row.get('rank', i + 1)}.** {_team(row.get('team'))} — {row.get('points', 0)} pts"
            for i, row in enumerate(rows)
        ]
        embed = {"title": f"{title}: standings", "description": "\n".join(lines) or "No results yet."}
    elif event == "tournament.completed":
        podium = [("🏆", "winner"), ("🥈", "runner_up"), ("🥉", "third_place")]
        lines = [f"{medal} {_team(data.get(key))}" for medal, key in podium if data.get(key)]
        embed = {"title": f"{title}: champion {_team(data.get('winner'))}", "description": "\n".join(lines)}
    else:
        embed = {
            "title": f"{title}: {event.replace('.', ' ').replace('_', ' ')}",
            "description": data.get("summary", ""),
        }
    return {"username": "Arena", "embeds": [{**embed, "color": COLOR}], "allowed_mentions": {"parse": []}}
