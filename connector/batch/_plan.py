"""What the inputs and the journal say before anything is sent: the plan of a run.

`check_inputs` reads the inputs once, matches each with the journal by identity (content,
not line), counts what is done, and keeps the journaled inputs that may have taken effect
(sent, COMPLETED or UNKNOWN) but are no longer in the file: an input that now sits on one of
their lines, or carries one of their idempotency keys, changed after it was sent
(`Plan.changed`). A journal whose sent inputs are all missing from the file belongs to other
inputs and is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from connector._errors import JournalError
from connector.batch._inputs import InputItem
from connector.batch._journal import Journal, JournalEntry, identify

__all__ = ["Plan", "check_inputs"]

_TOOK_EFFECT: Final = frozenset({"COMPLETED", "UNKNOWN"})


@dataclass(frozen=True, slots=True)
class Plan:
    """What the inputs and the journal say before anything is sent."""

    total: int
    done: int
    entries: dict[str, JournalEntry]
    gone_by_line: dict[int, JournalEntry] = field(default_factory=dict)
    """Inputs the journal records as (maybe) taken effect that the file no longer has."""
    gone_by_key: dict[str, JournalEntry] = field(default_factory=dict)

    def changed(self, item: InputItem, key_name: str | None) -> JournalEntry | None:
        """The journaled input `item` replaces after it took effect, if any."""
        given = (item.inputs or {}).get(key_name or "")
        if isinstance(given, str) and given in self.gone_by_key:
            return self.gone_by_key[given]
        return self.gone_by_line.get(item.line)


def check_inputs(items: Iterable[InputItem], journal: Journal) -> Plan:
    """Count the inputs and match them with the journal.

    Raises:
        JournalError: the journal records inputs that took effect and none of them is in the
            file: it belongs to other inputs (nothing is sent).
    """
    entries = journal.entries()
    total = done = 0
    seen: set[str] = set()
    for identity, _item in identify(items):
        total += 1
        seen.add(identity)
        entry = entries.get(identity)
        done += entry is not None and entry.state == "done" and entry.status != "UNKNOWN"
    gone = [e for i, e in entries.items() if i not in seen and _took_effect(e)]
    if gone and len(gone) == sum(_took_effect(e) for e in entries.values()):
        raise JournalError(
            f"the journal {journal.path} belongs to other inputs: none of the {len(gone)} inputs "
            "it records as sent is in this file; name another --journal (or --results)"
        )
    by_key = {e.key: e for e in gone if e.key}
    return Plan(total, done, entries, {e.line: e for e in gone}, by_key)


def _took_effect(entry: JournalEntry) -> bool:
    return entry.state == "sending" or entry.status in _TOOK_EFFECT
