"""Responses rendered straight from data already in an operation's response shape, as ninja renders them."""

from typing import Any

from django.http import HttpRequest, HttpResponse


def api():
    from api.api import api  # the NinjaAPI imports the routers that import this module

    return api


def shaped_response(request: HttpRequest, data: Any, *, status: int = 200) -> HttpResponse:
    """`data` is not validated again: use it only where a test pins that it equals the schema's output."""
    return api().create_response(request, data, status=status)
