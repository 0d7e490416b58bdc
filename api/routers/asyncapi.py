from django.http import HttpRequest
from ninja import Router

from realtime.edge.asyncapi import asyncapi_document

router = Router(tags=["realtime"])


@router.get("/asyncapi.json", include_in_schema=False)
def get_asyncapi(request: HttpRequest):
    """The AsyncAPI 3 document for the WebSocket API, generated from realtime.schemas."""
    return asyncapi_document()
