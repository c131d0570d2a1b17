"""Rebilly's id rule for a path segment (the organization and every resource id)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ID_RULE_TEXT", "id_problem", "valid_id"]

_ID_RULE: Final = re.compile(r"[@~\-\.\w]{1,50}", re.ASCII)
ID_RULE_TEXT: Final = r"^[@~\-\.\w]+$ (ASCII), at most 50 characters, not '.' or '..'"


def valid_id(value: str) -> bool:
    """The published id rule for a path segment (the organization and the resource id)."""
    return value not in {".", ".."} and _ID_RULE.fullmatch(value) is not None


def id_problem(values: dict[str, str]) -> str | None:
    """Why one of the named path values breaks the id rule, or None."""
    for name, value in values.items():
        if not valid_id(value):
            return f"{name} {value[:60]!r} does not match the id rule {ID_RULE_TEXT}"
    return None
