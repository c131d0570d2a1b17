"""Starting the emulator for an offline test request of an imported operation.

    python benchmarks/emulation.py            # the start-up figures below
    python benchmarks/emulation.py --corpus   # per description: offline test requests, answers

Descriptions from ../shared/openapi/corpus (the benchmark stops if they are absent) are
imported into a temporary catalogue; for one operation of each, the time to build what the
emulator serves (`emulation_for`: the kept description read, the operations built), start it
and answer one request. Side by side, best of 3:
  - whole:  every operation of the description (the baseline: what `connector emulator
    --spec` serves, and what the web service starts once per API);
  - family: what `connector test-request` starts, the operations under the task's path.
For scale, the built-in Rebilly emulator. The last line is `ratio: X.XX`, whole over family,
for the largest description (Stripe's).

`--corpus` imports every corpus description and test-requests its first N operations (3;
`--corpus N`) offline, each with its template's `examples[0]`, against the emulator that
`connector test-request` would start: the answers by status class, per description and in
total (a 404 is a GET of an item a fresh emulator does not hold yet).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from connector import load_task
from connector._store import write_api
from connector._template import TaskTemplate
from connector.emulator import Api, Emulator, emulation_for, rebilly_api
from connector.openapi import import_description, load_description

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "corpus"
CASES = [  # (file, API name, task, a path on the emulator)
    ("swagger-petstore-v3.yaml", "pets", "get-pet-by-id", "/api/v3/pet/1"),
    ("stripe-spec3.json", "stripe", "get-balance-history-id", "/v1/balance/history/txn_1"),
]


def best(function: Callable[[], object], runs: int = 3) -> float:
    """Best of `runs`, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def serve_once(build: Callable[[], Api], path: str) -> None:
    """Build the API, start an emulator serving it, send it one request, stop it."""
    with Emulator(api=build()) as emulator:
        requests.get(emulator.url + path, headers={"Authorization": "Bearer k"}, timeout=60)


def measure(template: TaskTemplate, catalog: Path, path: str, whole: bool) -> tuple[float, int]:
    """Seconds to build, start and ask the emulator; how many operations it serves."""

    def build() -> Api:
        return emulation_for(template, catalog=catalog, whole_api=whole).api

    return best(lambda: serve_once(build, path)), len(build().operations)


def corpus(first: int) -> None:
    """Per description, what its first operations answer offline; the total last."""
    from collections import Counter

    from connector import Executor
    from connector.cli._local import local_base_url

    total: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        catalog = Path(folder)
        for file in sorted(CORPUS.iterdir()):
            document = load_description(file)
            result = import_description(document, api=file.stem.lower().replace("_", "-"))
            write_api(
                result.api,
                (i.template for i in result.imported),
                catalog=catalog,
                description=document,
            )
            answers: Counter[str] = Counter()
            for item in result.imported[:first]:
                task = load_task(str(catalog / result.api / f"{item.name}.json"))
                environ = task.template.auth.local_environ({}, "sk_local_benchmark")
                emulation = emulation_for(task.template, catalog=catalog)
                with Emulator(api=emulation.api) as emulator, Executor(environ=environ) as executor:
                    base_url = local_base_url(task, emulator.url)
                    sent = executor.run(
                        task, (task.template.examples or [{}])[0], base_url=base_url, max_attempts=1
                    )
                code = sent.response.status_code if sent.response else None
                answers["2xx" if code and code < 300 else str(code or sent.status)] += 1
            total.update(answers)
            print(
                f"{file.name:<36} {sum(answers.values()):>2} sent  {dict(sorted(answers.items()))}"
            )
    print(f"total: {sum(total.values())} sent  {dict(sorted(total.items()))}")


def main() -> None:
    """Print the seconds per start, whole API and family, and the ratio last."""
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    if sys.argv[1:2] == ["--corpus"]:
        corpus(int(sys.argv[2]) if len(sys.argv) > 2 else 3)
        return
    ratio = 0.0
    with tempfile.TemporaryDirectory() as folder:
        catalog = Path(folder)
        rebilly = best(lambda: serve_once(rebilly_api, "/organizations/o/payout-requests/x"))
        print(f"{'rebilly (built in)':<32} {rebilly:8.3f} s")
        for file, api, name, path in CASES:
            document = load_description(CORPUS / file)
            templates = [i.template for i in import_description(document, api=api).imported]
            write_api(api, templates, catalog=catalog, description=document)
            template = load_task(str(catalog / api / f"{name}.json")).template
            whole, everything = measure(template, catalog, path, whole=True)
            fast, few = measure(template, catalog, path, whole=False)
            print(f"{f'{api} whole ({everything} operations)':<32} {whole:8.3f} s")
            print(f"{f'{api} family ({few} operations)':<32} {fast:8.3f} s")
            ratio = whole / fast
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
