"""Reading an OpenAPI description: JSON, or YAML with the 1.2 core schema.

YAML is parsed by libyaml (PyYAML's C parser) when it is there, with the resolver of YAML 1.2's
core schema instead of PyYAML's 1.1 one: dates stay strings (`2024-01-01` is not a date),
`yes`/`no`/`on`/`off` stay strings, `010` is ten, and mapping keys are strings (`200:`, a status
code, is the key "200"). Input is bounded: a size cap, and nesting deeper than the parsers'
recursion allows is refused with a message instead of a traceback. Nothing but the given file
is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from connector._errors import DescriptionError
from connector._read import read_text
from connector.openapi._aliases import ExpansionError, check_expansion
from connector.openapi._swagger2 import is_swagger2, to_openapi3

SUPPORTED_VERSIONS = ("3.0.", "3.1.", "3.2.")


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader (libyaml's when present) resolving plain scalars as YAML 1.2's core schema."""


_Yaml12Loader.yaml_implicit_resolvers = {}  # PyYAML's 1.1 resolvers replaced, not extended


def _core_schema() -> None:
    add = _Yaml12Loader.add_implicit_resolver
    add("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    add(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    add(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )
    add("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
    _Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _Yaml12Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    _Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    return sign * int(digits, 10)


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[_key_text(key)] = loader.construct_object(value_node, deep=True)
    return mapping


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


_core_schema()


def parse_text(text: str, *, source: str) -> dict[str, Any]:
    """Parse JSON, else YAML 1.2, into a mapping; raise DescriptionError when it is neither.

    Args:
        text: the document.
        source: how to name the document in messages (a file name).
    """
    try:
        document = _parse(text)
    except RecursionError:
        raise DescriptionError(f"{source}: nested too deeply to be read") from None
    except ExpansionError as exc:
        raise DescriptionError(f"{source}: {exc}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise DescriptionError(f"{source} is neither JSON nor YAML: {_reason(exc)}") from None
    if not isinstance(document, dict):
        raise DescriptionError(f"{source} is not an OpenAPI description: not a mapping")
    return document


def _parse(text: str) -> object:
    if text.lstrip()[:1] in {"{", "["}:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            pass  # YAML flow style also starts with a brace
    loader = _Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _reason(exc: Exception) -> str:
    """The first line of a parser's message, with the line and column YAML marks it at."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        problem = exc.problem or first
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return first


def check_openapi(document: dict[str, Any], *, source: str) -> str:
    """The description's OpenAPI version; DescriptionError when it is not 3.0, 3.1 or 3.2."""
    version = document.get("openapi")
    if version is None:
        hint = f" (Swagger {document['swagger']!r} is not 2.0)" if "swagger" in document else ""
        raise DescriptionError(f"{source} is not an OpenAPI description: no 'openapi' key{hint}")
    if not isinstance(version, str) or not version.startswith(SUPPORTED_VERSIONS):
        raise DescriptionError(
            f"{source}: OpenAPI {version!r} is not supported (3.0.x and 3.1.x are)"
        )
    for key in ("paths", "webhooks", "components"):
        if not isinstance(document.get(key, {}), dict):
            raise DescriptionError(f"{source}: '{key}' must be a mapping")
    return version


def as_openapi3(document: dict[str, Any], *, source: str) -> dict[str, Any]:
    """`document` as OpenAPI 3: a Swagger 2.0 description converted, any other checked."""
    if is_swagger2(document):
        document = to_openapi3(document, source=source)
    check_openapi(document, source=source)
    return document


def load_description(path: Path) -> dict[str, Any]:
    """Read one OpenAPI 3.x or Swagger 2.0 description file (JSON or YAML) as OpenAPI 3.

    Raises:
        DescriptionError: the file cannot be read, is too large, or is not OpenAPI 3.x
            or Swagger 2.0.
    """
    return as_openapi3(read_document(path), source=str(path))


def read_document(path: Path) -> dict[str, Any]:
    """Read one JSON or YAML mapping (a description as written, an overlay), bounded in size.

    Raises:
        DescriptionError: the file cannot be read, is too large, or is not a mapping.
    """
    return parse_text(read_text(path, error=DescriptionError), source=str(path))
