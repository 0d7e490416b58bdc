from typing import Annotated

from ninja import Schema
from pydantic import Field

# A database id in a request: a positive bigint.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorOut(Schema):
    """Every error answer (docs/API.md): a readable `detail`, an optional stable `code` and, for
    validation errors, the field-level `errors`."""

    detail: str
    code: str | None = None
    errors: list[dict] | None = None
