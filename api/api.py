from api.contract import ArenaAPI, request_input_checked
from api.errors import install_error_handlers
from api.routers import (
    accounts,
    admin,
    asyncapi,
    auth,
    calendar,
    matchlog,
    ops,
    realtime,
    reports,
    steam,
    teams,
    tournaments,
    wallet,
    webhooks,
)

api = ArenaAPI(
    title="Arena API",
    version="1.0.0",
    description=(
        "Real-time esports competitions. Errors are always JSON "
        '`{"detail": str, "code": str?, "errors": [{"loc", "msg", "type"}]?}`. '
        "Authenticate with `Authorization: Bearer <access>` from `POST /api/auth/login`. "
        "Lists are paginated with `?page=&page_size=` and return `{items, count}`."
    ),
    urls_namespace="api",
)
install_error_handlers(api)

api.add_router("/", ops.router)
api.add_router("/auth", auth.router)
api.add_router("/", accounts.router)
api.add_router("/teams", teams.router)
api.add_router("/admin", admin.router)
api.add_router("/", tournaments.games_router)
api.add_router("/tournaments", tournaments.router)
api.add_router("/scrims", tournaments.scrims_router)
api.add_router("/matches", tournaments.matches_router)
api.add_router("/matches", matchlog.screenshots_router)
api.add_router("/matches", reports.matches_router)
api.add_router("/tournaments", reports.tournaments_router)
api.add_router("/disputes", reports.disputes_router)
api.add_router("/", realtime.router)
api.add_router("/", asyncapi.router)
api.add_router("/", wallet.router)
api.add_router("/", steam.router)
api.add_router("/", matchlog.router)
api.add_router("/", calendar.router)
api.add_router("/tournaments", webhooks.router)
request_input_checked(api)
