"""Credentials: resolved from the environment, held as secrets, masked wherever they appear."""

from __future__ import annotations

import pytest

from connector._credentials import REDACTED, Redactor, resolve_credential
from connector._template import AuthScheme

SCHEMES = [
    AuthScheme(type="apiKey", header="REB-APIKEY", env="REBILLY_API_KEY"),
    AuthScheme(type="bearer", header="Authorization", env="REBILLY_JWT", scheme="Bearer"),
]
KEY = "sk_sandbox_REDACTME42"


@pytest.mark.parametrize(
    ("environ", "header", "value"),
    [
        pytest.param({"REBILLY_API_KEY": KEY}, "REB-APIKEY", KEY, id="api-key"),
        pytest.param({"REBILLY_JWT": "tok.en.sig"}, "Authorization", "Bearer tok.en.sig", id="jwt"),
        pytest.param(
            {"REBILLY_API_KEY": KEY, "REBILLY_JWT": "t.o.k"},
            "REB-APIKEY",
            KEY,
            id="first-declared-wins",
        ),
        pytest.param(
            {"REBILLY_API_KEY": "  ", "REBILLY_JWT": "t.o.k"},
            "Authorization",
            "Bearer t.o.k",
            id="blank-is-unset",
        ),
    ],
)
def test_the_first_configured_scheme_is_used(
    environ: dict[str, str], header: str, value: str
) -> None:
    """Schemes are tried in declared order; a blank variable counts as unset."""
    credential = resolve_credential(SCHEMES, environ)
    assert credential is not None
    assert (credential.header, credential.header_value()) == (header, value)


def test_no_variable_means_no_credential() -> None:
    """Nothing configured resolves to None (a dry run still works)."""
    assert resolve_credential(SCHEMES, {}) is None


def test_a_credential_never_shows_its_value() -> None:
    """repr, str and the redacted value hide the secret; the source variable is named."""
    credential = resolve_credential(SCHEMES, {"REBILLY_API_KEY": KEY})
    assert credential is not None
    assert KEY not in repr(credential) + str(credential) + credential.redacted_value()
    assert credential.source == "REBILLY_API_KEY"


def test_headers_are_masked_by_name_keeping_the_scheme() -> None:
    """Sensitive headers are masked whatever their value; `Bearer` stays readable."""
    redactor = Redactor()
    shown = redactor.headers({"Authorization": "Bearer abc.def", "Cookie": "s=1", "Accept": "x"})
    assert shown == {"Authorization": f"Bearer {REDACTED}", "Cookie": REDACTED, "Accept": "x"}


def test_secrets_are_masked_by_value_everywhere_in_json() -> None:
    """A key echoed in a body, a nested list or even a key name is masked."""
    redactor = Redactor([KEY])
    body = {"echo": f"got {KEY}", "list": [KEY, 1, None], KEY: True}
    assert redactor.json(body) == {
        "echo": f"got {REDACTED}",
        "list": [REDACTED, 1, None],
        REDACTED: True,
    }


def test_very_short_values_are_not_treated_as_secrets() -> None:
    """Masking a one- to three-character value would garble ordinary text."""
    assert Redactor(["ab"]).text("abc") == "abc"
