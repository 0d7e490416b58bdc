"""Enumerations for schemas, taken from the models' choices so a new choice cannot be forgotten in
the API (OpenAPI and AsyncAPI still show an `enum`)."""

from collections.abc import Iterable
from typing import Any, Literal

from django.db.models import Choices


def choices_literal(choices: type[Choices], *, exclude: Iterable[str] = ()) -> Any:
    """`Literal["a", "b", ...]` of a TextChoices' values, optionally without some of them (for inputs
    that accept only part of a model's states)."""
    excluded = {str(value) for value in exclude}
    values = tuple(value for value in choices.values if value not in excluded)
    unknown = excluded - set(choices.values)
    if unknown:
        # A typo here would silently keep a value the caller meant to refuse.
        raise ValueError(f"{sorted(unknown)} are not choices of {choices.__qualname__}")
    return Literal[values]  # type: ignore[valid-type]
