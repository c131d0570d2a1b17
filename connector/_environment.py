"""The environment variables a template reads: declared, never a credential, checked.

A template reads its credentials only through its `auth` schemes, and any other variable
only when it declares it in its top-level `env` list (a parameter's `env` default names one
of those). A parameter can never read a credential variable (one any auth scheme uses, or
one bound to hosts) as data: that would put the key in a URL, a header or a body the template
chooses. A value read from the environment is checked like an input: a trailing newline or a
control character (a secret mounted from a file) is an error, not a `%0A` on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from connector._errors import FieldError
from connector.auth import BUILT_IN

if TYPE_CHECKING:
    from connector._template import TaskTemplate

__all__ = ["declaration_errors", "read_variable", "variables_read"]


def variables_read(template: TaskTemplate) -> list[str]:
    """Every environment variable the template reads: credentials, declared, defaults."""
    defaults = [p.env for p in template.parameters.values() if p.env]
    return list(dict.fromkeys([*template.auth.variables(), *template.env, *defaults]))


def credential_variables(template: TaskTemplate) -> frozenset[str]:
    """Variables that hold credentials: the template's own schemes' and the built-in ones."""
    return frozenset(template.auth.variables()) | frozenset(BUILT_IN)


def declaration_errors(template: TaskTemplate) -> list[FieldError]:
    """What the template reads that it may not: credentials as data, undeclared variables."""
    credentials = credential_variables(template)
    errors = [
        FieldError(field=f"env.{i}", message=f"{name} holds a credential: never read as data")
        for i, name in enumerate(template.env)
        if name in credentials
    ]
    for key, parameter in template.parameters.items():
        name = parameter.env
        if name is None:
            continue
        if name in credentials:
            message = f"{name} holds a credential: a parameter never reads one"
        elif name not in template.env:
            message = f"{name} is not declared: add it to the template's top-level 'env' list"
        else:
            continue
        errors.append(FieldError(field=f"parameters.{key}.env", message=message))
    return errors


def read_variable(
    field: str,
    name: str,
    environ: Mapping[str, str],
    errors: list[FieldError],
    *,
    is_credential: Callable[[str], object] = lambda _name: False,
) -> str | None:
    """A declared variable's value for input `field`, checked; None when unset or empty."""
    value = environ.get(name)
    if not value:
        return None
    if is_credential(name):
        errors.append(FieldError(field=field, message=f"{name} is bound to hosts as a credential"))
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        where = "ends in a newline" if value.endswith(("\n", "\r")) else "has a control character"
        errors.append(FieldError(field=field, message=f"the value of {name} {where}"))
        return None
    return value
