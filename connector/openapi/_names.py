"""Names the importer gives: API slugs, task names, input keys and environment variables."""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 80

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2,})")
_NOT_NAME = re.compile(r"[^a-z0-9_.]+")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
_COINED = re.compile(r"OAuth|OpenID|OpenAPI|GitHub|GitLab|GraphQL|JWTs|APIs|iOS", re.IGNORECASE)
"""Coined words written in mixed case that are one word (`OAuth2` is not `O_AUTH2`)."""

ENV_NAMESPACE = "CONNECTOR"
"""Every imported API's variables start with `CONNECTOR_<API>_` unless the user says otherwise:
a description cannot name `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY` or another API's key."""
RESERVED_VARIABLES = frozenset(
    {"CONNECTOR_CATALOG", "CONNECTOR_ALLOWED_HOSTS", "CONNECTOR_SERVE_TOKEN"}
)
"""The connector's own settings: no imported API reads them."""
_PREFIX = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


def split_words(text: str) -> list[str]:
    """`GetPayoutRequestCollection` or `get_payout-requests` as lower-case words."""
    spaced = _WORD_BOUNDARY.sub(" ", _COINED.sub(lambda m: m.group(0).capitalize(), text))
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if word]


def kebab(text: str) -> str:
    """A task name from an operationId or a title: lower-case `[a-z0-9_.-]`, at most 80."""
    spaced = _WORD_BOUNDARY.sub("-", text).lower()
    name = "-".join(part for part in _NOT_NAME.split(spaced) if part).strip("-._")
    name = re.sub(r"-{2,}", "-", name) or "operation"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9].rstrip('-._')}-{digest}"
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
    """The prefix of an imported API's variables: `stripe` -> `CONNECTOR_STRIPE`."""
    words = re.sub(r"_{2,}", "_", _NOT_IDENTIFIER.sub("_", api).strip("_").upper())
    return f"{ENV_NAMESPACE}_{words}" if words else f"{ENV_NAMESPACE}_API"


def check_prefix(prefix: str) -> str:
    """A prefix the user chose (`--env-prefix`), upper-cased; ValueError when it cannot start
    an environment variable name."""
    upper = prefix.strip().rstrip("_").upper()
    if not _PREFIX.match(upper):
        raise ValueError(
            f"{prefix!r} is not a variable prefix: a letter, then letters, digits and '_' "
            "(at most 64)"
        )
    return upper


def env_name(prefix: str, text: str) -> str:
    """`PREFIX_TEXT_IN_SNAKE_CASE`, without repeating the API's name (`StripeKey` of prefix
    `CONNECTOR_STRIPE` -> `CONNECTOR_STRIPE_KEY`; `OAuth2` -> `..._OAUTH2`)."""
    words = "_".join(split_words(text)).upper()
    api = prefix.removeprefix(f"{ENV_NAMESPACE}_")
    for head in (prefix, api):  # `GithubToken` of API github: not CONNECTOR_GITHUB_GITHUB_TOKEN
        if words == head or words.startswith(f"{head}_"):
            words = words[len(head) + 1 :]
            break
    return f"{prefix}_{words}" if words else prefix


def identifier(text: str) -> str:
    """A placeholder-safe input name (`payout-request-id` -> `payout_request_id`)."""
    name = _NOT_IDENTIFIER.sub("_", text).strip("_") or "value"
    return f"_{name}" if name[0].isdigit() else name
