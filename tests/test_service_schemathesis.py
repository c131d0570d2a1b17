"""The service against its own OpenAPI description, by schemathesis: no server error, and no
response that breaks the described schema, for generated valid and invalid requests.

Bounded and deterministic: few examples per operation, derandomized, no database. Test
requests reach only the loopback emulator; anything aimed elsewhere is answered here.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from connector._request import PreparedRequest  # noqa: E402
from connector._result import ErrorInfo, TaskResult  # noqa: E402
from connector._task import Task  # noqa: E402
from connector.emulator import Emulator  # noqa: E402
from connector.service import LocalTarget, create_app  # noqa: E402
from connector.service._app import default_runner  # noqa: E402

_EMULATOR = Emulator(host="127.0.0.1", port=0)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]
"""Server errors, answers outside the description, and invalid requests accepted. Not
`positive_data_acceptance`: a schema-valid request may still carry invalid task input,
which is answered 422 with its field errors, as described."""


def loopback_only(request: PreparedRequest, task: Task) -> TaskResult:
    """Send to the loopback emulator; refuse (as a FAILED result) anything else."""
    if urlsplit(request.url).hostname == "127.0.0.1":
        return default_runner(request, task)
    error = ErrorInfo(kind="connection", message="not sent: this test reaches loopback only")
    return TaskResult(status="FAILED", error=error)


APP = create_app(local=LocalTarget(emulator=_EMULATOR), runner=loopback_only, environ={})
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def running_emulator() -> Iterator[None]:
    """The emulator runs for this module only."""
    with _EMULATOR:
        yield


@schema.parametrize()
@settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_description(case: schemathesis.Case) -> None:
    """Every generated request gets a documented answer and never a server error."""
    case.call_and_validate(checks=CHECKS)
