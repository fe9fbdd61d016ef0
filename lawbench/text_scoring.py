"""Score a JSONL file of ``{"prediction", "reference"}`` lines with the legal Q&A text metrics.

This is the I/O side of ``lawbench score --predictions FILE.jsonl``; the scoring itself is the pure
:func:`lawbench.metrics.text.text_metrics`. Every problem with the file is one :class:`DataError`
line that names the file and the line number.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lawbench.errors import DataError
from lawbench.utils.io import read_jsonl_strict

FIELDS = ("prediction", "reference")


def _check_pair(path: Path, number: int, record) -> tuple[str, str]:
    where = f"{path} line {number}"
    if not isinstance(record, dict):
        raise DataError(f'{where}: expected an object {{"prediction": ..., "reference": ...}}, '
                        f"got {type(record).__name__}")
    for field in FIELDS:
        if field not in record:
            present = ", ".join(map(repr, record)) or "none"
            raise DataError(f"{where}: missing field {field!r} (fields present: {present})")
        if not isinstance(record[field], str):
            value = record[field]
            raise DataError(f"{where}: field {field!r} must be a string, got "
                            f"{type(value).__name__} {json.dumps(value, ensure_ascii=False)[:40]}")
    return record["prediction"], record["reference"]


def read_prediction_pairs(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Predictions and references of a JSONL file (blank lines skipped; other fields ignored)."""
    path = Path(path)
    predictions, references = [], []
    for number, record in read_jsonl_strict(path):
        prediction, reference = _check_pair(path, number, record)
        predictions.append(prediction)
        references.append(reference)
    if not predictions:
        raise DataError(f'{path}: no records; expected one JSON object per line with "prediction" and "reference"')
    return predictions, references


def score_text_file(path: str | os.PathLike, *, progress: bool | None = None) -> dict:
    """:func:`~lawbench.metrics.text.text_metrics` of the pairs in a JSONL file.

    ``progress=None`` shows a bar on a terminal only (it goes to stderr).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "preds.jsonl")
    ...     _ = path.write_text('{"prediction": "构成盗窃罪。", "reference": "构成盗窃罪。"}\\n', encoding="utf-8")
    ...     scores = score_text_file(path)
    >>> scores["n"], scores["bleu1"], scores["chrf"]
    (1, 1.0, 100.0)
    """
    from lawbench.metrics.text import text_metrics

    predictions, references = read_prediction_pairs(path)
    return text_metrics(predictions, references, progress=progress)
