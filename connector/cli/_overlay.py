"""`connector overlay apply SPEC OVERLAY... [-o OUT]` and `connector overlay validate`."""

from __future__ import annotations

import sys
from pathlib import Path

from connector.cli._output import EXIT_OK, fail, fail_with, print_json

TYPE_CHECKING = False  # not typing's: the CLI starts without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    """Add the overlay commands."""
    overlay = commands.add_parser(
        "overlay", help="apply or check OpenAPI Initiative overlays (1.0, 1.1)"
    )
    actions = overlay.add_subparsers(
        dest="action",
        metavar="ACTION",
        parser_class=type(overlay),
        help="apply: a description with overlays applied in order; validate: check overlays",
    )
    actions.required = True
    applying = actions.add_parser("apply", help="apply overlays to a description, in order")
    applying.add_argument("spec", metavar="SPEC", help="description file (JSON or YAML)")
    applying.add_argument("overlays", nargs="+", metavar="OVERLAY", help="overlay files, in order")
    applying.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write here (.yaml/.yml: YAML, else JSON; default: stdout)",
    )
    applying.add_argument("--json", action="store_true", help="report errors as JSON")
    applying.set_defaults(handler=run_apply)
    validating = actions.add_parser("validate", help="check overlays against the specification")
    validating.add_argument("overlays", nargs="+", metavar="OVERLAY", help="overlay files")
    validating.add_argument("--json", action="store_true", help="print JSON")
    validating.set_defaults(handler=run_validate)


def run_apply(args: argparse.Namespace) -> int:
    """Write SPEC with the overlays applied; exit 2 naming the file, action and target."""
    from connector._errors import DescriptionError
    from connector.openapi._load import read_document
    from connector.openapi._oai_overlay import overlaid

    try:
        document = overlaid(read_document(Path(args.spec)), [Path(p) for p in args.overlays])
    except DescriptionError as exc:
        return fail_with(exc, as_json=args.json)
    text = _dumped(document, yaml_out=str(args.output or "").endswith((".yaml", ".yml")))
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        return fail("usage", f"cannot write {args.output}: {exc.strerror}", as_json=args.json)
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    """Check each overlay; exit 2 when any is invalid (every file is reported)."""
    from connector._errors import DescriptionError
    from connector.openapi._oai_overlay import read_overlay

    problems: dict[str, str | None] = {}
    for name in args.overlays:
        try:
            read_overlay(Path(name))
            problems[name] = None
        except DescriptionError as exc:
            problems[name] = exc.message
    if args.json:
        print_json({"overlays": [{"file": k, "error": v} for k, v in problems.items()]})
    else:
        for name, problem in problems.items():
            (sys.stderr if problem else sys.stdout).write(
                f"error: {problem}\n" if problem else f"{name}: valid\n"
            )
    return 2 if any(problems.values()) else EXIT_OK


def _dumped(document: Any, *, yaml_out: bool) -> str:
    if yaml_out:
        import yaml

        return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    import json

    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
