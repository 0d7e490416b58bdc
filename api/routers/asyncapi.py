from django.http import HttpRequest
from ninja import Router

router = Router(tags=["realtime"])


@router.get("/asyncapi.json", include_in_schema=False)
def get_asyncapi(request: HttpRequest):
    """The AsyncAPI 3 document for the WebSocket API (being built)."""
    return {"asyncapi": "3.0.0", "info": {"title": "Arena WebSockets", "version": "1.0.0"}, "channels": {}}
