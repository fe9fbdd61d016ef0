"""Read LawBench's zero-shot task files, validate them and build LawBench's prompts.

Layout (``open-compass/LawBench`` ``data/``, or ``<data-dir>/lawbench_oc/``)::

    zero_shot/<id>.json   [{"instruction", "question", "answer"}, ...]   ids 1-1, 1-2, 2-1 … 3-8

There is no hub copy: without a local folder the error names the folder to provide. Every record
is checked on load (fields and, where LawBench's evaluation asserts a format, the reference), so a
broken file fails before any model is loaded, with the file and record index in one line.

The prompt is OpenCompass's LawBench template, one user turn ``{instruction}\\n{question}``
(``configs/datasets/lawbench/lawbench_zero_shot_gen_002588.py``); LawBench's published prediction
files record exactly that text as ``origin_prompt``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from lawbench import sources
from lawbench.errors import DataError
from lawbench.metrics.lawbench_oc.scoring import TASKS, check_references, normalize_task_id
from lawbench.utils.io import read_json_strict

SOURCE = "lawbench_oc"
SPLIT_FOLDER = "zero_shot"
FIELDS = ("instruction", "question", "answer")


def build_prompt(instruction: str, question: str) -> str:
    """OpenCompass's LawBench prompt: ``{instruction}\\n{question}``.

    >>> build_prompt("请你模拟法官依据下面事实给出罪名。", "事实:……")
    '请你模拟法官依据下面事实给出罪名。\\n事实:……'
    """
    return f"{instruction}\n{question}"


def validate_records(records: Any, path: Path, task_id: str) -> list[dict]:
    """Check the record schema and the references; errors name the file and the record index."""
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON list of records, got {type(records).__name__}")
    for index, record in enumerate(records):
        where = f"{path} record {index}"
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object, got {type(record).__name__}")
        for key in FIELDS:
            if key not in record:
                raise DataError(f"{where}: missing field '{key}'")
            if not isinstance(record[key], str):
                raise DataError(f"{where}: field '{key}' must be text, got {type(record[key]).__name__}")
        if not record["question"].strip():
            raise DataError(f"{where}: field 'question' is empty")
    check_references(task_id, [record["answer"] for record in records], lambda index: f"{path} record {index}")
    return records


@lru_cache(maxsize=64)
def _read_validated(path_str: str, mtime_ns: int, task_id: str) -> list[dict]:
    # Cached on (path, mtime): a file changed between two runs in one process is read again.
    path = Path(path_str)
    return validate_records(read_json_strict(path), path, task_id)


def task_file(task_id: str, data_dir: str | None = None) -> Path:
    """``<data-dir>/lawbench_oc/zero_shot/<id>.json`` (a DataError names what is missing)."""
    folder = sources.resolve_source(SOURCE, data_dir)  # no hub copy: raises naming the folder
    path = folder / SPLIT_FOLDER / f"{task_id}.json"
    if not path.is_file():
        raise DataError(f"{path}: file not found (LawBench layout: {folder}/{SPLIT_FOLDER}/<task id>.json)")
    return path


def load_task_docs(task: str, data_dir: str | None = None) -> list[dict]:
    """The docs of one task, validated, with LawBench's prompt built."""
    task_id = normalize_task_id(task)
    path = task_file(task_id, data_dir)
    sources.record_read(path)
    records = _read_validated(str(path.resolve()), path.stat().st_mtime_ns, task_id)
    return [
        {
            "idx": index,
            "task_id": task_id,
            "task_name": TASKS[task_id].name,
            "instruction": record["instruction"],
            "question": record["question"],
            "answer": record["answer"],
        }
        for index, record in enumerate(records)
    ]
