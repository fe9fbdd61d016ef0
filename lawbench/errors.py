"""User-facing errors.

Anything the user can fix (a wrong path, a malformed data file, an unknown task) is raised as a
:class:`LawbenchError` whose message is one actionable line. The CLI prints it as
``lawbench: error: <message>`` and exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations


class LawbenchError(Exception):
    """An error the user can fix; ``str(err)`` is a single line that says how."""

    def __init__(self, message: str):
        # Collapse accidental newlines so the CLI contract (one line) always holds.
        super().__init__(" ".join(str(message).split()))


class DataError(LawbenchError):
    """A dataset file is missing, unreadable or holds a malformed record."""


class ModelError(LawbenchError):
    """A model path, adapter or backend option cannot be used."""


class TaskError(LawbenchError):
    """An unknown task or group was requested."""
