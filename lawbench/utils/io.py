"""Atomic writes, hashing and strict JSON reading.

Results are written atomically (temp file in the same folder + ``os.replace``) so an interrupted
run never leaves a half-written file behind, with the permissions a plain ``open(path, "w")`` would give
(``0o666`` less the umask, not the temp file's private ``0o600``), and data files are read strictly so
that a broken file produces one line that names it. JSON readers turn ``NaN`` / ``Infinity`` into
``None`` when asked (``nan_as_none``), so a result file written by another tool never crashes a reader.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from lawbench.errors import DataError


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (``/proc``), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part.

    The file gets ``0o666`` less the umask, as ``open(path, "w")`` would give it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | os.PathLike, obj: Any, *, default=None, indent: int | None = 2) -> Path:
    """Serialise ``obj`` as UTF-8 JSON (non-ASCII kept readable) and write it atomically."""
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent, default=default) + "\n")


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_text_strict(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file; a missing or non-UTF-8 file is a one-line :class:`DataError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise DataError(f"{path} line {line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); "
                        "re-save the file as UTF-8") from None


def read_jsonl_strict(path: str | os.PathLike) -> list[tuple[int, Any]]:
    """``(line number, value)`` of every non-blank line of a JSON Lines file.

    A missing or non-UTF-8 file, or a line that is not JSON, is a one-line :class:`DataError` naming
    the file and the line.
    """
    rows = []
    for number, line in enumerate(read_text_strict(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as err:
            raise DataError(f"{path} line {number}: invalid JSON at column {err.colno}: {err.msg}") from None
        except RecursionError:
            raise DataError(f"{path} line {number}: JSON nested too deeply") from None
    return rows


def _none(_constant: str) -> None:
    return None


def read_json_strict(path: str | os.PathLike, *, nan_as_none: bool = False) -> Any:
    """Parse a JSON file; syntax errors name the file, line and column (``nan_as_none``: NaN, ±Infinity → None)."""
    text = read_text_strict(path)
    try:
        return json.loads(text, parse_constant=_none if nan_as_none else None)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply") from None
