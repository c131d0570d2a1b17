"""The connector's local web service: the JSON API over the core, and the page.

    GET  /api/manifest                      the shipped manifest
    GET  /api/tasks                         every shipped task, summarised
    GET  /api/catalogue?q=&limit=           the palette: every task by API and tag, or a
                                            query's matches ranked as `connector search` does
    GET  /api/engines                       the engines a step can be exported to
    GET  /api/tasks/{name}                  one task: template, input and body schemas
                                            (name: a shipped NAME or an imported API/NAME)
    GET  /api/tasks/{name}/reference        its reference documentation
    POST /api/tasks/{name}/render           dry run: the exact request, nothing sent
    POST /api/tasks/{name}/test-request     send it; the structured response
    POST /api/tasks/{name}/export           the configured step as an engine's task JSON
    POST /api/import                        an engine's task JSON back into a step
    POST /api/workflows/plan                an Arazzo document's dry run (catalogue sources)

Definition-time errors (nothing sent) answer 4xx with `{"error": {kind, message,
fieldErrors}}`; a request that was sent answers 200 with the structured response, whatever
the remote status. Credentials are read from the server's environment only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any, cast

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import JsonValue
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException

from connector._catalog import read_manifest, task_names
from connector._curl import curl_command
from connector._errors import ConnectorError, FieldError, InputError
from connector._executor import Executor
from connector._model import field_error
from connector._reference import Reference, reference
from connector._request import PreparedRequest
from connector._result import TaskResult
from connector._task import Task
from connector._version import __version__
from connector.engines import engines
from connector.service import _engines, _palette, _workflows
from connector.service._guards import Guard, GuardSettings
from connector.service._local import LocalTarget
from connector.service._models import (
    Catalogue,
    EngineInfo,
    ErrorBody,
    ExportRequest,
    ExportResponse,
    ImportRequest,
    ImportResponse,
    PreparedView,
    RenderRequest,
    TaskDetail,
    TaskSummary,
    TestRequest,
)
from connector.service._palette import task_for_ref
from connector.service._workflows import WorkflowPlanRequest

Runner = Callable[[PreparedRequest, Task], TaskResult]
"""Sends a prepared request for a task and returns the structured response."""

STATIC = files("connector.service") / "static"

_Responses = dict[int | str, dict[str, Any]]

_NOT_FOUND: _Responses = {404: {"model": ErrorBody, "description": "No such task"}}
_BAD_QUERY: _Responses = {422: {"model": ErrorBody, "description": "q or limit is not valid"}}
_REFUSED: _Responses = {
    400: {"model": ErrorBody, "description": "The body is not JSON"},
    413: {"model": ErrorBody, "description": "The body is too large"},
    422: {"model": ErrorBody, "description": "Invalid input: nothing was sent"},
}


_STATUS = {"not_found": 404}


def default_runner(request: PreparedRequest, task: Task) -> TaskResult:
    """Send with the connector's executor, under the template's retry policy."""
    with Executor() as executor:
        return executor.execute(request, task.template)


def create_app(
    *,
    token: str | None = None,
    allowed_hosts: frozenset[str] | None = None,
    local: LocalTarget | None = None,
    runner: Runner | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """The ASGI application: the FastAPI app behind the request guard.

    Args:
        token: when set, every API request must carry it (required beyond loopback).
        allowed_hosts: host names the service answers for (None: any).
        local: the local emulator target; one is started on first use if None.
        runner: sends a prepared request; the connector's executor if None.
        environ: where credentials are read; `os.environ` if None.
    """
    app = build_api(local=local or LocalTarget(), runner=runner or default_runner, environ=environ)
    return Guard(app, GuardSettings(token=token, allowed_hosts=allowed_hosts))


def build_api(
    *, local: LocalTarget, runner: Runner, environ: Mapping[str, str] | None = None
) -> FastAPI:
    """The FastAPI app with its routes (without the guard)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        local.close()

    app = FastAPI(
        title="connector",
        version=__version__,
        description="API operations as workflow steps: dry run, test request, export.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.local = local
    app.state.runner = runner
    app.state.environ = environ
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ConnectorError, _connector_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _add_routes(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _add_routes(app: FastAPI) -> None:
    app.get("/", include_in_schema=False)(_page)
    app.get("/api/manifest", response_model=dict[str, JsonValue])(_manifest)
    app.get("/api/tasks", response_model=list[TaskSummary])(_tasks)
    app.get("/api/engines", response_model=list[EngineInfo])(_engines_list)
    app.get("/api/catalogue", response_model=Catalogue, responses=_BAD_QUERY)(_catalogue)
    # `{name:path}` takes an imported task's API/NAME; the routes with a suffix come first
    app.get("/api/tasks/{name:path}/reference", response_model=Reference, responses=_NOT_FOUND)(
        _reference
    )
    app.get("/api/tasks/{name:path}", response_model=TaskDetail, responses=_NOT_FOUND)(_task)
    refused: _Responses = {**_NOT_FOUND, **_REFUSED}
    app.post("/api/tasks/{name:path}/render", response_model=PreparedView, responses=refused)(
        _render
    )
    app.post("/api/tasks/{name:path}/test-request", response_model=TaskResult, responses=refused)(
        _test_request
    )
    app.post("/api/tasks/{name:path}/export", response_model=ExportResponse, responses=refused)(
        _export
    )
    app.post("/api/import", response_model=ImportResponse, responses=_REFUSED)(_import)
    app.post("/api/workflows/plan", response_model=dict[str, JsonValue], responses=_REFUSED)(
        _workflow_plan
    )


# -- routes ---------------------------------------------------------------------------


def _workflow_plan(body: WorkflowPlanRequest) -> dict[str, Any]:
    """Dry run of an Arazzo workflow: each step's request and wiring; nothing is sent."""
    return _workflows.plan(body)


def _page() -> FileResponse:
    """The page."""
    return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-store"})


def _manifest() -> dict[str, Any]:
    """The shipped manifest: what the palette is built from."""
    return read_manifest()


def _engines_list() -> list[EngineInfo]:
    """The engines a step can be exported to and imported from."""
    return [EngineInfo(name=engine.name, title=engine.title) for engine in engines()]


def _catalogue(
    q: Annotated[str | None, Query(max_length=200, description="words, as connector search")] = (
        None
    ),
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many matches")] = 20,
) -> Catalogue:
    """The palette: every task by API and tag; with `q`, the best matches, ranked."""
    return _palette.catalogue(q, limit)


def _tasks() -> list[TaskSummary]:
    """Every shipped task, as the palette lists it."""
    return [_summary(task_for_ref(name)) for name in task_names()]


def _task(name: str) -> TaskDetail:
    """One task: its template, the schema of its inputs and of its body."""
    task = task_for_ref(name)
    template = task.template
    return TaskDetail(
        **_summary(task).model_dump(),
        template=template.to_json(),
        input_schema=task.input_schema(),
        body_schema=template.body_schema,
        environments=list(template.servers),
    )


def _reference(name: str) -> Reference:
    """The operation's reference documentation, as the page shows it beside the form."""
    return reference(task_for_ref(name))


def _render(name: str, body: RenderRequest, request: Request) -> PreparedView:
    """Dry run: render and validate; nothing is sent."""
    prepared = _prepare(request, task_for_ref(name), body)
    return PreparedView.model_validate({**prepared.public(), "curl": curl_command(prepared)})


def _test_request(name: str, body: TestRequest, request: Request) -> TaskResult:
    """Render, validate and send the request; the structured response of the run."""
    task = task_for_ref(name)
    if body.environment == "live" and not body.confirm_live:
        raise InputError(
            "environment 'live' moves real money: confirm it (confirmLive: true)",
            task=task.name,
            field_errors=[FieldError(field="confirmLive", message="must be true for live")],
        )
    prepared = _prepare(request, task, body)
    runner: Runner = request.app.state.runner
    return runner(prepared, task)


def _export(name: str, body: ExportRequest) -> ExportResponse:
    """The configured step as the engine's task JSON (no secret in it)."""
    task = task_for_ref(name)
    result = _engines.export(task, body)
    filename = f"{task.name}.{body.engine}.json"
    return ExportResponse(
        engine=body.engine, filename=filename, document=result.document, warnings=result.warnings
    )


def _import(body: ImportRequest) -> ImportResponse:
    """An engine's HTTP task JSON back into a step: its task, template and inputs."""
    return _engines.import_step(body)


# -- helpers --------------------------------------------------------------------------


def _summary(task: Task) -> TaskSummary:
    template = task.template
    return TaskSummary(
        name=task.name,
        title=template.title,
        description=template.description,
        method=template.http_request.method,
        path=template.http_request.url,
    )


def _prepare(request: Request, task: Task, body: RenderRequest) -> PreparedRequest:
    local: LocalTarget = request.app.state.local
    environ: Mapping[str, str] | None = request.app.state.environ
    if body.environment == "local":
        return task.prepare(
            body.inputs,
            environment="local",
            base_url=local.base_url(task.template),
            environ=local.environ(task.template, environ),
        )
    return task.prepare(body.inputs, environment=body.environment, environ=environ)


# -- errors ---------------------------------------------------------------------------


def _connector_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConnectorError)
    status = _STATUS.get(exc.kind, 422)
    return _error_response(status, ErrorBody.from_error(exc))


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = "not_found" if exc.status_code == 404 else "http"
    response = _error_response(exc.status_code, ErrorBody.of(kind, str(exc.detail)))
    response.headers.update(exc.headers or {})
    return response


def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return _error_response(400, ErrorBody.of("bad_json", _json_message(errors)))
    fields = [_field_error(cast(ErrorDetails, error)) for error in errors]
    return _error_response(422, ErrorBody.of("request", "the request is not valid", fields))


def _json_message(errors: list[Any]) -> str:
    error = next(e for e in errors if e.get("type") == "json_invalid")
    reason = error.get("ctx", {}).get("error", "invalid JSON")
    return f"the request body is not valid JSON: {reason}"


def _field_error(error: ErrorDetails) -> FieldError:
    """The field as the caller wrote it: FastAPI's `body`, `path` and `query` left out."""
    where = tuple(part for part in error["loc"] if part not in {"body", "path", "query"})
    return field_error(error | {"loc": where})


def _error_response(status: int, body: ErrorBody) -> JSONResponse:
    return JSONResponse(status_code=status, content=json.loads(body.model_dump_json(by_alias=True)))
