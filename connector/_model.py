"""The one base of every wire model (strict, immutable, camelCase on the wire), and the one
translation of its validation errors into `FieldError`s that name the field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from connector._errors import FieldError
from connector._suggest import did_you_mean, shown


class StrictModel(BaseModel):
    """Unknown keys are errors; fields are snake_case in Python and camelCase in JSON."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def plain_message(error: ErrorDetails) -> str:
    """What is wrong with one field, in words for a person (no `Value error,` prefix)."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "is required"
    if error["type"] in {"model_type", "model_attributes_type", "dict_type"}:
        return "must be a JSON object"
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    said = f"{error['msg'][:1].lower()}{error['msg'][1:]}"
    return f"{said}, not {_shown(error['input'])}" if "input" in error else said


def suggesting(known: Iterable[str]) -> Callable[[ErrorDetails], str]:
    """`plain_message`, with the closest of the `known` keys for an unknown one."""
    names = list(known)

    def message(error: ErrorDetails) -> str:
        if error["type"] == "extra_forbidden":
            return f"unknown key{did_you_mean(str(error['loc'][-1]), names)}"
        return plain_message(error)

    return message


def wire_names(model: type[BaseModel]) -> list[str]:
    """The keys `model` reads (its camelCase aliases)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def field_errors(
    exc: ValidationError,
    *,
    prefix: Sequence[str | int] = (),
    message: Callable[[ErrorDetails], str] = plain_message,
) -> list[FieldError]:
    """Every problem of `exc`, its field in dot notation (`prefix` first), as `FieldError`s."""
    return [field_error(error, prefix=prefix, message=message) for error in exc.errors()]


def field_error(
    error: ErrorDetails,
    *,
    prefix: Sequence[str | int] = (),
    message: Callable[[ErrorDetails], str] = plain_message,
) -> FieldError:
    """One problem of a validation (pydantic's, or FastAPI's of a request) as a `FieldError`."""
    return FieldError(field=dotted((*prefix, *error["loc"])), message=message(error))


def dotted(loc: Sequence[str | int]) -> str:
    """`("allocations", 0, "method")` -> `allocations.0.method`."""
    return ".".join(shown(str(part)) for part in loc)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
