"""The shipped `rebilly` templates are generated: the committed files are what the importer
and the overlay make of Rebilly's description (read from `../shared/openapi/`), and what
ships carries the API's facts in our own words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ROOT

from connector._catalog import templates_dir
from connector._shipped import generate, overlay
from connector.openapi._page import read_page

DESCRIPTION = ROOT.parent / "shared" / "openapi" / "rebilly-openapi.json"
pytestmark = pytest.mark.skipif(not DESCRIPTION.is_file(), reason="the description is not beside")


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return generate(ROOT)


def test_the_committed_templates_are_the_generated_ones(generated: dict[str, str]) -> None:
    """Regenerating changes nothing (`python -m connector._shipped` rewrites them)."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in templates_dir().glob("*.json")}
    assert sorted(committed) == sorted(generated)
    drifted = [name for name, text in generated.items() if committed[name] != text]
    assert drifted == [], "run: python -m connector._shipped"


def test_every_payout_operation_ships_once(generated: dict[str, str]) -> None:
    """The 31 operations of the payout paths, each under its own name and operationId."""
    document = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    described = {
        operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith(tuple(overlay().paths))
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    templates = [json.loads(text) for text in generated.values()]
    shipped = [t["operation"]["operationId"] for t in templates]
    assert len(described) == 31
    assert sorted(shipped) == sorted(described)
    assert {t["operation"]["api"] for t in templates} == {"rebilly"}


def _strings(node: Any, key: str) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == key and isinstance(v, str)]
        return found + [s for v in node.values() for s in _strings(v, key)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, key)]
    return []


def test_no_prose_of_the_description_ships(generated: dict[str, str]) -> None:
    """No summary or description sentence of the payout operations is in a template (the
    upsert's body fields are described as the catalogue page describes them)."""
    document = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    payout = {p: item for p, item in document["paths"].items() if p.startswith("/payout")}
    prose = {
        s
        for s in _strings(payout, "description")
        + _strings(payout, "summary")
        + _strings(document.get("components", {}), "description")
        if len(s) > 24
    }
    page = ROOT.parent / "shared" / "seed" / "put-payout-requests-id.txt"
    allowed = {f.description for f in read_page(page.read_text(encoding="utf-8"))}
    leaked = {
        name: sorted(found)
        for name, text in generated.items()
        if (found := set(_strings(json.loads(text), "description")) & (prose - allowed))
    }
    assert leaked == {}


def test_the_overlay_names_every_operation_with_a_title_and_description() -> None:
    """Names are unique, titles and descriptions are ours and non-empty."""
    decided = overlay()
    names = [op.name for op in decided.operations.values()]
    assert len(set(names)) == len(names) == 31
    assert all(op.title and op.description for op in decided.operations.values())
    assert decided.operations["PutPayoutRequest"].name == "upsert-payout-request"


def test_the_shipped_overlay_is_a_standard_overlay_and_each_template_records_it(
    generated: dict[str, str],
) -> None:
    """The overlay validates as an OpenAPI Initiative Overlay; every template names it."""
    from connector._shipped import OVERLAY
    from connector.openapi._oai_overlay import read_overlay

    standard = read_overlay(templates_dir() / OVERLAY)
    assert len(standard.actions) == 31
    assert set(standard.model_extra or {}) == {"x-connector-catalogue"}
    assert all(
        json.loads(text)["operation"]["overlays"] == [OVERLAY] for text in generated.values()
    )
