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


def first_line(err: BaseException | str, limit: int | None = None) -> str:
    """The first non-empty line of an error message, for one-line messages that quote a library.

    An empty message falls back to the exception's type name (``str(err).splitlines()[0]`` would raise).

    >>> first_line(ValueError("bad value\\n  at line 3")), first_line(KeyError()), first_line("a" * 9, limit=4)
    ('bad value', 'KeyError', 'aaaa')
    """
    text = err if isinstance(err, str) else str(err)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else (type(err).__name__ if not isinstance(err, str) else "")
    return line[:limit] if limit else line
