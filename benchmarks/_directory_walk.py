"""One API through the first hour of a user: the steps of `benchmarks/directory.py`, in order.

Everything is run with the options a user types, nothing more: no `--environment` for the dry
run, the test requests and the batch (they go where the product decides: the local emulator
when no credential is set, which the harness never sets). The create-then-read runs against
one emulator serving the API (`connector emulator --spec`, here in this process), since each
`test-request` otherwise starts its own.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _directory_steps import SAMPLED, Step, cli, example, judge

ENGINES = ("simworkflow", "conductor")
_PARAM = re.compile(r"<<[^>]+>>")


def walk(spec: Path, work: Path) -> dict[str, Step]:
    """Every step for the description at `spec`; scratch files go to `work`."""
    steps: dict[str, Step] = {name: Step() for name in ("import", "list")}
    # --accept-hosts: what a user answers when the import asks whether the credentials may go
    # to the hosts the description names (the harness has no terminal to ask on)
    imported = cli("catalog", "import", str(spec), "--json", "--accept-hosts")
    if not judge(steps["import"], imported, spec.name):
        return steps
    answer = imported.json()
    api, names = answer["api"], [row["name"] for row in answer["imported"]]
    if not names:
        steps["import"].failed.append(("no operation imported", spec.name))
        return steps
    listed = cli("list", "--api", api, "--json")
    got = {row["name"] for row in listed.json()} if listed.code == 0 else set()
    missing = None if set(names) <= got else f"list lacks {len(set(names) - got)} task(s)"
    judge(steps["list"], listed, api, missing)
    folder = Path(answer["imported"][0]["file"]).parent
    templates = {n: json.loads((folder / f"{n}.json").read_text()) for n in names}
    picks = _crud(templates)
    sampled = list(dict.fromkeys([*picks.values(), *names]))[:SAMPLED]
    steps["describe"] = _each(names, lambda n: cli("describe", n))
    steps["dry-run"] = _each(
        names, lambda n: cli("render", n, "--input", _inputs(work, n, templates), "--json")
    )
    steps["test-request"] = _test_requests(
        list(dict.fromkeys(picks.values())) or names[:1], templates, work
    )
    steps["create-read"] = _create_read(templates, picks, work)
    steps["export-import"] = _round_trips(sampled, templates, work)
    first = picks.get("create") or picks.get("update") or picks.get("list") or names[0]
    steps["batch"] = _batch(first, templates, work)
    steps["search"] = _search(sampled, templates)
    return steps


def _test_requests(names: list[str], templates: dict[str, Any], work: Path) -> Step:
    """Each with its example, no options: the emulator answers. A declared answer counts
    (a read of an example id the emulator never saw is a declared 404, as the API's would
    be); an undeclared one (401 of a credential not sent, no such route) does not."""
    step = Step()
    for name in names:
        run = cli("test-request", name, "--input", _inputs(work, name, templates), "--json")
        if run.code == 1 and not run.crash and _undeclared(run, templates[name]) is None:
            step.ok += 1
        else:
            judge(step, run, name)
    return step


def _undeclared(run: Any, template: dict[str, Any]) -> str | None:
    """None when a FAILED answer is one the operation declares (a 4xx it lists)."""
    try:
        response = run.json().get("response") or {}
    except ValueError:
        return "no JSON result"
    status, body = response.get("statusCode"), response.get("body")
    if isinstance(body, dict) and body.get("detail") == "no such route":
        return "the emulator does not serve the operation"
    declared = set(template.get("responses") or {})
    if status in (401, 403) or status is None:
        return f"emulator answered {status}"
    if str(status) in declared or f"{str(status)[0]}XX" in declared or "default" in declared:
        return None
    return f"emulator answered {status}, not declared"


def _each(names: list[str], command: Any) -> Step:
    step = Step()
    for name in names:
        judge(step, command(name), name)
    return step


def _inputs(work: Path, name: str, templates: dict[str, Any]) -> str:
    path = work / f"{name}.input.json"
    if not path.exists():
        path.write_text(json.dumps(example(templates[name])))
    return str(path)


def _crud(templates: dict[str, Any]) -> dict[str, str]:
    """The first create, read, list, update and delete, by method and path shape."""
    picks: dict[str, str] = {}
    for name, template in templates.items():
        request = template["httpRequest"]
        method, url = request["method"], request["url"].rstrip("/")
        item = bool(_PARAM.search(url.rsplit("/", 1)[-1]))
        kind = {
            ("POST", False): "create",
            ("GET", True): "read",
            ("GET", False): "list",
            ("PUT", True): "update",
            ("PATCH", True): "update",
            ("DELETE", True): "delete",
        }.get((method, item))
        if kind is not None:
            picks.setdefault(kind, name)
    return picks


def _create_read(templates: dict[str, Any], picks: dict[str, str], work: Path) -> Step:
    """Create a resource with the example, read it back by the id answered, compare fields."""
    step = Step()
    pair = _collection_pair(templates)
    if pair is None:
        return step  # no create with a read beside it: not applicable
    create, read = pair
    from connector._template import parse_template
    from connector.emulator import Emulator, emulation_for

    template = parse_template(templates[create], source=create)
    emulation = emulation_for(template)
    # as `connector emulator --spec` and a key made for it: --base-url names the emulator
    keys = template.auth.local_environ({}, "sk_local_directory")  # stand-ins, as local uses
    with Emulator(host="127.0.0.1", port=0, api=emulation.api) as emulator, _environ(keys):
        base = _local_base(templates[create], emulator.url)
        made = cli(
            "test-request",
            create,
            "--input",
            _inputs(work, create, templates),
            "--base-url",
            base,
            "--json",
        )
        if not judge(Step(), made, create):
            judge(step, made, create)
            return step
        sent = _sent_body(templates[create])
        body = (made.json().get("response") or {}).get("body")
        ident = _find_id(body)
        if ident is None:
            step.failed.append(("create answered no id", f"{create}: {json.dumps(body)[:200]}"))
            return step
        inputs = example(templates[read])
        key = _PARAM.findall(templates[read]["httpRequest"]["url"])[-1][2:-2].strip()
        inputs[key] = ident
        path = work / f"{read}.read.json"
        path.write_text(json.dumps(inputs))
        got = cli("test-request", read, "--input", str(path), "--base-url", base, "--json")
        found = (got.json().get("response") or {}).get("body") if got.code == 0 else None
        judge(step, got, f"{create} then {read}", _disagrees(sent, found))
    return step


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ for the block (this process is the API's own)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _sent_body(template: dict[str, Any]) -> dict[str, Any]:
    """The body fields the example sends, by their names in the body (not path inputs)."""
    body, given = template["httpRequest"].get("body"), example(template)
    if not isinstance(body, dict):
        return {}
    placeholders = {k: str(v)[2:-2].strip() for k, v in body.items() if isinstance(v, str)}
    return {k: given[name] for k, name in placeholders.items() if name in given}


def _collection_pair(templates: dict[str, Any]) -> tuple[str, str] | None:
    """A POST on a collection and the GET of one item under it."""
    posts = {
        t["httpRequest"]["url"].rstrip("/"): n
        for n, t in templates.items()
        if t["httpRequest"]["method"] == "POST"
    }
    for name, template in templates.items():
        request = template["httpRequest"]
        if request["method"] != "GET":
            continue
        head, _, last = request["url"].rstrip("/").rpartition("/")
        if _PARAM.fullmatch(last) and head in posts:
            return posts[head], name
    return None


def _local_base(template: dict[str, Any], emulator_url: str) -> str:
    from urllib.parse import urlsplit

    local = template.get("servers", {}).get("local", "http://127.0.0.1/")
    if isinstance(local, dict):  # a server with variables: their defaults fill the path
        url = str(local.get("url", ""))
        for name, spec in (local.get("variables") or {}).items():
            url = url.replace(f"<<{name}>>", str(spec.get("default", "")))
        local = url
    return emulator_url.rstrip("/") + urlsplit(local).path


def _find_id(body: Any) -> str | None:
    """The created resource's id: `id` at the top, or in the one object it wraps."""
    if isinstance(body, dict):
        ids = [k for k in body if k.lower().endswith("id") and k.lower() != "id"]
        for key in ("id", *ids, "uuid", "uid", "key", "name"):
            if isinstance(body.get(key), str | int) and body[key] != "":
                return str(body[key])
        inner = [v for v in body.values() if isinstance(v, dict)]
        inner += [
            v[0] for v in body.values() if isinstance(v, list) and v and isinstance(v[0], dict)
        ]
        for value in inner:
            found = _find_id(value)
            if found is not None:
                return found
    return None


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _disagrees(sent: Any, found: Any) -> str | None:
    """None when every scalar field sent is in the read (at the top or in a wrapper)."""
    if not isinstance(sent, dict) or not isinstance(found, dict):
        return None if found is not None else "read answered no body"
    candidates = [found, *(v for v in found.values() if isinstance(v, dict))]
    scalars = {k: v for k, v in sent.items() if isinstance(v, str | int | float | bool)}
    for candidate in candidates:
        if all(candidate.get(k) == v for k, v in scalars.items()):
            return None
    return "read differs from what was created"


def _round_trips(names: list[str], templates: dict[str, Any], work: Path) -> Step:
    """Default export, then import, per engine: same name, auth and inputs."""
    step = Step()
    for name in names:
        for engine in ENGINES:
            out, back = work / f"{name}.{engine}.json", work / f"{name}.{engine}.back.json"
            run = cli("export", name, "--engine", engine, "-o", str(out))
            if not judge(Step(), run, name):
                judge(step, run, f"export {engine} {name}")
                continue
            run = cli("import", str(out), "--engine", engine, "-o", str(back))
            problem = _differs(templates[name], back) if run.code == 0 else None
            judge(step, run, f"import {engine} {name}", problem)
    return step


def _differs(template: dict[str, Any], back: Path) -> str | None:
    """Same name, same auth, the same parameters, and every required body field an input."""
    got = json.loads(back.read_text())
    if got.get("name") != template["name"]:
        return "round trip: another name"
    if (got.get("auth") or None) != (template.get("auth") or None):
        return "round trip: other auth"
    if set(got.get("parameters") or {}) != set(template.get("parameters") or {}):
        return "round trip: other parameters"
    body = (got.get("httpRequest") or {}).get("body")
    schema = template.get("bodySchema") or {}
    required = set(schema.get("required", [])) if isinstance(schema, dict) else set()
    if isinstance(template["httpRequest"].get("body"), dict) and not required <= set(body or {}):
        return "round trip: a required body field lost"
    return None


def _batch(name: str, templates: dict[str, Any], work: Path) -> Step:
    step = Step()
    inputs, results = work / "batch.jsonl", work / "batch.results.jsonl"
    inputs.write_text("".join(json.dumps(example(templates[name])) + "\n" for _ in range(10)))
    run = cli("run", name, "--inputs", str(inputs), "--results", str(results), "--json")
    summary = run.json() if run.code in (0, 1) and run.out.strip().startswith("{") else {}
    if run.code == 1 and not run.crash and _all_declared(results, templates[name]):
        step.ok += 1  # every line answered as the API declares (a read of an unknown id: 404)
        return step
    problem = None if summary.get("completed", 0) == 10 else f"batch: {_counts(summary)}"
    judge(step, run, name, problem if run.code == 0 else None)
    return step


def _all_declared(results: Path, template: dict[str, Any]) -> bool:
    """Whether each of the 10 results is COMPLETED or an answer the operation declares."""
    lines = results.read_text().splitlines() if results.is_file() else []
    records = [json.loads(line) for line in lines if line.strip()]
    return len(records) == 10 and all(
        r.get("status") == "COMPLETED" or _undeclared(_Result(r), template) is None for r in records
    )


class _Result:
    """A results-file record, read as `_undeclared` reads a command's JSON."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def json(self) -> dict[str, Any]:
        return self.record


def _counts(summary: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int))


def _search(names: list[str], templates: dict[str, Any]) -> Step:
    step = Step()
    for name in names:
        query = templates[name].get("title") or name
        run = cli("search", query, "--json")
        hits = [row["name"] for row in run.json()] if run.code == 0 else []
        judge(step, run, f"{name}: {query!r}", None if name in hits else "not in the first 10")
    return step
