"""The connector's local web service and page (`connector serve`, extra `serve`).

`create_app()` returns the ASGI application: a JSON API over the same core as the command
line (manifest, task, dry run, test request, export and import) and the page that uses it.
"""

from __future__ import annotations

from connector.service._app import create_app
from connector.service._local import LocalTarget

__all__ = ["LocalTarget", "create_app"]
