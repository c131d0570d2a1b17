"""`connector workflow run FILE --engine temporal`: the run submitted to Temporal, durably.

The workflow runs on workers started with `connector worker --engine temporal --arazzo
FILE` (the document is named by its file name up to the first dot, and the workers check
it themselves); where steps send and with which credentials is the workers' choice, so
`--environment`, `--base-url` and `--fault` are refused here. The command waits for the
result and reports it as a local run does. Exit 0 COMPLETED, 1 otherwise, 2 not submitted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, fail, print_json
from connector.cli._temporal import missing_options


def run_durably(args: argparse.Namespace, workflow_id: str, given: dict[str, Any]) -> int:
    """Submit, wait, report."""
    missing = missing_options(args)
    if missing:
        return fail("usage", f"--engine temporal needs {missing}", as_json=args.json)
    if args.fault or args.base_url or args.environment != "local":
        said = "--environment, --base-url and --fault belong to the workers (nothing was sent)"
        return fail("usage", said, as_json=args.json)
    try:
        cursor = _submit(args, workflow_id, given)
    except ImportError:
        return fail(
            "usage", "install the extra: pip install 'connector[temporal]'", as_json=args.json
        )
    except RuntimeError as exc:  # temporalio's connection failure
        return fail("usage", f"cannot reach {args.address}: {exc}", as_json=args.json)
    _report(cursor, as_json=args.json)
    return EXIT_OK if cursor.get("status") == "COMPLETED" else EXIT_FAILED


def _submit(args: argparse.Namespace, workflow_id: str, given: dict[str, Any]) -> dict[str, Any]:
    import asyncio
    import uuid

    from temporalio.client import Client

    from connector.temporal._arazzo_workflow import ArazzoJob, ArazzoWorkflow

    document = Path(args.file).name.split(".")[0]
    job = ArazzoJob(document, workflow_id, given, max_steps=max(1, args.max_steps))

    async def submit() -> dict[str, Any]:
        client = await Client.connect(args.address, namespace=args.namespace)
        run_id = f"arazzo-{document}-{workflow_id}-{uuid.uuid4().hex[:12]}"
        result = await client.execute_workflow(
            ArazzoWorkflow.run, job, id=run_id, task_queue=args.task_queue
        )
        return dict(result)

    return asyncio.run(submit())


def _report(cursor: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(cursor)
        return
    records = cursor.get("records", [])
    width = max((len(r["stepId"]) for r in records), default=4)
    for record in records:
        state = "ok    " if record["succeeded"] else "failed"
        why = f"  ({record['reason']})" if record["reason"] else ""
        sys.stdout.write(f"{record['stepId']:<{width}}  {state}  -> {record['action']}{why}\n")
    reason = f" ({cursor['reason']})" if cursor.get("reason") else ""
    sys.stdout.write(f"{cursor['workflowId']}: {cursor['status']}{reason}\n")
    if cursor.get("outputs"):
        print_json(cursor["outputs"])
