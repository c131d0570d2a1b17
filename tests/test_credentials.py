"""Redaction: credentials masked by header name and by value, in every derived form."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from connector._credentials import REDACTED, Redactor, derived_forms
from connector.auth import Auth

AUTH = Auth.model_validate(
    [
        {"type": "apiKey", "header": "REB-APIKEY", "env": "REBILLY_API_KEY"},
        {"type": "bearer", "header": "Authorization", "env": "REBILLY_JWT", "scheme": "Bearer"},
    ]
)
KEY = "sk_sandbox_REDACTME42/+x="


@pytest.mark.parametrize(
    ("environ", "variables"),
    [
        pytest.param({"REBILLY_API_KEY": KEY}, ("REBILLY_API_KEY",), id="api-key"),
        pytest.param({"REBILLY_JWT": "tok.en.sig"}, ("REBILLY_JWT",), id="jwt"),
        pytest.param(
            {"REBILLY_API_KEY": KEY, "REBILLY_JWT": "t.o.k"},
            ("REBILLY_API_KEY",),
            id="first-declared-wins",
        ),
        pytest.param(
            {"REBILLY_API_KEY": "  ", "REBILLY_JWT": "t.o.k"}, ("REBILLY_JWT",), id="blank-is-unset"
        ),
        pytest.param({}, (), id="none"),
    ],
)
def test_the_first_configured_alternative_is_used(
    environ: dict[str, str], variables: tuple[str, ...]
) -> None:
    """Alternatives are tried in declared order; a blank variable counts as unset."""
    assert AUTH.resolve(environ).variables == variables


def test_credentials_never_show_their_value() -> None:
    """repr and str of resolved credentials name the variable, never the value."""
    credentials = AUTH.resolve({"REBILLY_API_KEY": KEY})
    shown = repr(credentials) + str(credentials) + repr(credentials.items)
    assert KEY not in shown
    assert "REBILLY_API_KEY" in shown


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


@pytest.mark.parametrize(
    "echoed",
    [
        pytest.param(quote(KEY, safe=""), id="url-encoded"),
        pytest.param(
            quote(KEY, safe="").lower().replace("sk_sandbox_redactme42", "sk_sandbox_REDACTME42"),
            id="url-encoded-lower-hex",
        ),
        pytest.param(quote_plus(KEY), id="form-encoded"),
        pytest.param(base64.b64encode(KEY.encode()).decode(), id="base64"),
        pytest.param(base64.urlsafe_b64encode(KEY.encode()).decode().rstrip("="), id="b64url"),
        pytest.param(KEY.upper(), id="upper-cased"),
        pytest.param(KEY.lower(), id="lower-cased"),
        pytest.param(KEY.replace("/", "\\/"), id="json-escaped"),
    ],
)
def test_derived_forms_of_a_secret_are_masked(echoed: str) -> None:
    """An echoed key in a form the connector can compute is masked like the key itself."""
    assert echoed in derived_forms(KEY)
    assert Redactor([KEY]).text(f"Location: https://x.example/?k={echoed}&n=1") == (
        f"Location: https://x.example/?k={REDACTED}&n=1"
    )


def test_a_location_header_with_the_url_encoded_key_is_masked() -> None:
    """Headers are masked by value too: a redirect that carries the key does not show it."""
    location = f"https://evil.example/cb?key={quote(KEY, safe='')}"
    shown = Redactor([KEY]).headers({"Location": location})
    assert quote(KEY, safe="") not in shown["Location"]
    assert shown["Location"].endswith(REDACTED)


def test_a_secret_learnt_while_sending_is_masked_from_then_on() -> None:
    """A fetched token is added to the redactor (with its forms)."""
    redactor = Redactor()
    redactor.add("fetched-token-1234")
    assert redactor.text("t=FETCHED-TOKEN-1234") == f"t={REDACTED}"


def test_very_short_values_are_not_treated_as_secrets() -> None:
    """Masking a one- to three-character value would garble ordinary text."""
    assert Redactor(["ab"]).text("abc") == "abc"


@pytest.mark.parametrize(
    ("name", "description", "secret"),
    [
        ("token", "", True),
        ("X-Api-Key", "", True),
        ("client_secret", "", True),
        ("X-Hub-Signature-256", "", True),
        ("PASSWORD", "", True),
        ("key", "Your API key", True),
        ("pageToken", "", False),
        ("nextToken", "The next page's token", False),
        ("Idempotency-Key", "", False),
        ("limit", "How many", False),
        ("api_key_ids", "", False),
        ("$skipToken", "", False),
        ("include_signature", "", False),
        ("X-Amz-Security-Token", "", True),
        ("token_type", "", False),
        ("actor_ids", "Filter API keys by their actor", False),
        ("name", "The access key's name.", False),
    ],
)
def test_a_secret_parameter_is_known_by_name_or_description(
    name: str, description: str, secret: bool
) -> None:
    """Secrets in any spelling or casing; pagination tokens and idempotency keys are not."""
    from connector._credentials import looks_secret

    assert looks_secret(name, description) is secret
