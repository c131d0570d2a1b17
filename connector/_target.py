"""Where a request goes: the one rule the CLI, the service, batches, workers and exports call.

Every environment of a template is **production**, **test** or **local** (`kind`): `local` is
the emulator; a server whose name, description or host says sandbox, test, staging, dev,
mock, demo, preview, QA or UAT is a test environment; every other server is production (the
safe reading: an unknown server may move real money).

- Sending with no environment named (`choose`): the API's test environment when it has one and
  its credentials are set, otherwise the local emulator; one line says which. Never production,
  and never a real server the user configured nothing for (an API without auth goes local
  until an environment is named).
- A dry run or an export with no environment named (`default_for_definition`): the test
  environment when there is one, else `local` for a dry run; an export, which sends nothing and
  is run later by the engine with the user's credentials, falls back to the API's first server.
- Sending to a real environment (`refusal`): refused without its credentials (unless the caller
  says it means to send without), and a production environment needs a confirmation (`--yes`,
  a typed "yes", `confirm: true`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from connector._template import TaskTemplate

Kind = Literal["production", "test", "local"]
LOCAL: Final = "local"
TEST_WORDS: Final = frozenset(
    {
        "sandbox",
        "sandboxes",
        "test",
        "tests",
        "testing",
        "staging",
        "stage",
        "stg",
        "dev",
        "devel",
        "develop",
        "development",
        "mock",
        "mocks",
        "demo",
        "preview",
        "qa",
        "uat",
        "playground",
        "simulator",
        "integration",
    }
)
_WORDS = re.compile(r"[a-z0-9]+")


def kind(name: str, description: str = "", url: str = "") -> Kind:
    """How an environment is classified, from its name, description and host."""
    if name == LOCAL:
        return "local"
    host = urlsplit(url.replace("<<", "").replace(">>", "")).hostname or ""
    words = set(_WORDS.findall(f"{name} {description} {host}".lower()))
    return "test" if words & TEST_WORDS else "production"


def kinds(template: TaskTemplate) -> dict[str, Kind]:
    """Every environment of the template and its kind, in declaration order."""
    found: dict[str, Kind] = {}
    for name in template.servers:
        server = template.server(name)
        found[name] = kind(name, server.description, server.url) if server else "production"
    return found


def test_environment(template: TaskTemplate) -> str | None:
    """The template's first test environment, if it has one."""
    return next((n for n, k in kinds(template).items() if k == "test"), None)


@dataclass(frozen=True, slots=True)
class Choice:
    """Where a request goes, and why (None when the caller named it): the reason the local
    emulator was chosen, or the line that names the test environment."""

    environment: str | None
    base_url: str | None
    note: str | None = None

    @property
    def local(self) -> bool:
        """Whether it goes to the emulator at the template's local URL (or one started)."""
        return self.environment == LOCAL and self.base_url is None


def choose(
    template: TaskTemplate,
    environment: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Choice:
    """Where a test request, a batch or a worker sends: what the caller named, else the test
    environment when its credentials are set, else the local emulator. Never production."""
    if environment is not None or base_url is not None:
        return Choice(environment, base_url)
    environ = os.environ if environ is None else environ
    test = test_environment(template)
    if test is not None and template.auth.required and template.auth.resolve(environ):
        return Choice(test, None, f"sending to '{test}' (the API's test environment)")
    why = (
        "the API has no test environment"
        if test is None
        else f"no credentials set for its test environment '{test}' ({template.auth.missing()})"
        if template.auth.required
        else f"name --environment {test} to send to its test environment"
    )
    return Choice(LOCAL, None, why)


def default_for_definition(template: TaskTemplate, *, export: bool = False) -> str:
    """The environment of a dry run (or an export) that names none: never one that needs a
    credential or a confirmation to be shown. An export falls back to the API's first server,
    since the engine, not this command, sends it (with the user's credentials)."""
    test = test_environment(template)
    if test is not None:
        return test
    real = [n for n, k in kinds(template).items() if k != "local"]
    if export and real:
        return real[0]
    return LOCAL if LOCAL in template.servers or not real else real[0]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing was sent; `confirmable` when a confirmation would let it go."""

    message: str
    confirmable: bool = False


def refusal(
    template: TaskTemplate,
    environment: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    without_credentials: bool = False,
    confirmed: bool = False,
) -> Refusal | None:
    """Why sending to `environment` is refused, or None when it may go.

    A base URL the caller gave, and the local emulator, are never refused here (the credential
    host guard still applies). A real environment needs its credentials (unless
    `without_credentials`); a production one also needs `confirmed`."""
    if base_url is not None or environment is None or environment == LOCAL:
        return None
    environ = os.environ if environ is None else environ
    auth = template.auth
    anonymous_allowed = not auth.required or [] in auth.requirements()
    if not anonymous_allowed and not without_credentials and not auth.resolve(environ):
        return Refusal(
            f"no credentials for {environment}: set {auth.missing()} "
            "(or --no-credentials to send without; nothing was sent)"
        )
    found = kinds(template).get(environment)
    if found == "production" and not confirmed:
        return Refusal(
            f"environment '{environment}' is production"
            f"{' and moves real money' if environment == 'live' else ''}: confirm with --yes "
            "(nothing was sent)",
            confirmable=True,
        )
    return None


def production_warning(template: TaskTemplate, environment: str) -> list[str]:
    """The warning of a request prepared for a production environment (none otherwise)."""
    if kinds(template).get(environment) != "production":
        return []
    return [f"environment '{environment}' is production{_money(environment)}"]


def _money(environment: str) -> str:
    return ": this request moves real money" if environment == "live" else ""


def classify(templates: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Kind, str]]:
    """Every environment of some templates (as JSON) with its kind and URL, first seen first:
    what an import prints."""
    found: dict[str, tuple[Kind, str]] = {}
    for template in templates:
        for name, server in (template.get("servers") or {}).items():
            if name in found:
                continue
            url = server if isinstance(server, str) else str(server.get("url", ""))
            text = "" if isinstance(server, str) else str(server.get("description", ""))
            found[name] = (kind(name, text, url), url)
    return found
