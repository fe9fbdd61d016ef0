"""A model's identity for the run manifest and the request cache.

``fingerprint`` hashes what defines a checkpoint cheaply: its ``config.json`` (or
``adapter_config.json``), the weight index (``*.safetensors.index.json``, or the header of each
safetensors file: tensor names, shapes, dtypes and offsets) and the weight files' sizes. Small
checkpoints (up to ``CONTENT_HASH_LIMIT`` bytes of weights) also get a full content hash; for large
ones size + modification time stand in for it, so a checkpoint retrained in place never reuses stale
cached answers while a 15 GB model is not read twice.

Example:
    >>> model_fingerprint("/nonexistent")["fingerprint"] is None
    True
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

CONTENT_HASH_LIMIT = 512 * 1024 * 1024  # bytes of weights under which the full content is hashed
_CONFIG_FILES = ("config.json", "adapter_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")


def _canonical_json(path: Path) -> bytes | None:
    try:
        return json.dumps(json.loads(path.read_text(encoding="utf-8")), sort_keys=True).encode()
    except (OSError, ValueError):
        return None


def _safetensors_header(path: Path) -> bytes:
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        return handle.read(min(length, 100 * 1024 * 1024))


def model_fingerprint(folder: str | Path | None) -> dict:
    """``{"fingerprint", "config_sha256", "weight_index_sha256", "weights_sha256", "weight_bytes"}``."""
    empty = {"fingerprint": None, "config_sha256": None, "weight_index_sha256": None,
             "weights_sha256": None, "weight_bytes": 0}
    if folder is None or not Path(folder).is_dir():
        return empty
    folder = Path(folder)
    config = hashlib.sha256()
    for name in _CONFIG_FILES:
        blob = _canonical_json(folder / name)
        if blob is not None:
            config.update(name.encode() + b"\0" + blob)
    weights = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(_WEIGHT_SUFFIXES))
    index = hashlib.sha256()
    for path in sorted(folder.glob("*.index.json")):
        index.update(path.name.encode() + b"\0" + (_canonical_json(path) or b""))
    total = 0
    stats = hashlib.sha256()
    for path in weights:
        stat = path.stat()
        total += stat.st_size
        index.update(path.name.encode() + b"\0" + str(stat.st_size).encode())
        if path.suffix == ".safetensors":
            index.update(_safetensors_header(path))
        stats.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    content = None
    if weights and total <= CONTENT_HASH_LIMIT:
        digest = hashlib.sha256()
        for path in weights:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        content = digest.hexdigest()
    combined = hashlib.sha256()
    for part in (config.hexdigest(), index.hexdigest(), content or stats.hexdigest()):
        combined.update(part.encode())
    return {
        "fingerprint": combined.hexdigest(),
        "config_sha256": config.hexdigest(),
        "weight_index_sha256": index.hexdigest(),
        "weights_sha256": content,
        "weight_bytes": total,
    }


def hub_snapshot_dir(repo_id: str, revision: str | None = None) -> Path | None:
    """The local HF-cache folder of a hub model, if its config is cached (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except Exception:
        return None
    return Path(found).parent if isinstance(found, str) else None
