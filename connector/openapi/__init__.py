"""Importing OpenAPI 3.0-3.2 (and Swagger 2.0) descriptions: each operation a task template.

    document = load_description(Path("openapi.json"))   # JSON or YAML 1.2; nothing else read
    result = import_description(document, api="rebilly")
    result.imported[0].template                          # a task template (a JSON object)

The parts are plain functions other tools reuse (the emulator serves a description with the
same loader and ref resolver): `load_description`, `parse_text`, `Refs` (local `$ref`
lookup, refusing remote and file refs), `SchemaBuilder` (an OpenAPI schema as a
self-contained JSON Schema) and `example_for` (a value a schema accepts).
"""

from __future__ import annotations

from connector.openapi._examples import example_for
from connector.openapi._importer import (
    Imported,
    ImportResult,
    Skipped,
    api_name,
    import_description,
)
from connector.openapi._load import check_openapi, load_description, parse_text
from connector.openapi._refs import RefError, Refs
from connector.openapi._schemas import SchemaBuilder, SchemaError

__all__ = [
    "ImportResult",
    "Imported",
    "RefError",
    "Refs",
    "SchemaBuilder",
    "SchemaError",
    "Skipped",
    "api_name",
    "check_openapi",
    "example_for",
    "import_description",
    "load_description",
    "parse_text",
]
