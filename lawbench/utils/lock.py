"""One writer per folder: an exclusive lock (``filelock``) plus a sidecar naming who holds it.

``lawbench eval`` locks its run folder and ``lawbench pipeline`` its pipeline folder for as long as they
write there; a second writer gets one line that names the holder (pid, host, command, start time)
instead of deleting the first one's files. The lock is an OS lock (``flock``): it goes away with the
process, even after ``kill -9``, so a stale ``.lawbench.lock`` file never blocks anyone.

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with folder_lock(folder, "run folder"):
    ...     with folder_lock(folder, "run folder"):
    ...         pass
    Traceback (most recent call last):
    ...
    lawbench.errors.LawbenchError: run folder ... is in use by pid ... (...); wait for it to finish or write elsewhere
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
import sys
from pathlib import Path

from lawbench.errors import LawbenchError

LOCK_NAME = ".lawbench.lock"
HOLDER_NAME = ".lawbench.lock.holder"  # JSON: pid, host, command, started


def _holder_text(folder: Path) -> str:
    try:
        holder = json.loads((folder / HOLDER_NAME).read_text(encoding="utf-8"))
        command = " ".join(map(str, holder.get("command") or []))[:200]
        return f"pid {holder.get('pid')} on {holder.get('host')} ({command}, since {holder.get('started')})"
    except (OSError, ValueError, AttributeError):
        return "another process (no holder details)"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, what: str):
    """Hold ``folder``'s exclusive lock for the ``with`` block; fail at once when someone else holds it."""
    from filelock import FileLock, Timeout

    from lawbench.utils.safe import scrub_argv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_NAME), timeout=0, is_singleton=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise LawbenchError(f"{what} {folder} is in use by {_holder_text(folder)}; "
                            "wait for it to finish or write elsewhere") from None
    try:
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": scrub_argv(sys.argv),
                  "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        (folder / HOLDER_NAME).write_text(json.dumps(holder, ensure_ascii=False) + "\n", encoding="utf-8")
        yield folder
    finally:
        with contextlib.suppress(OSError):
            (folder / HOLDER_NAME).unlink()
        lock.release()
