"""The import's binding decisions: `--server` URLs, what is bound, and what is refused."""

from __future__ import annotations

import pytest

from connector._errors import UsageError
from connector.auth import BindingRecord, Source
from connector.openapi._binding import (
    BindingPlan,
    named_hosts,
    refuse_collisions,
    refuse_replacing,
    server_hosts,
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.acme.test", "plain http only to loopback"),
        ("ftp://api.acme.test", "not an http\\(s\\) URL"),
        ("https://", "not an http\\(s\\) URL"),
    ],
)
def test_a_server_url_that_cannot_take_a_credential_is_refused(url: str, message: str) -> None:
    """--server takes https (or http to loopback) with a host name."""
    with pytest.raises(UsageError, match=message):
        server_hosts([url])


def test_a_server_url_binds_the_host_it_connects_to() -> None:
    """`https://api.good.test@evil.test/` is evil.test, as the transport would connect."""
    assert list(server_hosts(["https://api.good.test@evil.test/v1"])) == ["evil.test"]
    assert list(server_hosts(["http://127.0.0.1:8765/v1"])) == ["127.0.0.1"]


def test_only_accepted_and_named_hosts_are_bound() -> None:
    """Nothing accepted: no host (every variable still recorded); --server binds to all."""
    candidates = {"K": {"a.test", "b.test"}, "T": {"a.test"}}
    plan = BindingPlan(candidates, {"a.test": "server", "b.test": "server"})
    assert plan.bindings(plan.accepted(())) == {"K": set(), "T": set()}
    assert plan.bindings(plan.accepted(["b.test"])) == {"K": {"b.test"}, "T": set()}
    named = BindingPlan(candidates, {}, {"real.test": "https://real.test"})
    assert named.bindings(named.accepted(())) == {"K": {"real.test"}, "T": {"real.test"}}


def test_a_token_url_is_bound_only_to_its_own_schemes_variables() -> None:
    """A bearer token is never offered to an OAuth 2 scheme's token host; loopback is not
    asked about."""
    schemes = {
        "o": {
            "type": "oauth2",
            "tokenUrl": "https://auth.test/token",
            "clientIdEnv": "I",
            "clientSecretEnv": "S",
        },
        "b": {"type": "http", "scheme": "bearer", "env": "B"},
    }
    servers = {"api.test": "server", "localhost": "server"}  # loopback: always allowed, not asked
    bindings, named = named_hosts(schemes, servers, "")
    assert bindings == {
        "I": {"api.test", "auth.test"},
        "S": {"api.test", "auth.test"},
        "B": {"api.test"},
    }
    assert named == {"api.test": "server", "auth.test": "OAuth2 token URL"}


def test_a_variable_of_another_api_or_of_the_connector_is_refused() -> None:
    """The refusal names every variable and whose it is."""
    records = {"first": BindingRecord("first", {"CONNECTOR_X_KEY": frozenset()})}
    with pytest.raises(UsageError) as raised:
        refuse_collisions(
            "second", ["CONNECTOR_X_KEY", "REBILLY_API_KEY", "CONNECTOR_CATALOG"], records
        )
    message = str(raised.value)
    assert "CONNECTOR_X_KEY (of first)" in message
    assert "REBILLY_API_KEY (of the shipped rebilly tasks)" in message
    assert "CONNECTOR_CATALOG (of the connector's own settings)" in message
    refuse_collisions("first", ["CONNECTOR_X_KEY"], records)  # its own: fine


def test_the_same_description_keeps_its_hosts_and_another_is_refused() -> None:
    """Same file or same content: True; another description: refused unless --replace."""
    record = BindingRecord("acme", {}, source=Source("/a/acme.yaml", "d1"))
    assert refuse_replacing("acme", Source("/a/acme.yaml", "d2"), record, kept=None, replace=False)
    assert refuse_replacing("acme", Source("/b/copy.yaml", "d1"), record, kept=None, replace=False)
    with pytest.raises(UsageError, match="--replace"):
        refuse_replacing("acme", Source("/b/evil.yaml", "d3"), record, kept=None, replace=False)
    assert not refuse_replacing(
        "acme", Source("/b/evil.yaml", "d3"), record, kept=None, replace=True
    )
