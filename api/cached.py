"""Public reads served as the JSON bytes rendered at their scope's current version: one tournament's
reads (standings) and the pages of the public tournament list.

The first read after a change validates the data through the operation's response schema and renders
it as ninja would; the bytes and their ETag are stored beside the version (selectors.read_cache_set).
Every later read while nothing changed is one Redis round trip and no query: no ORM, no pydantic, no
JSON encoding. A client sending the ETag back in If-None-Match gets 304 without the body.

Only reads everyone may see are stored: a draft's reads, and the list a signed-in host or administrator
sees, depend on who asks.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import parse_etags
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from api.rendered import api
from competitions import access, selectors

_adapters: dict[Any, TypeAdapter] = {}


def tournament_json(
    request: HttpRequest, *, tournament_id: int, name: str, schema: Any, build: Callable[[], tuple[Any, bool]]
) -> HttpResponse:
    """`build()` returns (data, public) and raises what the uncached read raises (404, 403…);
    `name` tells this read from the tournament's others (include every parameter that changes it)."""
    scope = selectors.tournament_scope(tournament_id)
    cached = selectors.read_cached(scope=scope, name=name)
    if cached is None:
        # The version is read before the data: a change committed in between leaves what is stored
        # here under the older version, which no later read uses.
        version = selectors.cache_version(scope=scope)
        data, public = build()
        cached = _render(request, schema, data)[:2]
        if public:
            selectors.read_cache_set(scope=scope, name=name, version=version, value=cached)
    return _respond(request, *cached)


# Which list pages may be stored: the first pages at the default size, and only pages with items, so
# the stored set stays small whatever is asked (a client varying page_size, page or an unknown game
# gets answers computed from the database, never new entries).
LIST_PAGES_STORED = 10


def public_list(item_schema: Any) -> Callable:
    """For a paginated list of tournaments (inside @router.get, outside @paginate): pages asked for
    without a search (`q`, whose values are unbounded) by callers who see only published tournaments
    are served from the LISTING scope, which every tournament change makes stale. A page is kept no
    longer than until the next registration window of its tournaments opens or closes (their
    `registration_open_now` flips then, with no write)."""

    class Page(TypedDict):  # what @paginate returns (api.pagination.PageNumberPagination's Output)
        items: list[item_schema]
        count: int

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> Any:
            filters, pagination = kwargs.get("filters"), kwargs.get("ninja_pagination")
            storable = (
                not getattr(filters, "q", None)
                and getattr(pagination, "page_size", None) in (None, settings.NINJA_PAGINATION_PER_PAGE)
                and getattr(pagination, "page", 1) <= LIST_PAGES_STORED
            )
            if not storable or not access.sees_only_published(user=request.auth):
                return view(request, **kwargs)
            asked = [request.path, filters.dict() if filters else None, pagination.dict() if pagination else None]
            name = hashlib.blake2b(json.dumps(asked).encode(), digest_size=12).hexdigest()
            cached = selectors.read_cached(scope=selectors.LISTING, name=name)
            if cached is None:
                version = selectors.cache_version(scope=selectors.LISTING)
                etag, body, data = _render(request, Page, view(request, **kwargs))
                cached = etag, body
                seconds = _seconds_until_a_window_changes(data["items"])
                if data["items"] and seconds >= 1:
                    selectors.read_cache_set(
                        scope=selectors.LISTING, name=name, version=version, value=cached,
                        timeout=min(seconds, selectors.STANDINGS_CACHE_SECONDS),
                    )  # fmt: skip
            return _respond(request, *cached)

        return wrapper

    return decorate


def _seconds_until_a_window_changes(items: list[dict]) -> int:
    now = timezone.now()
    moments: list[datetime] = [
        item[field]
        for item in items
        for field in ("registration_opens_at", "registration_closes_at")
        if item.get(field) is not None and item[field] > now
    ]
    return int(min((moment - now).total_seconds() for moment in moments)) if moments else 1 << 30


def _respond(request: HttpRequest, etag: str, body: bytes) -> HttpResponse:
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=api().get_content_type())
    response["ETag"] = etag
    # Caches may keep it but must ask again (If-None-Match) before reusing it: it changes live.
    response["Cache-Control"] = "no-cache"
    return response


def _render(request: HttpRequest, schema: Any, data: Any) -> tuple[str, bytes, Any]:
    """(ETag, JSON bytes, the data as dumped) of `data` validated through `schema`, as ninja renders it."""
    adapter = _adapters.get(schema)
    if adapter is None:
        adapter = _adapters[schema] = TypeAdapter(schema)
    dumped = adapter.dump_python(adapter.validate_python(data, context={"request": request, "response_status": 200}))
    body = api().renderer.render(request, dumped, response_status=200)
    body = body.encode() if isinstance(body, str) else body
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"', body, dumped
