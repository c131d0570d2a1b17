"""YAML aliases and merge keys, counted before a document is built.

An alias (`*a`) makes a node appear again wherever it is named, and a merge key (`<<: *a`)
copies a mapping's entries into another. Nested nine deep, nine aliases each, a few hundred
bytes name 387 million nodes: built, printed or walked, that is gigabytes. So the composed
node graph (where an alias is the very node it names) is measured first: the size each node
would have once every alias is expanded, memoised per node, so the count itself is cheap. A
document whose aliases add more than `MAX_ALIAS_NODES` nodes, or that names a node inside
itself (a recursive alias, which nothing can write out as JSON), is refused.
"""

from __future__ import annotations

from typing import Final

import yaml

MAX_ALIAS_NODES: Final = 1_000_000
"""How many nodes aliases and merge keys may add to a document once expanded."""


class ExpansionError(ValueError):
    """A YAML document whose aliases expand past the limit, or refer to themselves."""


def check_expansion(root: yaml.Node, *, limit: int = MAX_ALIAS_NODES) -> None:
    """Refuse `root` when its aliases expand it by more than `limit` nodes, or recurse.

    Raises:
        ExpansionError: the message says which, and where (line and column).
    """
    sizes: dict[int, int] = {}
    expanded = _size(root, sizes)
    if expanded - len(sizes) > limit:
        raise ExpansionError(
            f"its YAML aliases expand it to {expanded:,} nodes (from {len(sizes):,} written); "
            f"at most {limit:,} more are accepted"
        )


def _size(root: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes under `root` once expanded (post-order, no recursion, each node once)."""
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            visiting.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in visiting:
            raise ExpansionError(f"a YAML alias refers to a node inside itself ({_mark(node)})")
        visiting.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _mark(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "in the document"
