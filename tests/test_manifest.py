"""manifest.json: a valid catalogue entry that never drifts from task_templates/."""

from __future__ import annotations

import json
import re

from connector._catalog import load_task, manifest_path, read_manifest, task_names
from connector._manifest import Manifest, build_manifest, manifest_json
from connector._result import output_schema
from connector._version import __version__


def test_the_manifest_follows_its_model() -> None:
    """The file validates strictly against the Manifest model."""
    manifest = Manifest.model_validate(read_manifest())
    assert manifest.version == __version__
    assert {"sandbox", "live", "local"} == {env.name for env in manifest.environments}


def test_the_manifest_is_in_sync_with_the_templates() -> None:
    """Regenerating the derived parts changes nothing (run `python -m connector._manifest`)."""
    current = manifest_path().read_text()
    assert manifest_json(build_manifest(json.loads(current))) == current


def test_every_template_has_one_task_entry_with_its_schemas() -> None:
    """Each shipped template is offered once, with its input schema and the output shape."""
    entries = {entry["name"]: entry for entry in read_manifest()["tasks"]}
    assert sorted(entries) == task_names()
    for name, entry in entries.items():
        task = load_task(name)
        assert entry["inputSchema"] == task.input_schema()
        assert entry["outputSchema"] == output_schema()
        assert (manifest_path().parent / entry["template"]).is_file()


def test_live_is_never_the_default_environment() -> None:
    """Only the sandbox is marked default."""
    defaults = [env["name"] for env in read_manifest()["environments"] if env["default"]]
    assert defaults == ["sandbox"]


def test_the_manifest_holds_no_secret_and_declares_auth_by_variable_name() -> None:
    """Auth kinds name environment variables, never values."""
    manifest = read_manifest()
    assert [(a["type"], a["env"]) for a in manifest["auth"].values()] == [
        ("apiKey", "REBILLY_API_KEY"),
        ("http", "REBILLY_JWT"),
    ]
    assert not re.search(r"sk_(sandbox|live)_[A-Za-z0-9]{4,}", json.dumps(manifest))


def test_the_palette_groups_hold_every_task_once_in_the_manifest_order() -> None:
    """A designer's palette reads `groups`: each shipped task is in exactly one, and the
    task list is in the groups' order (upsert first, as the catalogue page leads with it)."""
    manifest = read_manifest()
    grouped = [name for group in manifest["groups"] for name in group["tasks"]]
    assert sorted(grouped) == task_names()
    assert len(grouped) == len(set(grouped)) == 31
    assert [task["name"] for task in manifest["tasks"]] == grouped
    assert grouped[0] == "upsert-payout-request"
    assert all(group["title"] for group in manifest["groups"])
