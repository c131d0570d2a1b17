"""Tasks as `connector list` and `connector search` print them: one small module, so that
`connector list` (which scripts call most) starts without loading the import command."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    from typing import Any

TITLE_WIDTH = 48
PATH_WIDTH = 44


def hit_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Search hits as aligned columns: title, method, path, API, task name; a long title or
    path is shortened with an ellipsis so the columns stay aligned."""
    cells = [
        (
            _fit(str(row["title"] or row["name"]), TITLE_WIDTH),
            str(row["method"] or ""),
            _fit(str(row["path"] or ""), PATH_WIDTH),
            str(row["api"] or ""),
            str(row["name"]),
        )
        for row in rows
    ]
    widths = [max((len(cell[i]) for cell in cells), default=0) for i in range(4)]
    return [
        "  ".join(cell[i].ljust(widths[i]) for i in range(4)) + "  " + cell[4] for cell in cells
    ]


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def list_row(row: Any) -> dict[str, Any]:
    """The public columns of a task row."""
    return {key: row.get(key) for key in ("name", "api", "operationId", "method", "path", "title")}


def format_row(row: Any) -> str:
    """One task as a line of text."""
    return (
        f"{row['name']:<36} {row['api'] or ''!s:<12} {row['method'] or ''!s:<6} "
        f"{row['path'] or ''}  {row['title']}"
    )
