"""The palette: the whole catalogue (shipped and imported tasks) by API then tag, or the
tasks that match a query, ranked by `connector search`'s own function.

Shipped tasks are filed under the manifest's palette groups (in its order); imported ones
under their operation's first tag (sorted). A task's `ref` is what the page sends back to
name it: `NAME` for a shipped task,
`API/NAME` for an imported one (as `connector test-request API/NAME` takes it), so an
imported task never shadows a shipped one of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from connector._catalog import load_task, manifest_path, read_manifest, task_names
from connector._errors import ConnectorError
from connector._search import catalogue_rows, catalogue_size, search_catalogue
from connector._store import template_path
from connector._task import Task
from connector.service._models import Catalogue, CatalogueGroup, CatalogueTag, CatalogueTask

UNTAGGED = "Other"
"""The tag of an imported task whose operation has none."""

Place = tuple[int, str, int]
"""Where the manifest files a shipped task: (group position, group title, task position)."""


def catalogue(query: str | None, limit: int) -> Catalogue:
    """Every task by API and tag; with a query, the best `limit` matches instead."""
    places = shipped_places()
    query = (query or "").strip() or None
    if query is None:
        tasks = [entry(row, places) for row in catalogue_rows()]
        groups = grouped(tasks, places, ranked=False)
        return Catalogue(query=None, total=len(tasks), groups=groups)
    hits = [entry(hit.row, places, hit.score) for hit in search_catalogue(query, limit)]
    groups = grouped(hits, places, ranked=True)
    return Catalogue(query=query, total=catalogue_size(), groups=groups, hits=hits)


def shipped_places() -> dict[str, Place]:
    """Where the shipped manifest's palette groups file each shipped task."""
    stat = manifest_path().stat()
    return _places(stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _places(_mtime_ns: int, _size: int) -> dict[str, Place]:
    groups = read_manifest().get("groups") or []
    return {
        name: (position, str(group.get("title") or group.get("name")), order)
        for position, group in enumerate(groups)
        for order, name in enumerate(group.get("tasks") or [])
    }


def entry(
    row: Mapping[str, Any], places: Mapping[str, Place], score: float | None = None
) -> CatalogueTask:
    """A catalogue row as the palette shows it, filed under its manifest group or first tag."""
    source = "shipped" if row.get("source") == "shipped" else "imported"
    api = str(row.get("api") or "")
    name = str(row["name"])
    tags = row.get("tags") or []
    place = places.get(name) if source == "shipped" else None
    return CatalogueTask(
        ref=name if source == "shipped" else f"{api}/{name}",
        name=name,
        api=api,
        source=source,
        operation_id=row.get("operationId"),
        title=str(row.get("title") or name),
        method=str(row.get("method") or ""),
        path=str(row.get("path") or ""),
        tag=place[1] if place else str(row.get("group") or (tags[0] if tags else UNTAGGED)),
        score=score,
    )


def grouped(
    tasks: Iterable[CatalogueTask], places: Mapping[str, Place], *, ranked: bool
) -> list[CatalogueGroup]:
    """Tasks by API (in first-seen order), then by tag: ranked matches keep their order;
    otherwise the manifest's order for shipped tasks, tags sorted for imported ones."""
    apis: dict[tuple[str, str], dict[str, list[CatalogueTask]]] = {}
    listed = list(tasks)
    first: dict[tuple[str, str], int] = {}
    for task in listed:
        first.setdefault((task.api, task.source), len(first))
    if not ranked:
        listed.sort(key=lambda task: (first[task.api, task.source], *_within(task, places)))
    for task in listed:
        apis.setdefault((task.api, task.source), {}).setdefault(task.tag, []).append(task)
    return [
        CatalogueGroup(
            api=api,
            source=source,
            count=sum(len(found) for found in tags.values()),
            tags=[CatalogueTag(tag=name, tasks=found) for name, found in tags.items()],
        )
        for (api, source), tags in apis.items()
    ]


def _within(task: CatalogueTask, places: Mapping[str, Place]) -> tuple[int, str, int]:
    """A task's place in its API: a shipped one's in the manifest; an imported one by tag."""
    place = places.get(task.name) if task.source == "shipped" else None
    return (place[0], "", place[2]) if place else (len(places), task.tag.casefold(), 0)


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
