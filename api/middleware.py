from django.http import JsonResponse
from django.utils.deprecation import MiddlewareMixin

from api.errors import error_body


class JsonMethodNotAllowedMiddleware(MiddlewareMixin):
    """Ninja answers a wrong method with a plain-text 405; API clients get the JSON error shape."""

    def process_response(self, request, response):
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and "json" not in response.get("Content-Type", "")
        ):
            allowed = response.get("Allow", "")
            json_response = JsonResponse(
                error_body(
                    f"Method {request.method} is not allowed here. Allowed: {allowed}.", code="method_not_allowed"
                ),
                status=405,
            )
            json_response["Allow"] = allowed
            return json_response
        return response
