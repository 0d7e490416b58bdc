"""What the OpenAPI document promises, made true for every operation in one place (checked by
schemathesis in tests/conformance): the errors any operation can answer, optional authentication,
and JSON bodies that must be objects."""

from typing import Any, get_args, get_origin

from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel

from api.auth import anonymous
from api.schemas.accounts import ErrorOut

ERROR_DESCRIPTIONS = {
    400: "Malformed request: unreadable JSON or multipart, a NUL character (`nul_character`)",
    401: "Missing, invalid or expired token",
    403: "Not allowed",
    404: "Not found",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation error (field-level `errors`)",
    429: "Throttled (see Retry-After)",
}


class ArenaOpenAPISchema(OpenAPISchema):
    def responses(self, operation) -> dict[int, dict]:
        """Every operation can answer the errors the API's edge gives before or around any view
        (api.middleware, api.errors): declared once here instead of on each operation."""
        result = super().responses(operation)
        self.schemas.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        codes = {400, 404, 413, 415, 422}
        if operation.auth_callbacks:
            codes |= {401, 403}
        for code in sorted(codes - set(result)):
            result[code] = {"description": ERROR_DESCRIPTIONS[code], "content": error}
        return result

    def operation_security(self, operation) -> list[dict] | None:
        """`optional_jwt` (a token, or none) is declared as such: `{}` is the OpenAPI way to say
        "no authentication" is also accepted."""
        security = super().operation_security(operation)
        if security and anonymous in operation.auth_callbacks:
            security.append({})
        return security

    def request_body(self, operation) -> dict:
        body = super().request_body(operation)
        for content in body.get("content", {}).values():
            schema = content.get("schema", {})
            if schema.get("type") == "object" and not schema.get("required"):
                # Every field optional (e.g. a multipart form of optional fields): no body is fine too.
                body["required"] = False
        return body


class ArenaAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ArenaOpenAPISchema(api=self, path_prefix=path_prefix)


def _wants_object(annotation: Any) -> bool:
    """A schema (or an optional one), not a list or a union with one."""
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    if get_origin(annotation) is None:
        return False
    options = [arg for arg in get_args(annotation) if arg is not type(None)]
    return bool(options) and all(isinstance(arg, type) and issubclass(arg, BaseModel) for arg in options)


def bodies_must_be_objects(api: NinjaAPI) -> None:
    """Ninja validates a schema from any Python object's attributes, so a JSON body of `[null, null]`,
    `"x"` or `5` passed as an empty object (PATCH /api/me answered 200). A body declared as an object
    must be one: 422 otherwise."""
    for router in api._get_bound_routers():  # django-ninja 1.7: the routers as mounted
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    attr = getattr(model, "__read_from_single_attr__", None)
                    if model.__ninja_param_source__ != "body" or not attr:
                        continue
                    annotation = model.model_fields[attr].annotation
                    if _wants_object(annotation):
                        _check_objects(model, attr, allowed=dict | None if type(None) in get_args(annotation) else dict)


def _check_objects(model, attr: str, *, allowed) -> None:
    read = model.get_request_data

    def get_request_data(cls, request, api, path_params):
        data = read(request, api, path_params)
        if data is not None and not isinstance(data.get(attr), allowed):
            raise ValidationError([{"loc": ("body",), "msg": "Input should be a JSON object", "type": "model_type"}])
        return data

    model.get_request_data = classmethod(get_request_data)
