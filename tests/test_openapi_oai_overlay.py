"""OpenAPI Initiative overlays: the compliant sets, the published schemas, and each action."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from connector._errors import OverlayError
from connector.cli import main
from connector.openapi import parse_text
from connector.openapi._oai_overlay import apply_overlays, parse_overlay

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "overlay"
SETS = sorted(p for p in (SHARED / "compliant-sets").glob("*") if p.is_dir())
ROOT = Path(__file__).resolve().parents[1]

needs_shared = pytest.mark.skipif(not SETS, reason=f"no compliant sets at {SHARED}")


def _read(path: Path) -> Any:
    return parse_text(path.read_text(encoding="utf-8"), source=path.name)


def _normalised(document: Any) -> str:
    """YAML normalised to JSON: the same data gives the same bytes (keys sorted)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


def _overlay(*actions: dict[str, Any], version: str = "1.1.0") -> Any:
    document = {
        "overlay": version,
        "info": {"title": "t", "version": "1"},
        "actions": list(actions),
    }
    return parse_overlay(document, source="o.yaml")


def _applied(document: Any, *actions: dict[str, Any]) -> Any:
    return apply_overlays(document, [("o.yaml", _overlay(*actions))])


@needs_shared
@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_each_compliant_set_gives_its_output_byte_for_byte(folder: Path) -> None:
    """openapi.yaml with overlay.yaml applied is output.yaml, once both are normalised to JSON."""
    overlay = parse_overlay(_read(folder / "overlay.yaml"), source="overlay.yaml")
    result = apply_overlays(_read(folder / "openapi.yaml"), [("overlay.yaml", overlay)])
    assert _normalised(result) == _normalised(_read(folder / "output.yaml"))


INVALID = [
    pytest.param({"overlay": "1.1.0", "info": {"title": "t", "version": "1"}}, id="no-actions"),
    pytest.param(
        {"overlay": "1.1.0", "info": {"title": "t", "version": "1"}, "actions": []}, id="empty"
    ),
    pytest.param(
        {"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$"}]},
        id="version",
    ),
    pytest.param(
        {"overlay": "1.1.0", "info": {"title": "t"}, "actions": [{"target": "$"}]}, id="info"
    ),
    pytest.param(
        {"overlay": "1.1.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "a"}]},
        id="target-not-a-query",
    ),
    pytest.param(
        {
            "overlay": "1.1.0",
            "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$", "updat": {}}],
        },
        id="typo",
    ),
    pytest.param(
        {
            "overlay": "1.0.0",
            "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$", "copy": "$.a"}],
        },
        id="copy-in-1.0",
    ),
    pytest.param(
        {
            "overlay": "1.1.0",
            "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$", "remove": True}, {"target": "$", "remove": True}],
        },
        id="repeated-action",
    ),
    pytest.param(
        {
            "overlay": "1.1.0",
            "info": {"title": "t", "version": "1"},
            "actions": [{"target": "$", "remove": "yes"}],
        },
        id="remove-not-boolean",
    ),
]


def _schema(version: str) -> Any:
    return jsonschema_rs.validator_for(_read(SHARED / "schemas" / f"v{version}" / "schema.yaml"))


@needs_shared
@pytest.mark.parametrize("document", INVALID)
def test_what_the_published_schema_refuses_validate_refuses(document: dict[str, Any]) -> None:
    """Each invalid overlay fails the published schema of its version and the model alike."""
    version = "1.0" if str(document.get("overlay")).startswith("1.0") else "1.1"
    assert not _schema(version).is_valid(document)
    with pytest.raises(OverlayError, match=r"o\.yaml is not a valid overlay"):
        parse_overlay(document, source="o.yaml")


@needs_shared
@pytest.mark.parametrize("folder", SETS, ids=[p.name for p in SETS])
def test_what_the_published_schema_accepts_validate_accepts(folder: Path) -> None:
    """Each compliant overlay passes its version's published schema and the model."""
    document = _read(folder / "overlay.yaml")
    assert _schema(str(document["overlay"])[:3]).is_valid(document)
    assert parse_overlay(document, source="o.yaml").actions


def test_update_merges_objects_concatenates_arrays_and_replaces_primitives() -> None:
    """The merge rules: add, replace a primitive, concatenate arrays, merge objects."""
    document = {"info": {"title": "a", "x": {"k": 1}}, "tags": ["a"], "n": 1}
    result = _applied(
        document,
        {"target": "$.info", "update": {"title": "b", "x": {"j": 2}, "new": True}},
        {"target": "$.tags", "update": ["b", "c"]},
        {"target": "$.tags", "update": "d"},
        {"target": "$.n", "update": 2},
    )
    assert result == {
        "info": {"title": "b", "x": {"k": 1, "j": 2}, "new": True},
        "tags": ["a", "b", "c", "d"],
        "n": 2,
    }
    assert document["tags"] == ["a"]  # the input is not changed


def test_actions_run_in_order_on_the_result_of_the_one_before() -> None:
    """A copy then a remove moves a path item (the specification's move example)."""
    document = {"paths": {"/items": {"get": {}}, "/other": {}}}
    result = _applied(
        document,
        {"target": "$.paths", "update": {"/new-items": {}}},
        {"target": "$.paths['/new-items']", "copy": "$.paths['/items']"},
        {"target": "$.paths['/items']", "remove": True},
    )
    assert result == {"paths": {"/other": {}, "/new-items": {"get": {}}}}


def test_remove_takes_every_selected_array_item() -> None:
    """Filtered array items are all removed, whatever their positions."""
    document = {"p": [{"n": "x"}, {"n": "y"}, {"n": "x"}, {"n": "x"}]}
    result = _applied(document, {"target": "$.p[?@.n == 'x']", "remove": True})
    assert result == {"p": [{"n": "y"}]}


def test_a_target_that_selects_nothing_changes_nothing() -> None:
    """Zero nodes: the action succeeds and the document is as it was."""
    document = {"a": 1}
    assert _applied(document, {"target": "$.missing", "update": {"x": 1}}) == {"a": 1}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        pytest.param(
            {"target": "$.a", "update": {"b": [1]}},
            r"action 1 \(target '\$\.a'\): property 'b': cannot merge an array into a primitive",
            id="incompatible",
        ),
        pytest.param(
            {"target": "$", "remove": True}, r"action 1 .*the root cannot be removed", id="root"
        ),
        pytest.param(
            {"target": "$.a", "copy": "$..*"}, r"action 1 .*selects \d+ nodes, not one", id="copy"
        ),
        pytest.param(
            {"target": "$.a[", "update": 1}, r"action 1 .*not an RFC 9535 JSONPath", id="syntax"
        ),
        pytest.param(
            {"target": "$.a.`this`", "update": 1}, r"action 1 .*not an RFC 9535", id="extension"
        ),
    ],
)
def test_an_action_that_cannot_be_applied_names_its_index_and_target(
    action: dict[str, Any], message: str
) -> None:
    """One OverlayError naming the overlay, the action's index and its target."""
    document = {"a": {"b": 1}, "c": 2}
    with pytest.raises(OverlayError, match=message):
        _applied(document, {"target": "$.c", "update": 3}, action)


def test_overlay_apply_writes_the_result_in_the_format_of_out(tmp_path: Path) -> None:
    """Overlays apply in the order given; OUT.yaml is YAML; a failed action writes nothing."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}}))
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(
        "overlay: 1.0.0\ninfo: {title: a, version: '1'}\n"
        "actions: [{target: $.info, update: {title: y}}]\n"
    )
    second.write_text(
        "overlay: 1.0.0\ninfo: {title: b, version: '1'}\n"
        "actions: [{target: $.info.title, update: z}]\n"
    )
    out = tmp_path / "out.yaml"
    command = [sys.executable, "-m", "connector", "overlay", "apply", str(spec)]
    done = subprocess.run(
        [*command, str(first), str(second), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert _read(out)["info"]["title"] == "z"
    reordered = subprocess.run(
        [*command, str(second), str(first)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert json.loads(reordered.stdout)["info"]["title"] == "y"  # b then a: a has the last word
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "overlay: 1.0.0\ninfo: {title: c, version: '1'}\n"
        "actions: [{target: $.info.title, update: {x: 1}}]\n"
    )
    failed = subprocess.run(
        [*command, str(first), str(bad), "-o", str(tmp_path / "never.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert failed.returncode == 2
    assert "bad.yaml: action 0 (target '$.info.title')" in failed.stderr
    assert not (tmp_path / "never.json").exists()


def test_overlay_validate_reports_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid and an invalid overlay: both reported, exit 2, the bad field named."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("overlay: 1.1.0\ninfo: {title: a, version: '1'}\nactions: [{target: $}]\n")
    bad.write_text("overlay: 1.1.0\ninfo: {title: a}\nactions: [{target: $}]\n")
    assert main(["overlay", "validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "good.yaml: valid" in out
    assert "bad.yaml is not a valid overlay: info.version: is required" in err


def test_catalog_import_applies_overlays_before_importing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`catalog import SPEC --overlay A` imports what A makes of the description."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: Pets, version: '1'}\npaths:\n"
        "  /pets: {get: {operationId: listPets, responses: {'200': {description: ok}}},\n"
        "          delete: {operationId: dropPets, responses: {'204': {description: ok}}}}\n"
    )
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "overlay: 1.1.0\ninfo: {title: o, version: '1'}\nactions:\n"
        "  - target: $.paths['/pets'].delete\n    remove: true\n"
        "  - target: $.paths['/pets'].get\n    update: {summary: Every pet}\n"
    )
    assert main(["catalog", "import", str(spec), "--overlay", str(overlay), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in report["imported"]] == ["list-pets"]
    template = json.loads(Path(report["imported"][0]["file"]).read_text())
    assert template["title"] == "Every pet"
