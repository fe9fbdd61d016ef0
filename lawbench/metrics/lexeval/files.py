"""Score LexEval outputs: per item (:func:`score_items`), per task (:func:`summarize`), per file.

A LexEval output file (``model_output/zero_shot/<Model>/<Model>_<i_j>.jsonl``) holds one
``{"input", "output", "answer"}`` object per line; LexEval scores the ``answer`` stored there, not the
data file. The ``samples_lexeval_<i_j>_<time>.jsonl`` of a ``lawbench eval`` run is read too (the
output is ``resps[0][0]``, the answer ``doc.answer``).

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "demo_1_1.jsonl")
>>> lines = [{"input": "…", "output": "A", "answer": "A"}, {"input": "…", "output": "BA", "answer": "AB"}]
>>> _ = open(path, "w", encoding="utf-8").write("".join(json.dumps(x) + "\\n" for x in lines))
>>> result = score_file(None, path)
>>> result["score"], result["score_strict"], result["f1"], result["n"]
(0.5, 1.0, 1.0, 2)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from lawbench.errors import DataError, TaskError
from lawbench.metrics.lexeval.choice import score_choice
from lawbench.metrics.lexeval.rouge import score_rouge
from lawbench.metrics.lexeval.tasks import TASKS, normalize_task_id, task_of_file_name
from lawbench.metrics.score import Score
from lawbench.utils.io import read_text_strict

# official metric -> per-item value key; strict and abstention keys follow the same pattern
_CHOICE_KEYS = {"score": "accuracy", "f1": "f1"}
_GENERATION_KEYS = {"score": "rouge_l"}


def score_items(task: str, pairs: Sequence[tuple[str, str | None]]) -> list[Score]:
    """One :class:`Score` per ``(output, answer)`` pair of task ``task``."""
    scorer = score_rouge if TASKS[normalize_task_id(task)].kind == "generation" else score_choice
    return [scorer(output, answer) for output, answer in pairs]


def _mean(values: list[float]) -> float:
    # evaluate.py's sum(...) / len(...): same order of additions, so the same float.
    return sum(values) / len(values) if values else float("nan")


def summarize(task: str, scores: Sequence[Score]) -> dict:
    """The task-level numbers ``lawbench score`` prints (official means over every line)."""
    task_id = normalize_task_id(task)
    info = TASKS[task_id]
    keys = _GENERATION_KEYS if info.kind == "generation" else _CHOICE_KEYS
    result: dict = {"task": info.task_name, "metric": info.metric, "n": len(scores)}
    for name, key in {**keys, "abstention_rate": "abstained"}.items():
        result[name] = _mean([score.value[key] for score in scores])
        strict = [score.value[f"{key}_strict"] for score in scores if f"{key}_strict" in score.value]
        result[f"{name}_strict"] = _mean(strict)
    result["n_strict"] = sum("abstained_strict" in score.value for score in scores)
    if info.kind == "generation":
        for reason in ("empty", "recursion"):
            result[f"zeroed_{reason}"] = sum(score.metadata.get("official_zeroed") == reason for score in scores)
    return result


def _pair(row: object, where: str) -> tuple[str, str | None]:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected an object, got {type(row).__name__}")
    if "doc" in row and "resps" in row:  # a lawbench eval samples line
        doc, resps = row["doc"], row["resps"]
        output = resps[0][0] if isinstance(resps, list) and resps and isinstance(resps[0], list) and resps[0] else None
        answer = doc.get("answer") if isinstance(doc, dict) else None
    else:
        missing = [key for key in ("output", "answer") if key not in row]
        if missing:
            raise DataError(f"{where}: missing field '{missing[0]}' (LexEval lines hold input, output, answer)")
        output, answer = row["output"], row["answer"]
    if not isinstance(output, str):
        raise DataError(f"{where}: the model output must be text, got {type(output).__name__}")
    if answer is not None and not isinstance(answer, str):
        raise DataError(f"{where}: field 'answer' must be text or null, got {type(answer).__name__}")
    return output, answer


def read_outputs(path: str | os.PathLike) -> list[tuple[str, str | None]]:
    """``(output, answer)`` of every line of a LexEval output file or a lexeval samples file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    pairs = []
    # Split on "\n" only, as jsonlines does: an output may hold a raw U+2028, which splitlines() would cut.
    for number, line in enumerate(read_text_strict(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path} line {number}: invalid JSON at column {err.colno}: {err.msg}") from None
        pairs.append(_pair(row, f"{path} line {number}"))
    if not pairs:
        raise DataError(f"{path}: no lines to score")
    return pairs


def infer_task(path: str | os.PathLike) -> str:
    """The task of ``<Model>_<i_j>.jsonl`` or ``samples_lexeval_<i_j>_<time>.jsonl``."""
    name = Path(path).name
    found = re.match(r"samples_lexeval_(\d_\d)_", name)
    task_id = found.group(1) if found else task_of_file_name(name)
    if task_id is None:
        raise TaskError(f"{path}: cannot tell the LexEval task from the file name; pass it (e.g. --task lexeval_1_1)")
    return normalize_task_id(task_id)


def score_file(task: str | None, path: str | os.PathLike) -> dict:
    """:func:`summarize` of a whole file (``task=None``: read from the file name)."""
    task_id = normalize_task_id(task) if task else infer_task(path)
    return summarize(task_id, score_items(task_id, read_outputs(path)))
