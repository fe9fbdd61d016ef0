"""Where each task family finds its data, and a record of every data file read.

A source is read, in its original layout, from the first of:

1. ``<data_dir>/<source>/`` where ``data_dir`` comes from ``--data-dir`` (lm-eval: ``--metadata
   '{"data_dir": ...}'``);
2. ``$LAWBENCH_DATA_DIR/<source>/``;
3. a snapshot of the source's Hugging Face dataset repository, pinned to a revision (downloaded as
   usual where a hub is reachable, or taken from the local HF cache).

Offline with none of these, :func:`resolve_source` raises a one-line :class:`DataError` naming the
folder to provide. Every file a loader reads goes through :func:`record_read`, so that an eval run
can list the sha256 of each data file it used in its manifest.

Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "lawshift"))
    >>> resolve_source("lawshift", root).name
    'lawshift'
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError
from lawbench.utils.io import sha256_file

DATA_DIR_ENV = "LAWBENCH_DATA_DIR"


@dataclass(frozen=True)
class HubSource:
    """A source's Hugging Face dataset repository, pinned so results stay comparable."""

    repo_id: str
    revision: str


# The hub fallback of each source. Revisions are pinned: a moving branch would silently change scores.
HUB_SOURCES: dict[str, HubSource] = {
    "lawshift": HubSource("triangularPeach/LawShift", "0fce4f3821140bde29081ae0b20500e79aa065d5"),
}


def data_dir_from(data_dir: str | os.PathLike | None) -> Path | None:
    """The explicit data dir, else ``$LAWBENCH_DATA_DIR``, else ``None``."""
    chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    return Path(chosen).expanduser() if chosen else None


def local_source_dir(source: str, data_dir: str | os.PathLike | None) -> Path | None:
    """``<data_dir>/<source>`` if that folder exists, else ``None`` (no hub access)."""
    root = data_dir_from(data_dir)
    if root is None:
        return None
    folder = root / source
    return folder if folder.is_dir() else None


def resolve_source(source: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds ``source`` in its original layout (local copy first, then the hub)."""
    folder = local_source_dir(source, data_dir)
    if folder is not None:
        return folder
    root = data_dir_from(data_dir)
    expected = f"{root / source}/" if root else f"<data-dir>/{source}/"
    hub = HUB_SOURCES.get(source)
    if hub is None:
        raise DataError(f"no data for '{source}': provide the folder {expected} (--data-dir or ${DATA_DIR_ENV})")
    return _hub_snapshot(source, hub, expected)


def _hub_snapshot(source: str, hub: HubSource, expected: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=hub.repo_id, repo_type="dataset", revision=hub.revision))
    except Exception as err:  # offline, gated, missing revision...: all end in the same advice
        reason = type(err).__name__
        raise DataError(
            f"no local copy of '{source}' and the hub copy ({hub.repo_id}@{hub.revision[:7]}) is unavailable "
            f"({reason}); provide the folder {expected} (--data-dir or ${DATA_DIR_ENV})"
        ) from None


# --------------------------------------------------------------------------- read log
_READ_LOG: dict[str, str] = {}
_READ_LOCK = threading.Lock()


def record_read(path: str | os.PathLike) -> None:
    """Remember that ``path`` was read, with its sha256 (hashed once per path per process)."""
    key = str(Path(path).resolve())
    with _READ_LOCK:
        if key not in _READ_LOG:
            _READ_LOG[key] = sha256_file(key)


def files_read() -> dict[str, str]:
    """``{absolute path: sha256}`` of every data file read since the last :func:`reset_read_log`."""
    with _READ_LOCK:
        return dict(sorted(_READ_LOG.items()))


def reset_read_log() -> None:
    with _READ_LOCK:
        _READ_LOG.clear()
