"""The cost of one results PUT for a 16-team battle royale (64 rostered players).

For each count of earlier matches (ascending), the tournament is topped up to that many completed
matches (bulk-inserted results, standings set to their sums: as if posted one by one), then a few
new matches are posted through PUT /api/matches/{id}/results with Django's test client, in this
process, committing for real (after-commit work runs inside the request, as under a server).
CPU is time.process_time() around each request; statements come from CaptureQueriesContext;
"events" is how far the request moved the topics' seq counters in Redis (every published event
is numbered there, whoever publishes it). Prints one JSON row per count.

Results posted back to back share a standings message: the first of each STANDINGS_COALESCE_SECONDS
window builds and sends it in its request, the later ones leave it to one trailing task. By default
the rows are such a burst (the median PUT is one whose message is coalesced); --isolated sets the
window to 0 so every PUT builds and sends the message itself, as an isolated result does.
--profile-puts N posts N isolated results after the setup and prints nothing more: bench.run
records it with py-spy for the profile section.
"""

import argparse
import json
import os
import random
import statistics
import time

from bench import data
from bench.common import REDIS_URL, django_setup

MEASURED = 9  # PUTs per count, after one unmeasured warm-up; the median is reported


def earlier_matches(tournament, count: int) -> None:
    """Top the tournament up to `count` completed matches, then set every standing to the sums."""
    from django.db.models import Count, Max, Q, Sum
    from django.utils import timezone

    from competitions import scoring
    from competitions.models import Match, MatchResult, Standing

    done = Match.objects.filter(tournament=tournament, status=Match.Status.COMPLETED).count()
    if done >= count:
        return
    group = tournament.rounds.get(number=1).groups.get()
    lobby = list(group.teams.values_list("id", flat=True))
    first = (Match.objects.filter(tournament=tournament).aggregate(n=Max("number"))["n"] or 0) + 1
    matches = Match.objects.bulk_create(
        [
            Match(tournament=tournament, round=group.round, group=group, number=first + i,
                  status=Match.Status.COMPLETED, completed_at=timezone.now())
            for i in range(count - done)
        ]
    )  # fmt: skip
    rng = random.Random(count)
    rules = scoring.rules_from(
        points_table=tournament.points_table, kill_points=tournament.kill_points, scoring=tournament.scoring
    )
    rows = []
    for match in matches:
        rng.shuffle(lobby)
        for placement, team_id in enumerate(lobby, 1):
            kills = rng.randint(0, 12)
            placement_points, points = scoring.match_points(rules, placement=placement, kills=kills)
            rows.append(MatchResult(match=match, team_id=team_id, placement=placement, kills=kills,
                                    placement_points=placement_points, points=points))  # fmt: skip
    MatchResult.objects.bulk_create(rows, batch_size=2000)
    totals = {
        row["team_id"]: row
        for row in MatchResult.objects.filter(match__tournament=tournament)
        .values("team_id")
        .annotate(
            points=Sum("points"), placement_points=Sum("placement_points"), kills=Sum("kills"),
            matches_played=Count("id"), wins=Count("id", filter=Q(placement=1)),
        )
    }  # fmt: skip
    fields = ["points", "placement_points", "kills", "matches_played", "wins"]
    rows = list(Standing.objects.filter(tournament=tournament))
    for row in rows:
        for name in fields:
            setattr(row, name, totals[row.team_id][name])
    Standing.objects.bulk_update(rows, fields)


def seqs() -> dict[bytes, int]:
    """Every topic's current seq (realtime.publish.buffer keeps each topic's position in a Redis hash)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return {key: int(client.hget(key, "seq") or 0) for key in client.scan_iter("arena:rt:pos:*", count=1000)}


def events_since(before: dict[bytes, int]) -> int:
    """Events numbered since `before`, counted in the topics' replay buffers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return sum(
        client.zcount(key.replace(b":pos:", b":buf:"), f"({before.get(key, 0)}", "+inf")
        for key in client.scan_iter("arena:rt:pos:*", count=1000)
    )


def isolated() -> bool:
    return os.environ.get("STANDINGS_COALESCE_SECONDS") == "0"


def measure(earlier: int, *, profile_puts: int = 0) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from ninja_jwt.tokens import RefreshToken

    from competitions import services
    from competitions.models import Match

    # Each mode its own tournament, so both are measured at the same counts of earlier matches.
    title = "Bench results PUT (isolated)" if isolated() else "Bench results PUT"
    tournament = data.started(title, "put", matches_per_group=1)
    earlier_matches(tournament, earlier)
    earlier = Match.objects.filter(tournament=tournament, status=Match.Status.COMPLETED).count()
    host = data.host()
    group = tournament.rounds.get(number=1).groups.get()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(host).access_token}"}
    client = Client()

    def post() -> tuple[float, int, int]:
        match = services.match_create(tournament_id=tournament.pk, user=host, group_id=group.pk)
        match = Match.objects.select_related("group").get(pk=match.pk)
        body = json.dumps(data.results(match))
        before = seqs()
        with CaptureQueriesContext(connection) as queries:
            start = time.process_time()
            response = client.put(f"/api/matches/{match.pk}/results", body, content_type="application/json", **auth)
            cpu = time.process_time() - start
        if response.status_code != 200:
            raise RuntimeError(f"PUT results answered {response.status_code}: {response.content[:500]!r}")
        return cpu, len(queries.captured_queries), events_since(before)

    if profile_puts:
        for _ in range(profile_puts):
            post()
        return {}
    post()  # warm-up: the process's first request pays one-time costs (imports, caches)
    cpu, statements, events = zip(*(post() for _ in range(MEASURED)), strict=True)
    return {
        "earlier": earlier,
        "standings": "built in the request" if isolated() else "coalesced",
        "teams": data.TEAMS,
        "players": data.TEAMS * data.PLAYERS,
        "cpu_ms": statistics.median(cpu) * 1000,
        "cpu_ms_min": min(cpu) * 1000,
        "statements": statistics.median(statements),
        "events": statistics.median(events),
        "command": command([earlier], isolated=isolated()),  # alone, on a fresh database, it measures the same
    }


def command(counts: list[int], *, isolated: bool = False) -> str:
    flags = ["--isolated"] if isolated else []
    return " ".join([".venv/bin/python -m bench.put_cost", *flags, *(f"--earlier {n}" for n in counts)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--earlier", type=int, action="append", help="earlier matches (repeatable)")
    parser.add_argument("--isolated", action="store_true", help="every PUT builds its standings message itself")
    parser.add_argument("--profile-puts", type=int, default=0, help="post this many isolated results, for py-spy")
    args = parser.parse_args()
    if args.isolated or args.profile_puts:
        os.environ["STANDINGS_COALESCE_SECONDS"] = "0"  # read by the settings, which django_setup loads next
    django_setup()
    if args.profile_puts:
        measure((args.earlier or [10])[0], profile_puts=args.profile_puts)
        return
    for earlier in sorted(args.earlier or [10, 1000]):
        print(json.dumps(measure(earlier)))


if __name__ == "__main__":
    main()
