"""The palette: the whole catalogue (shipped and imported tasks) by API then tag, or the
tasks that match a query, ranked by `connector search`'s own function.

A task's `ref` is what the page sends back to name it: `NAME` for a shipped task,
`API/NAME` for an imported one (as `connector test-request API/NAME` takes it), so an
imported task never shadows a shipped one of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from connector._catalog import load_task, task_names
from connector._errors import ConnectorError
from connector._search import catalogue_index, search_catalogue
from connector._store import template_path
from connector._task import Task
from connector.service._models import Catalogue, CatalogueGroup, CatalogueTag, CatalogueTask

UNTAGGED = "Other"
"""The tag of a task whose operation has none."""


def catalogue(query: str | None, limit: int) -> Catalogue:
    """Every task by API and tag; with a query, the best `limit` matches instead."""
    index = catalogue_index()
    query = (query or "").strip() or None
    if query is None:
        tasks = [entry(row) for row in index.rows]
        return Catalogue(query=None, total=len(tasks), groups=grouped(tasks, sort_tags=True))
    hits = [entry(hit.row, hit.score) for hit in search_catalogue(query, limit)]
    groups = grouped(hits, sort_tags=False)
    return Catalogue(query=query, total=len(index.rows), groups=groups, hits=hits)


def entry(row: Mapping[str, Any], score: float | None = None) -> CatalogueTask:
    """A catalogue row as the palette shows it."""
    source = "shipped" if row.get("source") == "shipped" else "imported"
    api = str(row.get("api") or "")
    name = str(row["name"])
    tags = row.get("tags") or []
    return CatalogueTask(
        ref=name if source == "shipped" else f"{api}/{name}",
        name=name,
        api=api,
        source=source,
        operation_id=row.get("operationId"),
        title=str(row.get("title") or name),
        method=str(row.get("method") or ""),
        path=str(row.get("path") or ""),
        tag=str(tags[0]) if tags else UNTAGGED,
        score=score,
    )


def grouped(tasks: Iterable[CatalogueTask], *, sort_tags: bool) -> list[CatalogueGroup]:
    """Tasks by API (in first-seen order), then by tag (sorted, or in first-seen order)."""
    apis: dict[tuple[str, str], dict[str, list[CatalogueTask]]] = {}
    for task in tasks:
        apis.setdefault((task.api, task.source), {}).setdefault(task.tag, []).append(task)
    groups = []
    for (api, source), tags in apis.items():
        names = sorted(tags, key=str.casefold) if sort_tags else list(tags)
        groups.append(
            CatalogueGroup(
                api=api,
                source=source,
                count=sum(len(found) for found in tags.values()),
                tags=[CatalogueTag(tag=name, tasks=tags[name]) for name in names],
            )
        )
    return groups


class NotFoundError(ConnectorError):
    """The API was asked for a task that is neither shipped nor imported."""

    kind = "not_found"


def task_for_ref(ref: str) -> Task:
    """A shipped task by NAME, or an imported one by API/NAME: never a path from a request.

    Raises:
        NotFoundError: no such task.
    """
    if ref in task_names():
        return load_task(ref)
    path = _imported(ref)
    if path is None:
        raise NotFoundError(f"no task named {ref!r}", task=None)
    return load_task(path)


def _imported(ref: str) -> Path | None:
    api, slash, name = ref.partition("/")
    if not slash or not api or "/" in name:
        return None
    try:
        return template_path(ref)
    except LookupError:  # only for a bare NAME, which is never looked up here
        return None
