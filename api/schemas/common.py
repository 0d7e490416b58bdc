from ninja import Schema


class ErrorOut(Schema):
    """Every error answer (docs/API.md): a readable `detail`, an optional stable `code` and, for
    validation errors, the field-level `errors`."""

    detail: str
    code: str | None = None
    errors: list[dict] | None = None
