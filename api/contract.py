"""What the OpenAPI document promises, made true for every operation in one place (checked by
schemathesis in tests/conformance): the errors any operation can answer, optional authentication,
and JSON bodies that must be objects."""

from typing import Any, get_args, get_origin

from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel

from api.auth import anonymous
from api.schemas.common import ErrorOut

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


INT64 = (-(2**63), 2**63 - 1)

_INT = {"schema": {"type": "integer", "minimum": 0}}
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {"description": "Requests allowed in the window", **_INT},
    "RateLimit-Remaining": {"description": "Requests left in the window", **_INT},
    "RateLimit-Reset": {"description": "Seconds until the window resets", **_INT},
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", **_INT}}


class ArenaOpenAPISchema(OpenAPISchema):
    def operation_parameters(self, operation) -> list[dict]:
        parameters = super().operation_parameters(operation)
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "integer":
                schema.setdefault("minimum", INT64[0])
                schema.setdefault("maximum", INT64[1])
        return parameters

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
        if 429 in result:
            # A throttled operation (api.throttle): every answer says where the caller stands.
            for code, response in result.items():
                response["headers"] = {**RATE_LIMIT_HEADERS, **(RETRY_AFTER if code == 429 else {})}
        if 503 in result:
            result[503]["headers"] = RETRY_AFTER
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
    def get_openapi_operation_id(self, operation) -> str:
        """Resource first, then the verb (`list_tournaments` → `tournaments_list`), so generated
        SDKs group methods by resource; handlers are named verb-first (docs/STYLE.md)."""
        verb, _, resource = operation.view_func.__name__.partition("_")
        resource = resource.removeprefix("to_").removeprefix("for_")  # apply_to_host → host_apply
        return f"{resource}_{verb}" if resource else verb

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


def _is_int(annotation: Any) -> bool:
    options = get_args(annotation) if get_origin(annotation) is not None else (annotation,)
    return int in options


def _is_int_list(annotation: Any) -> bool:
    return get_origin(annotation) is list and _is_int(get_args(annotation)[0])


def _bool_for_int(schema: type[BaseModel], data: dict, loc: tuple) -> tuple | None:
    """Where a JSON true/false stands for an integer (pydantic's lax mode takes it as 1/0)."""
    for name, field in schema.model_fields.items():
        key = field.alias or name
        value, annotation = data.get(key), field.annotation
        if isinstance(value, bool) and _is_int(annotation):
            return (*loc, key)
        if isinstance(value, list) and _is_int_list(annotation) and any(isinstance(item, bool) for item in value):
            return (*loc, key)
        if isinstance(value, dict) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found = _bool_for_int(annotation, value, (*loc, key))
            if found:
                return found
    return None


def request_input_checked(api: NinjaAPI) -> None:
    """Checks ninja's validation leaves out, added to every operation's parameter models at once:

    - a JSON body declared as an object must be one: ninja validates a schema from any Python
      object's attributes, so `[null, null]`, `"x"` or `5` passed as an empty object (PATCH /api/me
      answered 200), and true/false is no integer;
    - integers in the path and query string fit in 64 bits (the database's): a larger id reached
      an INSERT or a SQLite query and answered 500."""
    for router in api._get_bound_routers():  # django-ninja 1.7: the routers as mounted
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    source = model.__ninja_param_source__
                    attr = getattr(model, "__read_from_single_attr__", None)
                    if source == "body" and attr and _wants_object(model.model_fields[attr].annotation):
                        _check_object_body(model, attr)
                    elif source in ("path", "query"):
                        _check_int64(model, source)


def _wrap(model, check) -> None:
    read = model.get_request_data

    def get_request_data(cls, request, api, path_params):
        data = read(request, api, path_params)
        check(data)
        return data

    model.get_request_data = classmethod(get_request_data)


def _invalid(loc: tuple, msg: str, kind: str) -> ValidationError:
    return ValidationError([{"loc": loc, "msg": msg, "type": kind}])


def _check_object_body(model, attr: str) -> None:
    annotation = model.model_fields[attr].annotation
    optional = type(None) in get_args(annotation)
    schema = next(arg for arg in (get_args(annotation) or (annotation,)) if arg is not type(None))

    def check(data) -> None:
        if data is None or (optional and data.get(attr) is None):
            return
        if not isinstance(data.get(attr), dict):
            raise _invalid(("body",), "Input should be a JSON object", "model_type")
        where = _bool_for_int(schema, data[attr], ("body",))
        if where:
            raise _invalid(where, "Input should be a valid integer, not a boolean", "int_type")

    _wrap(model, check)


def _check_int64(model, source: str) -> None:
    names = [field.alias or name for name, field in model.model_fields.items() if _is_int(field.annotation)]
    if not names:
        return

    def check(data) -> None:
        for name in names:
            value = data.get(name) if data is not None else None
            try:
                number = int(value) if isinstance(value, str) else None
            except ValueError:
                continue  # pydantic says what is wrong with it
            if number is not None and not INT64[0] <= number <= INT64[1]:
                raise _invalid((source, name), f"Input should be at most {INT64[1]} in size", "int64")

    _wrap(model, check)
