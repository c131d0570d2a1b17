"""Every code block of the README and of the documentation site (`docs/*.md`) runs as written.

- `python` blocks are executed, each in a fresh namespace, from the repository root.
- Every `connector` command in an `sh` block is parsed by the real command line, so an option
  the README names exists.
- An `sh` block then runs in bash, the way a person pastes it, in a scratch directory beside
  the repository's examples (a transcript: each command after `$ `; otherwise the block as one
  script; `pip install` steps are left out, the environment is installed). It must end
  without a traceback, in at most a minute. Not run, only parsed: blocks with a command that
  serves until stopped (`serve`, `emulator`, `worker`), names a host beyond loopback (a test
  never reaches one), runs the benchmarks or the test suite itself. `curl` commands reach an
  emulator this module starts on the README's port 8765.
- Blocks without a language, `json` and `text` blocks show output or shapes: nothing to run.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT

from connector._errors import ConnectorError
from connector._hosts import is_loopback
from connector.cli import build_parser
from connector.emulator import Emulator

DOCUMENTS = {
    path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
}
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LONG_RUNNING = frozenset({"serve", "emulator", "worker"})
SENDS_NOTHING = frozenset({"render", "describe", "validate", "export", "import", "list"})
README_PORT = 8765


def blocks(language: str) -> list[tuple[str, str]]:
    """(document:line, text) of each fenced block in `language`, over every document."""
    return [
        (f"{name}:{text[: m.start()].count(chr(10)) + 1}", m.group(2))
        for name, text in DOCUMENTS.items()
        for m in BLOCK.finditer(text)
        if m.group(1) == language
    ]


def commands(text: str) -> list[str]:
    """The commands of an `sh` block: continuations and open quotes joined, here-documents
    kept with their command, prompts and comments dropped; in a transcript only what follows
    `$ `."""
    lines = text.replace("\\\n", " ").splitlines()
    transcript = any(line.startswith("$ ") for line in lines)
    found: list[str] = []
    pending = ""
    heredoc: str | None = None
    for line in lines:
        if not pending and transcript and not line.startswith("$ "):
            continue
        pending = f"{pending}\n{line}" if pending else line.removeprefix("$ ").strip()
        if heredoc is None and (marker := re.search(r"<<-?'?(\w+)'?", line)):
            heredoc = marker.group(1)
            continue
        if heredoc is not None:
            if line.strip() != heredoc:
                continue
            heredoc = None
        if not _complete(pending):
            continue
        if pending and not pending.startswith("#"):
            found.append(pending)
        pending = ""
    return found


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:  # an open quote: the command goes on on the next line
        return False
    return True


def steps(command: str) -> list[str]:
    """The `&&` steps of a command, without the install steps."""
    if "<<" in command:
        return [command]
    parts = [part.strip() for part in command.split("&&")]
    return [p for p in parts if not re.match(r"^(python -m )?pip install\b", p)]


def connector_argv(step: str) -> list[str] | None:
    """The arguments of the `connector` command in a step (after assignments, in a pipe)."""
    if "<<" in step:
        return None
    lexer = shlex.shlex(step, posix=True, punctuation_chars=";|&")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    segment: list[str] = []
    for token in [*lexer, ";"]:
        if token not in {";", "|", "&&", "||", "&"}:
            segment.append(token)
            continue
        while segment and re.match(r"^[A-Z_]+=", segment[0]):
            segment.pop(0)
        if segment and segment[0] == "connector":
            return segment[1:]
        segment = []
    return None


def reaches_beyond_loopback(step: str) -> bool:
    """Whether the step names a URL whose host is not this machine."""
    for url in re.findall(r"https?://[^\s'\"]+", step):
        host = urlsplit(url).hostname or ""
        if not is_loopback(host):
            return True
    return False


def runnable(step: str) -> bool:
    """Whether the test runs the step (rather than only parsing it)."""
    argv = connector_argv(step)
    if argv and argv[0] in LONG_RUNNING:
        return False
    if step.startswith(("python benchmarks/", "python -m pytest")):
        return False  # figures are not tests; the test command is what runs this test
    if argv and argv[0] in SENDS_NOTHING:
        return True
    return not reaches_beyond_loopback(step)


SH_BLOCKS = [(line, [st for c in commands(text) for st in steps(c)]) for line, text in blocks("sh")]
SH_STEPS = [
    pytest.param(step, id=f"{line}-{i}")
    for line, found in SH_BLOCKS
    for i, step in enumerate(found)
]


def test_the_documents_have_blocks_to_run() -> None:
    """The README and the site hold the set-up commands and runnable examples (this test is
    not empty)."""
    assert len(blocks("python")) >= 2
    assert len(SH_STEPS) >= 10


@pytest.mark.parametrize("step", SH_STEPS)
def test_every_connector_command_parses(step: str) -> None:
    """Each `connector …` the README names is accepted by the command line as written."""
    argv = connector_argv(step)
    if argv is None:
        return
    placeholders = [a for a in argv if re.search(r"\[|…|\.\.\.", a)]
    assert not placeholders, f"not a runnable command: {step}"
    with contextlib.suppress(ConnectorError):  # a value read and refused (a file made above)
        build_parser().parse_args(argv)


@pytest.fixture(scope="module")
def readme_emulator() -> Iterator[Emulator | None]:
    """The emulator at the README's port, when that port is free on this machine."""
    try:
        with socket.create_server(("127.0.0.1", README_PORT)):
            pass
    except OSError:
        yield None
        return
    with Emulator(host="127.0.0.1", port=README_PORT) as emulator:
        yield emulator


@pytest.mark.parametrize("found", [pytest.param(found, id=line) for line, found in SH_BLOCKS])
def test_every_sh_block_runs(
    found: list[str], tmp_path: Path, readme_emulator: Emulator | None
) -> None:
    """The block runs in bash, in a scratch directory holding the repository's examples, and
    ends without a traceback."""
    if not all(runnable(step) for step in found):
        pytest.skip("serves until stopped, or names a host beyond loopback: parsed only")
    script = "\n".join(found)
    if re.search(r"(localhost|127\.0\.0\.1):8765", script) and readme_emulator is None:
        pytest.skip("port 8765 is taken on this machine")
    if "curl " in script and shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REBILLY_", "CONNECTOR_"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONNECTOR_CATALOG"] = str(tmp_path / "catalog")
    for shipped in ("examples", "task_templates"):  # what the commands name, by relative path
        (tmp_path / shipped).symlink_to(ROOT / shipped)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,  # files a command writes (-o FILE) land here, not in the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode in {0, 1, 2}, (done.returncode, done.stderr[-3000:])


@pytest.mark.parametrize("code", [pytest.param(text, id=line) for line, text in blocks("python")])
def test_every_python_block_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Python example runs as written, offline."""
    if "conductor" in code:
        pytest.importorskip("conductor.client")
    for name in [n for n in os.environ if n.startswith("REBILLY_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "<documentation>", "exec"), {"__name__": "documentation"})


def test_the_architecture_page_is_current() -> None:
    """docs/architecture.md is what `python docs/architecture.py` writes from the docstrings."""
    spec = importlib.util.spec_from_file_location("architecture", ROOT / "docs" / "architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert page == module.render(), "run `python docs/architecture.py`"


def test_every_module_says_what_it_is() -> None:
    """Every module of the package opens with a docstring (the architecture page shows it)."""
    bare = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "connector").rglob("*.py"))
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert bare == []
