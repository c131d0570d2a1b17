"""The ranking `connector search` used before the kept FTS5 index and the operation-aware
scoring (kept verbatim as the baseline `benchmarks/search.py` reports beside the new one).

Its own docstring follows.


Each task is a bag of words from its operationId (camelCase split), title, tags, path,
parameter names and description, each field weighted (an operationId or title word counts
three times a description word). Words are lower-cased and reduced to a stem (`cancellation`,
`canceled` and `cancels` are `cancel`). Ranking is Okapi BM25; each word of the query also
matches the words a thesaurus of API vocabulary groups with it (`stop` finds `cancel`,
`disbursement` finds `payout`), at a lower weight than the word itself, so a paraphrase finds
the operation while an exact word still ranks first. Nothing is downloaded and no server runs.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from connector._store import all_rows, catalog_dir, fingerprint

K1 = 1.2
B = 0.75
SYNONYM_WEIGHT = 0.6

FIELD_WEIGHTS: Mapping[str, int] = {
    "method": 1,
    "operationId": 3,
    "title": 3,
    "tags": 2,
    "path": 2,
    "parameters": 1,
    "description": 1,
}

THESAURUS: Sequence[frozenset[str]] = [
    frozenset(group.split())
    for group in (
        "cancel stop void abort terminate revoke halt",
        "payout disbursement withdrawal withdraw disburse cashout",
        "list all collection browse enumerate index many",
        "get fetch retrieve read show view see lookup describe detail",
        "create add new make post insert register open buy",
        "update modify change edit patch set put upsert alter",
        "delete remove destroy erase discard drop purge",
        "customer client payer buyer shopper consumer",
        "payment charge transaction pay purchase",
        "refund reverse reimburse reversal chargeback",
        "subscription recurring plan membership",
        "invoice bill statement",
        "send deliver dispatch submit",
        "request ask asked demand",
        "key token credential secret apikey",
        "webhook callback notification hook",
        "file document attachment upload",
        "split divide partition",
        "allocation allocate assign",
        "batch group bulk bundle",
        "approve accept confirm authorize authorise",
        "block freeze hold suspend lock",
        "unblock unfreeze release resume unlock",
        "search filter query find",
        "timeline history log event",
        "message sms text",
        "repository repo",
        "issue ticket bug",
        "comment note reply",
        "organization org company organisation",
        "user member account person people",
        "instrument card method",
        "image picture photo",
        "number phone",
        "call dial",
    )
]

_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|[0-9]+")
_STOP = frozenset(
    {
        *("a", "an", "the", "for", "to", "of", "in", "on", "at", "by", "with", "from"),
        *("and", "or", "my", "me", "i", "we", "our", "you", "your", "it", "its", "that"),
        *("this", "is", "are", "be", "been", "was", "were", "which", "who", "what", "how"),
        *("do", "does", "did", "can", "will", "please", "want", "wants", "some", "any"),
    }
)
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ied", "es", "ed", "s")


METHOD_WORDS: Mapping[str, str] = {
    "GET": "get read",
    "POST": "create",
    "PUT": "replace update",
    "PATCH": "update",
    "DELETE": "delete",
}
"""What an HTTP method says an operation does, as words the thesaurus knows."""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude English stem, enough to match `canceled`, `cancellation` and `cancels`."""
    word = word.lower()
    if len(word) <= 3:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in {"ies", "ied"} else "")
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousz":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """The stems of a text, camelCase split, stop words left out."""
    return [stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP]


_GROUPS: dict[str, list[frozenset[str]]] = {}
for _group in THESAURUS:
    _stems = frozenset(stem(w) for w in _group)
    for _stem in _stems:
        _GROUPS.setdefault(_stem, []).append(_stems)


def expansions(term: str) -> dict[str, float]:
    """A query stem and the stems the thesaurus groups with it, with their weights."""
    expanded = {term: 1.0}
    for group in _GROUPS.get(term, []):
        for other in group:
            expanded.setdefault(other, SYNONYM_WEIGHT)
    return expanded


def document_terms(row: Mapping[str, Any]) -> Counter[str]:
    """The weighted bag of stems of one task row."""
    bag: Counter[str] = Counter()
    for field, weight in FIELD_WEIGHTS.items():
        value = METHOD_WORDS.get(str(row.get("method"))) if field == "method" else row.get(field)
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value or "")
        for term in words(text):
            bag[term] += weight
    return bag


@dataclass(frozen=True)
class Hit:
    """One ranked task."""

    row: Mapping[str, Any]
    score: float


class Index:
    """BM25 over task rows, as an inverted index; build once, query many times."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = list(rows)
        postings: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths = []
        for position, row in enumerate(self.rows):
            bag = document_terms(row)
            self._lengths.append(sum(bag.values()))
            for term, count in bag.items():
                postings[term].append((position, count))
        self._postings = dict(postings)
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        total = len(self.rows)
        self._idf = {
            t: math.log(1 + (total - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()
        }

    def search(self, query: str, limit: int = 10, *, synonyms: bool = True) -> list[Hit]:
        """The best `limit` tasks for `query`, best first (ties keep catalogue order)."""
        scores: defaultdict[int, float] = defaultdict(float)
        for term in dict.fromkeys(words(query)):
            group = expansions(term) if synonyms else {term: 1.0}
            best: dict[int, float] = {}
            for other, weight in group.items():
                for position, count in self._postings.get(other, ()):
                    norm = K1 * (1 - B + B * self._lengths[position] / self._average)
                    score = weight * self._idf[other] * count * (K1 + 1) / (count + norm)
                    best[position] = max(best.get(position, 0.0), score)
            for position, score in best.items():
                scores[position] += score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [Hit(self.rows[p], round(s, 4)) for p, s in ranked[: max(limit, 0)]]


def search_catalogue(
    query: str, limit: int = 10, *, api: str | None = None, catalog: Path | None = None
) -> list[Hit]:
    """The one ranking of the catalogue (shipped then imported tasks, optionally of one API):
    `connector search` and the page's palette both call it."""
    return catalogue_index(api, catalog).search(query, limit)


def catalogue_index(api: str | None = None, catalog: Path | None = None) -> Index:
    """The index of the catalogue as it is now (its `rows` are every task, in catalogue order).

    It is kept while the catalogue's files are unchanged: with Rebilly's 613 operations
    imported, building it per query costs ~100 ms, a query with the kept index ~1.4 ms
    (`python benchmarks/search.py` prints both).
    """
    root = catalog or catalog_dir()
    return _index_of(root, fingerprint(root), api)


@lru_cache(maxsize=8)
def _index_of(root: Path, _fingerprint: object, api: str | None) -> Index:
    return Index(all_rows(api, root))
