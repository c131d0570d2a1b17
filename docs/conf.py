"""Sphinx configuration of connector's documentation site.

Built strictly by the landing gate: `sphinx-build -W --keep-going -b html docs build/docs`.
Pages are Markdown (MyST); the command-line reference is generated from the argparse parser
itself (sphinx-argparse), and the architecture page from the module docstrings
(`python docs/architecture.py`, checked current by `tests/test_docs.py`).
"""

from __future__ import annotations

project = "connector"
author = "the connector maintainers"
extensions = ["myst_parser", "sphinxarg.ext"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = "connector"
# The site is built offline: no intersphinx inventories, nothing fetched at build time.
