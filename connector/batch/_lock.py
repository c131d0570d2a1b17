"""One run per journal: an exclusive, non-blocking `flock` on the journal file itself.

The lock is the kernel's: it lasts exactly as long as the process holding it (a `kill -9`
releases it, so no stale lock file is ever left to delete by hand). `flock` locks are
separate from the POSIX record locks SQLite takes, so holding one does not get in SQLite's
way, and another process can still read the journal (`sqlite3 FILE ...`) while a run holds
it. The holder's process id and start time are written in the journal (`meta.owner`), so a
refused run can name it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["JournalLock", "try_lock"]


class JournalLock:
    """A held lock; `release` (or process exit) lets the next run in."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Unlock and close (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def try_lock(path: Path) -> JournalLock | None:
    """Lock `path` exclusively, at once; None when another process holds it."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return JournalLock(fd)
