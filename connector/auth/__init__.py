"""Auth as strategies, and credentials bound to hosts.

_base.py       Scheme (declared) and Credential (resolved): the strategy protocol
_apikey.py     API key in a header, the query or a cookie
_basic.py      HTTP basic
_bearer.py     HTTP bearer
_oauth2.py     OAuth2 client credentials (token fetched, cached, fetched again on a 401)
_registry.py   the registered strategies (a new kind: one module + one line there)
_model.py      a template's `auth` (schemes + security) and the resolved `Credentials`
_bindings.py   which hosts a credential may go to; the check that refuses the others
"""

from __future__ import annotations

from connector._store import CATALOG_ENV, catalog_dir
from connector.auth._base import (
    REDACTED,
    Credential,
    Flow,
    Outgoing,
    Placement,
    Scheme,
    UnsupportedInEngineError,
)
from connector.auth._bindings import (
    ALLOWED_HOSTS_ENV,
    BUILT_IN,
    HostPolicy,
    read_bindings,
)
from connector.auth._model import Auth, Credentials
from connector.auth._oauth2 import TOKENS, TokenCache
from connector.auth._records import (
    BindingRecord,
    Source,
    forget_bindings,
    host_name,
    read_records,
    record_bindings,
)
from connector.auth._registry import STRATEGIES

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "BUILT_IN",
    "CATALOG_ENV",
    "REDACTED",
    "STRATEGIES",
    "TOKENS",
    "Auth",
    "BindingRecord",
    "Credential",
    "Credentials",
    "Flow",
    "HostPolicy",
    "Outgoing",
    "Placement",
    "Scheme",
    "Source",
    "TokenCache",
    "UnsupportedInEngineError",
    "catalog_dir",
    "forget_bindings",
    "host_name",
    "read_bindings",
    "read_records",
    "record_bindings",
]
