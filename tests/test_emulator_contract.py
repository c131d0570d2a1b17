"""The emulator against Rebilly's published description of GET and PUT /payout-requests/{id}.

schemathesis generates requests from tests/data/rebilly-put-payout-request.openapi.json
(boundary cases of every constraint, then random valid and invalid ones, with a fixed seed)
and checks every answer against the published responses: status codes, content types,
headers, body schemas, 2xx for valid data, 4xx for invalid data, 401 for a wrong key.
The one answer outside the description is the 400 for a body that is not JSON at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from connector.emulator import Emulator  # noqa: E402

KEY = "sk_sandbox_contract"
DESCRIPTION = Path(__file__).resolve().parent / "data" / "rebilly-put-payout-request.openapi.json"

schema = schemathesis.openapi.from_path(DESCRIPTION)
schema.config.phases.update(phases=["coverage", "fuzzing"])
schema.config.generation.update(
    allow_x00=False, deterministic=True, max_examples=25, database="none"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_keys={KEY}, rate_limit=(10**9, 600)) as running:
        yield running


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_emulator_answers_as_published(case: Any, emulator: Emulator) -> None:
    response = case.call(base_url=emulator.base_url("org-1"), headers={"REB-APIKEY": KEY})
    if response.status_code == 400:  # malformed JSON: not in the description, as the brief says
        body = response.request.body
        if body:
            with pytest.raises(ValueError):
                json.loads(body)
        assert response.json()["status"] == 400
        return
    case.validate_response(response)
