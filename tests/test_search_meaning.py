"""Search by meaning: embeddings kept with the index, joined to the lexical ranking.

The model is a fake with the real one's contract (texts to unit float16 vectors): a handful
of concepts, each a set of words; the `semantic` extra's model is not needed here.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from connector._search import search_catalogue
from connector._search_index import FILE
from connector._search_meaning import operation_text, similarities
from connector._store import write_api

CONCEPTS = [
    {"refund", "money", "back", "reimburse"},
    {"pet", "animal", "dog", "pets"},
    {"create", "new", "add"},
    {"list", "all", "every"},
]


def fake_embed(texts: Sequence[str]) -> list[bytes]:
    """Each text as ten times its count of words per concept, plus one for each word in a
    dimension of its own (hashed), normalised, as float16 bytes."""
    vectors = []
    for text in texts:
        words = set(text.lower().split())
        vector = np.zeros(len(CONCEPTS) + 4096, dtype=np.float32)
        vector[: len(CONCEPTS)] = [10 * len(words & c) for c in CONCEPTS]
        for word in words:
            vector[len(CONCEPTS) + zlib.crc32(word.encode()) % 4096] += 1
        vectors.append((vector / (np.linalg.norm(vector) or 1)).astype(np.float16).tobytes())
    return vectors


MODEL = ("fake", fake_embed)


def _tasks(*specs: tuple[str, str, str]) -> list[dict[str, object]]:
    return [
        {
            "name": title.lower().replace(" ", "-"),
            "title": title,
            "operation": {"api": "shop"},
            "httpRequest": {"method": method, "url": url},
        }
        for title, method, url in specs
    ]


TASKS = _tasks(
    ("Reimburse a transaction", "POST", "/transactions/{id}/reimbursement"),
    ("Create a pet", "POST", "/pets"),
    ("List all pets", "GET", "/pets"),
    ("Delete a webhook", "DELETE", "/webhooks/{id}"),
)


def _names(query: str, catalog: Path, meaning: object) -> list[str]:
    hits = search_catalogue(query, 3, catalog=catalog, meaning=meaning)  # type: ignore[arg-type]
    return [str(hit.row["name"]) for hit in hits]


def test_a_paraphrase_sharing_no_word_is_found_by_meaning(tmp_path: Path) -> None:
    """'give the money back' names no word of the reimbursement: only meaning finds it."""
    write_api("shop", TASKS, catalog=tmp_path)
    assert "reimburse-a-transaction" not in _names("give the money back", tmp_path, False)
    assert _names("give the money back", tmp_path, MODEL)[0] == "reimburse-a-transaction"


def test_meaning_does_not_undo_an_exact_match(tmp_path: Path) -> None:
    """A query that is a summary still ranks that operation first with meaning on."""
    write_api("shop", TASKS, catalog=tmp_path)
    assert _names("delete a webhook", tmp_path, MODEL)[0] == "delete-a-webhook"


def test_embeddings_follow_the_catalogue(tmp_path: Path) -> None:
    """A task added by a re-import is embedded at the next search; a removed one is gone."""
    write_api("shop", TASKS[1:], catalog=tmp_path)
    assert "reimburse-a-transaction" not in _names("money back", tmp_path, MODEL)
    write_api("shop", TASKS, catalog=tmp_path)
    assert _names("money back", tmp_path, MODEL)[0] == "reimburse-a-transaction"
    write_api("shop", TASKS[1:], catalog=tmp_path)
    assert "reimburse-a-transaction" not in _names("money back", tmp_path, MODEL)
    with sqlite3.connect(tmp_path / FILE) as connection:
        (tasks,) = connection.execute("SELECT count(*) FROM task").fetchone()
        (vectors,) = connection.execute("SELECT count(*) FROM vector").fetchone()
    assert vectors == tasks


def test_the_embedded_text_is_the_operation_s_words() -> None:
    """Title, operationId and the path's fixed segments, split and lower-cased."""
    row = {"title": "List pets", "operationId": "listPets", "path": "/v1/pets/<<id>>/toys"}
    assert operation_text(row) == "list pets list pets v 1 pets toys"


@pytest.mark.parametrize(("other", "expected"), [("pet dog", 0.99), ("money", 0.0)])
def test_similarity_is_the_cosine_of_unit_vectors(other: str, expected: float) -> None:
    """The kept float16 vectors compare as cosines."""
    (query,) = fake_embed(["pets animal"])
    (similarity,) = similarities(query, fake_embed([other]))
    assert similarity == pytest.approx(expected, abs=0.02)


def test_each_task_is_embedded_once(tmp_path: Path) -> None:
    """Searching again embeds only the query: the tasks' embeddings are kept."""
    texts: list[str] = []

    def counting(batch: Sequence[str]) -> list[bytes]:
        texts.extend(batch)
        return fake_embed(batch)

    write_api("shop", TASKS, catalog=tmp_path)
    for _ in range(3):
        search_catalogue("money back", 3, catalog=tmp_path, meaning=("counting", counting))
    with sqlite3.connect(tmp_path / FILE) as connection:
        (tasks,) = connection.execute("SELECT count(*) FROM task").fetchone()
    assert tasks >= len(TASKS)
    assert len(texts) == tasks + 3


def test_nonsense_finds_nothing_even_by_meaning(tmp_path: Path) -> None:
    """A word like nothing in the catalogue, or only stop words, finds no task."""
    write_api("shop", TASKS, catalog=tmp_path)
    assert _names("zzqx", tmp_path, MODEL) == []
    assert _names("the of and", tmp_path, MODEL) == []
