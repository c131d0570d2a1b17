"""One API call as a behaviour sees it: the operation, the checked values, the store and the
clock, and the answers it can give, each with the status the description declares.

Where the description declares no status for a refusal, the nearest one it does declare is
used: a conflict is 409, else 422; something missing is 404, else 422 (an id in a body that
names nothing is invalid data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from connector.emulator._http import json_response, problem
from connector.emulator._operations import Operation
from connector.emulator._store import Store
from connector.emulator._synth import example_or_instance, now_utc
from connector.emulator._validation import Call

__all__ = ["Behaviour", "Context", "invalid_status"]


def invalid_status(operation: Operation) -> int:
    """The status for invalid data: 422, else 400 when only that is declared."""
    if not operation.declares(422) and operation.declares(400):
        return 400
    return 422


@dataclass
class Context:
    """Everything a behaviour needs for one call; it runs under the store's lock."""

    operation: Operation
    call: Call
    scope: str
    base_url: str
    path: str
    now: float
    store: Store
    headers: dict[str, str]

    @property
    def body(self) -> Any:
        """The request body (None when there was none)."""
        return self.call.body

    def arg(self, name: str) -> str:
        """A path value."""
        return self.call.path[name]

    def query(self, name: str, default: Any = None) -> Any:
        """A query value read by its schema."""
        return self.call.query.get(name, default)

    @property
    def timestamp(self) -> str:
        """Now, as a `date-time`."""
        return now_utc(self.now)

    def url(self, *parts: str) -> str:
        """An absolute URL under the base (`<base>/payout-requests/<id>`), segments quoted."""
        return "/".join([self.base_url, *(quote(part, safe="@~") for part in parts)])

    # --- answers ----------------------------------------------------------------------

    def json(
        self, value: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        """`value` as JSON, with the rate-limit headers and `headers`."""
        return json_response(value, status, {**self.headers, **(headers or {})})

    def created(self, value: Any, location: str) -> Response:
        """201 with `Location`."""
        return self.json(value, 201, {"Location": location})

    def empty(self, status: int = 204) -> Response:
        """No content."""
        response = Response(status=status)
        response.headers.update(self.headers)
        return response

    def _problem(self, status: int, title: str, detail: str, **extra: Any) -> Response:
        return problem(status, title, detail, instance=self.path, headers=self.headers, **extra)

    def invalid(self, problems: list[dict[str, str]], detail: str = "") -> Response:
        """Invalid data: `invalidFields` with 422 (or 400 where only that is declared)."""
        status = invalid_status(self.operation)
        if status == 400:
            return self._problem(400, "Bad Request", detail or _summary(problems))
        return self._problem(
            422,
            "Validation error",
            detail or "The request has invalid fields",
            invalidFields=problems,
        )

    def unreadable(self, detail: str) -> Response:
        """A body that cannot be read: 400 where declared, else 422 naming `body`."""
        if self.operation.declares(400) or not self.operation.declares(422):
            return self._problem(400, "Bad Request", detail)
        return self.invalid_field("body", detail)

    def invalid_field(self, field: str, message: str) -> Response:
        """One invalid field."""
        return self.invalid([{"field": field, "message": message}], message)

    def not_found(self, what: str, field: str = "id") -> Response:
        """`what` was not found: 404, or 422 naming `field` where no 404 is declared."""
        return self.absent(f"{what} was not found", field)

    def absent(self, detail: str, field: str = "id") -> Response:
        """404, or 422 naming `field` where the operation declares no 404."""
        if self.operation.declares(404):
            return self._problem(404, "Not Found", detail)
        return self.invalid_field(field, detail)

    def conflict(self, detail: str, field: str = "id") -> Response:
        """409, or 422 naming `field` where the operation declares no 409."""
        if self.operation.declares(409):
            return self._problem(409, "Conflict", detail)
        return self.invalid_field(field, detail)

    def built(self, status: int, overlay: Mapping[str, Any] | None = None) -> Any:
        """The declared response body for `status` built from its schema and example, with
        `overlay`'s members laid over it."""
        spec = self.operation.response(status)
        if spec is None or spec.schema is None:
            return dict(overlay or {})
        value = example_or_instance(spec.schema, spec.example)
        if isinstance(value, dict) and overlay:
            return {**value, **overlay}
        return value if value is not None else dict(overlay or {})


def _summary(problems: list[dict[str, str]]) -> str:
    return "; ".join(f"{item['field']}: {item['message']}" for item in problems)[:500]


Behaviour = Callable[[Context], Response]
