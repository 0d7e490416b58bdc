"""Public tournament reads served as the JSON bytes rendered at the tournament's current version.

The first read after a change validates the rows through the operation's response schema and renders
them as ninja would; the bytes and their ETag are stored beside the version (selectors.tournament_cache_*).
Every later read while nothing changed is one Redis round trip and no query: no ORM, no pydantic, no
JSON encoding. A client sending the ETag back in If-None-Match gets 304 without the body.

Only reads everyone may see are stored (`public` from `build`): a draft's reads depend on who asks.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from pydantic import TypeAdapter

from api.rendered import api
from competitions import selectors

_adapters: dict[Any, TypeAdapter] = {}


def tournament_json(
    request: HttpRequest, *, tournament_id: int, name: str, schema: Any, build: Callable[[], tuple[Any, bool]]
) -> HttpResponse:
    """`build()` returns (data, public) and raises what the uncached read raises (404, 403…);
    `name` tells this read from the tournament's others (include every parameter that changes it)."""
    cached = selectors.tournament_read_cached(tournament_id=tournament_id, name=name)
    if cached is None:
        # The version is read before the data: a change committed in between leaves what is stored
        # here under the older version, which no later read uses.
        version = selectors.tournament_cache_version(tournament_id=tournament_id)
        data, public = build()
        cached = _render(request, schema, data)
        if public:
            selectors.tournament_read_cache_set(tournament_id=tournament_id, name=name, version=version, value=cached)
    etag, body = cached
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=api().get_content_type())
    response["ETag"] = etag
    # Caches may keep it but must ask again (If-None-Match) before reusing it: it changes live.
    response["Cache-Control"] = "no-cache"
    return response


def _render(request: HttpRequest, schema: Any, data: Any) -> tuple[str, bytes]:
    adapter = _adapters.get(schema)
    if adapter is None:
        adapter = _adapters[schema] = TypeAdapter(schema)
    body = api().renderer.render(request, adapter.dump_python(adapter.validate_python(data)), response_status=200)
    body = body.encode() if isinstance(body, str) else body
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"', body
