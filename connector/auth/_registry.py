"""The registered auth strategies: a new kind is one module and one line here.

A scheme in a template is picked by its `type` (and, for `type: http`, its `scheme`), as
OpenAPI's security schemes are written; the union of the registered models is what the
template format accepts, so its JSON Schema lists exactly these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Tag

from connector.auth._apikey import ApiKeyScheme
from connector.auth._base import Scheme
from connector.auth._basic import HttpBasicScheme
from connector.auth._bearer import HttpBearerScheme
from connector.auth._oauth2 import OAuth2Scheme

STRATEGIES: tuple[type[Scheme], ...] = (
    ApiKeyScheme,
    HttpBasicScheme,
    HttpBearerScheme,
    OAuth2Scheme,
)
"""Every auth strategy the template format knows, by its `tag` (`type`, or `http.<scheme>`)."""

KNOWN_TAGS = ", ".join(getattr(cls, "tag", "") for cls in STRATEGIES)


def scheme_tag(value: Any) -> str | None:
    """Which registered strategy a scheme (a JSON object or a model) is."""
    if isinstance(value, Scheme):
        return str(getattr(value, "tag", ""))
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if kind == "http":
        return f"http.{str(value.get('scheme', '')).lower()}"
    return kind if isinstance(kind, str) else None


if TYPE_CHECKING:
    AnyScheme = Scheme
else:
    AnyScheme = Annotated[
        Union[tuple(Annotated[cls, Tag(cls.tag)] for cls in STRATEGIES)],  # noqa: UP007
        Discriminator(
            scheme_tag,
            custom_error_type="auth_type",
            custom_error_message=f"type must be one of: {KNOWN_TAGS} (http.X: type http, scheme X)",
        ),
    ]
