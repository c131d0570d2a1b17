"""What an API operation is, in words: the normalised terms search indexes and matches.

Every description has the same structure: a method on a resource path, a summary, an
operationId, tags, parameters and a body. This module turns an operation's row into terms
(camelCase, snake_case, kebab-case and path segments split; lower-cased; singular and plural,
`cancellation` and `canceled` reduced to one stem) and names what the operation *does*:
its intent (`create`, `get`, `list`, `update`, `delete`, or the action a sub-resource names,
such as `/cancellation`) and the resource it acts on (the path's last fixed segment). A query
is read the same way: its first verb says the intent the user means ("add", "new" and "open"
mean create; "show" and "look up" mean get; "all" and "every" mean list), the other words
say what it acts on. Nothing here knows any particular API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import Stemmer

_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])|[0-9]+")
_STOP = frozenset(
    {
        *("a", "an", "the", "for", "to", "of", "in", "on", "at", "by", "with", "from", "into"),
        *("and", "or", "my", "me", "i", "we", "our", "you", "your", "it", "its", "that", "as"),
        *("this", "is", "are", "be", "been", "was", "were", "which", "who", "what", "how"),
        *("do", "does", "did", "can", "will", "please", "want", "wants", "some", "any", "am"),
        *("id", "ids", "v1", "v2", "api", "by", "up", "so", "one", "s", "else", "someone"),
    }
)
_STEMMER = Stemmer.Stemmer("english")

_VERBS = {
    "create": "create add new make post insert register open generate start issue submit",
    "get": "get show look lookup retrieve fetch read view see detail find",
    "list": "list all every browse enumerate many index",
    "update": "update change edit modify set patch put alter rename replace",
    "delete": "delete remove erase destroy drop purge discard kick unlink",
}
INTENT_VERBS: Mapping[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _VERBS.items()}
"""The verbs that name each intent (a generic API vocabulary, the same for every API)."""

THESAURUS: Sequence[frozenset[str]] = [
    frozenset(group.split())
    for group in (
        "cancel stop void abort terminate revoke halt",
        "payout disbursement withdrawal withdraw disburse cashout",
        "customer client payer buyer shopper consumer",
        "payment charge transaction pay purchase",
        "refund reverse reimburse reversal chargeback",
        "subscription recurring plan membership",
        "invoice bill statement",
        "send deliver dispatch submit",
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
        "comment note reply remark",
        "organization org company organisation",
        "user member account person people",
        "instrument card method",
        "image picture photo",
        "number phone",
        "call dial",
    )
]
"""Words APIs use for one thing (not any one API's: a generic vocabulary). A query word
also matches the others of its group, at SYNONYM_WEIGHT."""

SYNONYM_WEIGHT = 0.6

METHOD_INTENT: Mapping[str, str] = {
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """The English (Porter2) stem: `canceled`, `cancellation`, `cancels` are `cancel`;
    `repository` and `repositories` one word."""
    return str(_STEMMER.stemWord(word.lower()))


def words(text: str) -> list[str]:
    """The stems of a text, camelCase, snake_case and kebab-case split, stop words left out."""
    return [stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP]


_GROUPS: dict[str, set[str]] = {}
for _group in THESAURUS:
    for _term in map(stem, _group):
        _GROUPS.setdefault(_term, set()).update(map(stem, _group))


def expansions(term: str) -> dict[str, float]:
    """A query stem and the stems the thesaurus groups with it, with their weights."""
    return {other: 1.0 if other == term else SYNONYM_WEIGHT for other in _GROUPS.get(term, {term})}


_STEMMED_VERBS = {intent: frozenset(map(stem, verbs)) for intent, verbs in INTENT_VERBS.items()}


def verb_intent(term: str) -> str | None:
    """The intent a stemmed verb names, if it names one."""
    for intent, verbs in _STEMMED_VERBS.items():
        if term in verbs:
            return intent
    return None


def segments(path: str) -> list[str]:
    """The fixed segments of a path (placeholders and query strings left out)."""
    path = path.split("?", 1)[0]
    return [part for part in path.split("/") if part and "{" not in part and "<" not in part]


def _ends_in_item(path: str) -> bool:
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    return bool(parts) and ("{" in parts[-1] or "<" in parts[-1])


class Operation:
    """What search knows of one task row: its terms by field, intent and resource."""

    __slots__ = ("action", "depth", "fields", "intent", "name_terms", "resource")

    def __init__(self, row: Mapping[str, Any]) -> None:
        path = str(row.get("path") or "")
        method = str(row.get("method") or "").upper()
        title, operation_id = str(row.get("title") or ""), str(row.get("operationId") or "")
        tail = [words(part) for part in segments(path)]
        self.resource = tail[-1][-1] if tail and tail[-1] else ""
        self.depth = path.count("{") + path.count("<<")
        self.name_terms = (frozenset(words(title)), frozenset(words(operation_id)))
        self.intent, self.action = _intent(method, path, title, operation_id, tail)
        self.fields: dict[str, list[str]] = {
            "title": words(title),
            "operation": words(operation_id),
            "path": [term for part in tail for term in part],
            "intent": sorted(INTENT_VERBS.get(self.intent, ())) + [self.action] * bool(self.action),
            "tags": words(" ".join(map(str, row.get("tags") or []))),
            "parameters": words(" ".join(map(str, row.get("parameters") or []))),
            "description": words(str(row.get("description") or "")),
        }

    def summary(self) -> tuple[str, str, str, int]:
        """What ranking needs besides terms: intent, the verbs it names (its action and its
        path's last word), resource, depth (placeholders in the path)."""
        return self.intent, f"{self.action} {self.resource}", self.resource, self.depth


def _intent(
    method: str, path: str, title: str, operation_id: str, tail: Sequence[list[str]]
) -> tuple[str, str]:
    """(intent, action): the verb the title or operationId starts with names both; else the
    method on the path's shape does (a GET of an item, of a collection), and a fixed last
    segment under a POST names an action (`/cancel`, `/cancellations`)."""
    named = [term for text in (title, operation_id) for term in words(text)[:1]]
    last = tail[-1][-1] if tail and tail[-1] else ""
    action = named[0] if named else last
    said = next((verb_intent(verb) for verb in named if verb_intent(verb)), None)
    if method == "GET" and said in {None, "get", "list"}:  # the path's shape tells which
        return ("get" if _ends_in_item(path) or not _plural(path) else "list"), action
    if said:
        return said, action
    if method in {"POST", "PUT"} and verb_intent(last):
        return str(verb_intent(last)), action
    if method == "POST" and len(tail) > 1 and not _ends_in_item(path):
        return "action", action
    return METHOD_INTENT.get(method, "action"), action


def _plural(path: str) -> bool:
    """Whether a path's last fixed segment names many things (`/apps`, not `/app`)."""
    fixed = segments(path)
    last = _WORD.findall(fixed[-1])[-1:] if fixed else []
    return bool(last) and last[0].lower().endswith("s") and not last[0].lower().endswith("ss")


class Query:
    """A user's words: their stems, the intent the first verb names, the other words."""

    __slots__ = ("expanded", "intent", "matched", "objects", "terms", "verb")

    def __init__(self, text: str) -> None:
        self.terms = list(dict.fromkeys(words(text)))
        verbs = [term for term in self.terms if verb_intent(term)]
        self.intent = verb_intent(verbs[0]) if verbs else None
        self.objects = [term for term in self.terms if not verb_intent(term)]
        self.verb = expansions(self.terms[0]) if self.terms else {}
        self.expanded: dict[str, float] = {}
        for term in self.terms:
            for other, weight in expansions(term).items():
                self.expanded[other] = max(weight, self.expanded.get(other, 0.0))
        # the terms the full-text index is asked for: the objects' (a verb such as `get` is
        # in a third of a catalogue; scoring weighs it), or every term when there is no object
        named = [other for term in self.objects for other in expansions(term)]
        self.matched = list(dict.fromkeys(named)) or list(self.expanded)
