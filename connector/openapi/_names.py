"""Names the importer gives: API slugs, task names, input keys and environment variables."""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 80

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z]{2})(?=[A-Z][a-z]{2,})")
"""camelCase and `HTTPServer` split; a single capital before a word does not (`OAuth2`)."""
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")


def split_words(text: str) -> list[str]:
    """`GetPayoutRequestCollection` or `get_payout-requests` as lower-case words."""
    spaced = _WORD_BOUNDARY.sub(" ", text)
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if word]


def kebab(text: str) -> str:
    """A task name from an operationId or a title: kebab-case `[a-z0-9-]`, at most 80."""
    spaced = _WORD_BOUNDARY.sub("-", text).lower()
    name = "-".join(part for part in _NOT_NAME.split(spaced) if part).strip("-")
    name = re.sub(r"-{2,}", "-", name) or "operation"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9].rstrip('-')}-{digest}"
    return name


def api_slug(title: str) -> str:
    """The default API name: a slug of `info.title` (`Rebilly REST API` -> `rebilly-rest-api`)."""
    return kebab(title)[:64].strip("-._") or "api"


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... when it is taken; the result is added to `taken`."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = f"{name[: MAX_NAME - len(suffix)]}{suffix}"
    taken.add(candidate)
    return candidate


def env_prefix(api: str) -> str:
    """The prefix of the environment variables proposed for an API (`stripe` -> `STRIPE`)."""
    prefix = _NOT_IDENTIFIER.sub("_", api).strip("_").upper()
    return prefix if prefix and not prefix[0].isdigit() else f"API_{prefix}"


def env_name(prefix: str, text: str) -> str:
    """`PREFIX_TEXT_IN_SNAKE_CASE`, without repeating the prefix (`StripeKey` -> `STRIPE_KEY`)."""
    words = "_".join(split_words(text)).upper()
    if words == prefix or words.startswith(f"{prefix}_"):
        return words
    return f"{prefix}_{words}" if words else prefix


def identifier(text: str) -> str:
    """A placeholder-safe input name (`payout-request-id` -> `payout_request_id`)."""
    name = _NOT_IDENTIFIER.sub("_", text).strip("_") or "value"
    return f"_{name}" if name[0].isdigit() else name
