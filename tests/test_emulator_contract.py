"""The emulator against Rebilly's published description of the payout operations.

schemathesis generates requests from `../shared/openapi/rebilly-openapi.json`, restricted to
the 31 payout operations (`/payout-requests*`, `/payout-request-allocations*`,
`/payout-request-batches*`, `POST /payouts`): boundary cases of every constraint, then
random valid and invalid ones, with a fixed seed and a bounded number of examples. Every
answer is checked against the description: no server error, and no status code, content
type, header or body outside what it declares.

Not checked: that every schema-valid request is accepted (`positive_data_acceptance`).
Rebilly's description leaves some bodies optional (`PUT /payout-requests/{id}`) and some
ids free, where the server needs them; the emulator answers those 422 or 404 as declared.

`python -m pytest tests/test_emulator_contract.py -s` prints the figures (cases run per
status).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connector.emulator import Emulator  # noqa: E402
from connector.emulator._api import REBILLY_PATHS, rebilly_from_description  # noqa: E402

KEY = "sk_sandbox_contract"
DESCRIPTION = next(
    (
        folder / "shared" / "openapi" / "rebilly-openapi.json"
        for folder in Path(__file__).resolve().parents[1:]
        if (folder / "shared" / "openapi" / "rebilly-openapi.json").is_file()
    ),
    Path("../shared/openapi/rebilly-openapi.json"),
)
if not DESCRIPTION.is_file():
    pytest.skip(f"{DESCRIPTION} is not here", allow_module_level=True)

DOCUMENT: dict[str, Any] = json.loads(DESCRIPTION.read_text("utf-8"))


def payouts_only(document: dict[str, Any]) -> dict[str, Any]:
    """The description cut to the payout paths and the components they reach."""
    paths = {p: item for p, item in document["paths"].items() if p.startswith(REBILLY_PATHS)}
    kept: dict[str, Any] = {"paths": paths}
    components = document["components"]
    pending = [json.dumps(paths)]
    seen: set[str] = set()
    while pending:
        for ref in re.findall(r'"#/components/([^/"]+)/([^"]+)"', pending.pop()):
            if ref in seen:
                continue
            seen.add(ref)
            target = components[ref[0]][ref[1]]
            kept.setdefault(ref[0], {})[ref[1]] = target
            pending.append(json.dumps(target))
    schemes = {"securitySchemes": components["securitySchemes"]}
    parts = {k: v for k, v in kept.items() if k != "paths"}
    return {**document, "paths": paths, "webhooks": {}, "components": {**parts, **schemes}}


PAYOUTS = payouts_only(DOCUMENT)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FIGURES: Counter[str] = Counter()

schema = schemathesis.openapi.from_dict(PAYOUTS)
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(allow_x00=False, database="none", max_examples=10)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The emulator serving the payout operations read from the description itself."""
    api = rebilly_from_description(DOCUMENT)
    with Emulator(api_keys={KEY}, rate_limit=(10**9, 600), api=api) as running:
        yield running
    print(f"\nemulator conformance: {sum(FIGURES.values())} cases, by status {dict(FIGURES)}")


def test_the_description_has_the_31_payout_operations() -> None:
    """Every payout operation is served."""
    assert len(rebilly_from_description(DOCUMENT).operations) == 31


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_emulator_answers_as_published(case: Any, emulator: Emulator) -> None:
    """Every generated request gets an answer the description declares."""
    response = case.call(base_url=emulator.base_url("org-1"), headers={"REB-APIKEY": KEY})
    FIGURES[str(response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)
