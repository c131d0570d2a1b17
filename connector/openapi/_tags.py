"""The palette group of an operation from OpenAPI 3.2's tag tree (`parent` and `kind`).

A 3.2 description may nest tags (`parent`) and say what a tag is for (`kind`: `nav` groups
operations for navigation; `badge`, `audience` and others label them). An operation is filed
under its first tag that groups (no kind, or `nav`), written as its path from the root
(`Payouts / Requests`). Without either keyword the first tag is the group, as before, and no
group is written.
"""

from __future__ import annotations

from typing import Any

from connector.openapi._refs import as_dict, as_list

MAX_DEPTH = 16
_GROUPING = (None, "nav")


def palette_group(document: dict[str, Any], tags: list[str]) -> str | None:
    """The group path of an operation with `tags`; None when it is simply the first tag."""
    declared = {
        entry["name"]: entry
        for entry in as_list(document.get("tags"))
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }
    for tag in tags:
        if as_dict(declared.get(tag)).get("kind") in _GROUPING:
            chain = _ancestry(tag, declared)
            return None if chain == [tags[0]] else " / ".join(chain)
    return None


def _ancestry(tag: str, declared: dict[str, Any]) -> list[str]:
    """`tag` and its parents, root first (a loop or an undeclared parent ends the walk)."""
    chain = [tag]
    while len(chain) < MAX_DEPTH:
        parent = as_dict(declared.get(chain[0])).get("parent")
        if not isinstance(parent, str) or parent not in declared or parent in chain:
            break
        chain.insert(0, parent)
    return chain
