"""Checking Arazzo documents: the shape (agreeing with the OAI 1.0 JSON Schema on the OAI
examples), the semantic rules, each problem named by its JSON pointer, and the sources
(local files imported on the fly, remote URLs never fetched, AsyncAPI refused)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from connector._errors import WorkflowError
from connector.arazzo import open_workflows, parse_document
from connector.arazzo._check import check_document
from connector.arazzo._load import from_data
from connector.arazzo._sources import resolve_sources

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "arazzo"
EXAMPLES = SHARED / "examples" / "1.0.0"
SCHEMA = SHARED / "_archive_" / "schemas" / "v1.0" / "schema.json"
ARAZZO_FILES = sorted(EXAMPLES.glob("*arazzo*.yaml"))
pytestmark = pytest.mark.skipif(not ARAZZO_FILES, reason=f"no Arazzo examples at {EXAMPLES}")


def _pointers(error: WorkflowError) -> list[str]:
    return [f"{e.field}: {e.message}" for e in error.field_errors]


@pytest.mark.parametrize("path", ARAZZO_FILES, ids=lambda p: p.name)
def test_oai_example_has_the_shape_the_official_schema_accepts(path: Path) -> None:
    """Every OAI example is accepted both by the OAI 1.0 JSON Schema and by our models."""
    data = yaml.safe_load(path.read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert from_data(data, source=path.name).workflows


MUTATIONS = [
    (
        "unknown key",
        lambda d: d["workflows"][0]["steps"][0].update(operationRef="x"),
        "/workflows/0/steps/0",
    ),
    ("no steps", lambda d: d["workflows"][0].update(steps=[]), "/workflows/0/steps"),
    (
        "bad action type",
        lambda d: d["workflows"][0]["steps"][0].update(onSuccess=[{"name": "a", "type": "retry"}]),
        "/workflows/0/steps/0/onSuccess/0",
    ),
    (
        "negative retryLimit",
        lambda d: d["workflows"][0]["steps"][0].update(
            onFailure=[{"name": "a", "type": "retry", "retryLimit": -1}]
        ),
        "/workflows/0/steps/0/onFailure/0",
    ),
    ("no info", lambda d: d.pop("info"), "/info"),
]


@pytest.mark.parametrize(("name", "mutate", "pointer"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_shape_the_official_schema_refuses_is_refused_by_pointer(
    name: str, mutate: Any, pointer: str
) -> None:
    """A document broken in a way the OAI schema refuses is refused here, naming where."""
    data = yaml.safe_load((EXAMPLES / "pet-coupons.arazzo.yaml").read_text())
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    with pytest.raises(WorkflowError) as caught:
        from_data(data, source=name)
    assert any(e.field.startswith(pointer) for e in caught.value.field_errors), _pointers(
        caught.value
    )


# what the checks find in the OAI examples as published (each a real defect of the example)
DEFECTS = {
    "pet-coupons.arazzo.yaml": [
        "/workflows/0/steps/0/parameters/0: query parameter 'pet_tags' is not one of find-pets-by-tags's (its parameters: query tags)",  # noqa: E501
        "/workflows/0/steps/1/parameters/0: path parameter 'pet_id' is not one of get-pet-coupons's (its parameters: path petId)",  # noqa: E501
    ],
    "FAPI-PAR.arazzo.yaml": [
        "/workflows/0/steps/0/operationId: no operation 'PAR' in the sources 'auth-api'"
    ],
    "oauth.arazzo.yaml": [
        "/workflows/0/steps/1/requestBody/payload/refresh_token: not a body field of get-token (its fields: client_id, client_secret, code, grant_type, redirect_uri)"  # noqa: E501
    ],
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_oai_example_defects_are_named_by_pointer(name: str) -> None:
    """The published examples break the rules in ways a runner must not guess past."""
    with pytest.raises(WorkflowError) as caught:
        open_workflows(EXAMPLES / name)
    assert _pointers(caught.value) == DEFECTS[name]


def test_bnpl_with_a_local_copy_of_its_source_lists_every_defect() -> None:
    """The BNPL example's remote source read from the local copy (`--source`): its dangling
    outputs, self-reference, unknown parameter and broken output expression are each named."""
    with pytest.raises(WorkflowError) as caught:
        open_workflows(
            EXAMPLES / "bnpl-arazzo.yaml", sources={"BnplApi": str(EXAMPLES / "bnpl-openapi.yaml")}
        )
    found = _pointers(caught.value)
    assert (
        "/workflows/0/steps/5/parameters/0/value: $steps.initiateBnplTransaction.outputs.loanTransactionId: step 'initiateBnplTransaction' has no output 'loanTransactionId'"  # noqa: E501
        in found
    )
    assert (
        "/workflows/0/outputs/finalizedPaymentPlan: '$steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan' is not a runtime expression"  # noqa: E501
        in found
    )
    assert len(found) == 6


def test_remote_source_is_never_fetched_without_the_flag() -> None:
    """A source named by an https URL is refused, saying how to give it, with nothing fetched."""
    with pytest.raises(WorkflowError) as caught:
        open_workflows(EXAMPLES / "LoginAndRetrievePets.arazzo.yaml")
    (error,) = caught.value.field_errors
    assert error.field == "/sourceDescriptions/0"
    assert "is remote and is not fetched: give --source NAME=PATH" in error.message


def test_remote_source_is_fetched_only_through_the_given_function(tmp_path: Path) -> None:
    """With a fetch function (the user's --allow-remote), the URL is read through it."""
    text = (EXAMPLES / "pet-coupons.openapi.yaml").read_text()
    asked: list[str] = []
    document = parse_document(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: [{name: p, url: 'https://x.example/p.yaml'}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: getPetById, parameters: [{name: petId, in: path, value: 1}]}]}]\n",  # noqa: E501
        source="t",
    )
    sources = resolve_sources(document, tmp_path, fetch=lambda url: asked.append(url) or text)
    check_document(document, sources)
    assert asked == ["https://x.example/p.yaml"]


def _doc(steps: str, version: str = "1.0.1", extra: str = "") -> str:
    return (
        f"arazzo: {version}\ninfo: {{title: t, version: '1'}}\n"
        "sourceDescriptions: [{name: rebilly, url: 'catalog:rebilly', type: openapi}]\n"
        f"{extra}workflows:\n  - workflowId: w\n    steps:\n{steps}"
    )


READ = "      - {stepId: %s, operationId: GetPayoutRequest, parameters: [{name: id, in: path, value: %s}]%s}\n"  # noqa: E501

RULES = [
    (
        "step id used twice",
        READ % ("a", "x", "") + READ % ("a", "y", ""),
        "/workflows/0/steps/1/stepId: 'a' is used twice",
    ),
    (
        "output read before it exists",
        READ % ("a", "$steps.b.outputs.id", "")
        + READ % ("b", "x", ", outputs: {id: $response.body#/id}"),
        "/workflows/0/steps/0/parameters/0/value: $steps.b.outputs.id: step 'b' cannot have run before step 'a'",  # noqa: E501
    ),
    (
        "response read before sending",
        READ % ("a", "$response.body#/id", ""),
        "/workflows/0/steps/0/parameters/0/value: $response.body#/id: no request or response exists before the step is sent",  # noqa: E501
    ),
    (
        "goto to no step",
        READ % ("a", "x", ", onSuccess: [{name: g, type: goto, stepId: nowhere}]"),
        "/workflows/0/steps/0: action 'g': no step 'nowhere' in this workflow",
    ),
    (
        "retry through another step",
        READ % ("a", "x", ", onFailure: [{name: r, type: retry, stepId: a}]"),
        "/workflows/0/steps/0: action 'r': a retry that first runs another step or workflow is not supported (retry alone)",  # noqa: E501
    ),
    (
        "unknown operation",
        "      - {stepId: a, operationId: NoSuchOperation}\n",
        "/workflows/0/steps/0/operationId: no operation 'NoSuchOperation' in the sources 'rebilly'",
    ),
    (
        "xpath criterion",
        READ
        % ("a", "x", ", successCriteria: [{context: $response.body, condition: /x, type: xpath}]"),
        "/workflows/0/steps/0/successCriteria/0: xpath conditions are not supported: the connector sends and reads JSON (use jsonpath or a simple condition)",  # noqa: E501
    ),
    (
        "1.1 field in a 1.0 document",
        READ % ("a", "x", ", timeout: 100"),
        "/workflows/0/steps/0/timeout: added in Arazzo 1.1; this document is 1.0.1",
    ),
    (
        "bad simple condition",
        READ % ("a", "x", ", successCriteria: [{condition: '$statusCode = 200'}]"),
        "/workflows/0/steps/0/successCriteria/0: cannot read '= 200' in '$statusCode = 200'",
    ),
]


@pytest.mark.parametrize(("name", "steps", "expected"), RULES, ids=[r[0] for r in RULES])
def test_rule_is_checked_and_named_by_pointer(name: str, steps: str, expected: str) -> None:
    """Each semantic rule refuses its breach with the field's JSON pointer."""
    document = parse_document(_doc(steps), source=name)
    with pytest.raises(WorkflowError) as caught:
        check_document(document, resolve_sources(document, Path()))
    assert expected in _pointers(caught.value)


def test_a_loop_may_read_an_output_of_a_later_step_it_goes_back_from() -> None:
    """A step reading a later step's output is fine when a goto brings control back to it."""
    steps = READ % ("a", "$steps.b.outputs.id", "") + READ % (
        "b",
        "x",
        ", outputs: {id: $response.body#/id}, onSuccess: [{name: again, type: goto, stepId: a}]",
    )
    document = parse_document(_doc(steps), source="loop")
    assert check_document(document, resolve_sources(document, Path()))


def test_asyncapi_source_is_refused_with_its_reason() -> None:
    """The OAI AsyncAPI example as a source: refused, saying why, before anything else."""
    text = _doc(READ % ("a", "x", "")).replace(
        "[{name: rebilly, url: 'catalog:rebilly', type: openapi}]",
        f"[{{name: rebilly, url: 'catalog:rebilly', type: openapi}}, {{name: pets, url: '{SHARED}/examples/1.1.0/pet-asyncapi.yaml', type: asyncapi}}]",  # noqa: E501
    )
    document = parse_document(text, source="async")
    with pytest.raises(WorkflowError) as caught:
        resolve_sources(document, Path())
    (error,) = caught.value.field_errors
    assert error.field == "/sourceDescriptions/1"
    assert error.message.startswith("AsyncAPI sources are not supported")


def test_arazzo_source_nests_and_its_workflows_resolve(tmp_path: Path) -> None:
    """An `arazzo` source is read and checked in turn; a step may call its workflow."""
    inner = tmp_path / "inner.arazzo.yaml"
    inner.write_text(_doc(READ % ("a", "x", "")))
    outer = _doc("      - {stepId: call, workflowId: $sourceDescriptions.inner.w}\n").replace(
        "[{name: rebilly,", f"[{{name: inner, url: '{inner.name}', type: arazzo}}, {{name: rebilly,"
    )
    document = parse_document(outer, source="outer")
    sources = resolve_sources(document, tmp_path)
    assert sources.by_name["inner"].arazzo is not None
    assert check_document(document, sources)


def test_a_document_copy_is_not_changed_by_checking() -> None:
    """Checking reads the document; the parsed model is left as it was."""
    document = parse_document(_doc(READ % ("a", "x", "")), source="t")
    before = copy.deepcopy(document.model_dump())
    check_document(document, resolve_sources(document, Path()))
    assert document.model_dump() == before


def test_allow_remote_downloads_a_source_and_only_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workflow validate` refuses a source named by URL; with `--allow-remote` it downloads
    it (from a loopback server here) and the document validates."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from connector.cli import main

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(EXAMPLES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pet-coupons.openapi.yaml"
        document = tmp_path / "remote.arazzo.yaml"
        document.write_text(
            "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
            f"sourceDescriptions: [{{name: pets, url: '{url}', type: openapi}}]\n"
            "workflows: [{workflowId: w, steps: [{stepId: s, operationId: getPetById, "
            "parameters: [{name: petId, in: path, value: 1}]}]}]\n"
        )
        assert main(["workflow", "validate", str(document)]) == 2
        assert "is remote and is not fetched" in capsys.readouterr().err
        assert main(["workflow", "validate", str(document), "--allow-remote"]) == 0
        assert "w: valid (1 steps)" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()
