"""``lawbench score``: re-score existing predictions without a model.

* ``--task`` a LawBench id (``3-4``, ``lawbench_oc_3_4``) with a LawBench prediction file
  (``{"0": {"origin_prompt", "prediction", "refr"}, ...}``) or the ``samples_*.jsonl`` of a
  ``lawbench eval`` run: LawBench's published scoring (``score``, ``abstention_rate``, strict variants).
* ``--task`` a LawShift subtask (``lawshift_<scenario>_<side>``) with its ``samples_*.jsonl``: the
  LawShift metrics, recomputed from the stored outputs; ``score`` is ``verdict_acc`` and
  ``abstention_rate`` the share of outputs without a whole answer.
* ``--task`` a LexEval subtask (``lexeval_<i_j>``) with LexEval's output JSON Lines (``input``, ``output``,
  ``answer``) or a run's ``samples_lexeval_*.jsonl``: LexEval's ``evaluate.py`` numbers (``score`` is
  Accuracy, or Rouge_L for 5_x; ``f1`` for multiple choice) and their strict variants.
* no ``--task`` and a JSONL of ``{"prediction", "reference"}`` lines: the text metrics.

Example::

    lawbench score --task 3-4 --predictions ../shared/data/lawbench_oc/predictions/zero_shot/GPT4/3-4.json --json
    lawbench score --task 2-1 --predictions ../shared/data/lawbench_oc/predictions/zero_shot/GPT4/2-1.json \
        --data-dir ../shared/data --json   # 2-1 reads ChERRANT's tables from <data-dir>/cherrant/
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from lawbench.errors import DataError, LawbenchError, first_line
from lawbench.utils.io import read_jsonl_strict, read_text_strict


def _samples(path: Path) -> list[dict]:
    rows = []
    for number, row in read_jsonl_strict(path):
        if not isinstance(row, dict) or not isinstance(row.get("doc"), dict) or "resps" not in row:
            raise DataError(f"{path} line {number}: not an lm-eval sample line (needs 'doc' and 'resps')")
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no samples")
    return rows


def _first_response(row: dict) -> str:
    """The raw output: ``filtered_resps`` of a LawShift run holds the canonical answer read from it, and a
    canonical answer is not always one the parser accepts (an untagged ``盗窃`` is no answer)."""
    resps = row.get("resps") or row.get("filtered_resps") or [""]
    first = resps[0] if isinstance(resps, list) else resps
    first = (first[0] if first else "") if isinstance(first, list) else first
    return first if isinstance(first, str) else ("" if first is None else str(first))


def score_lawshift_samples(path: Path) -> dict:
    """Mean LawShift metrics over a ``samples_lawshift_*.jsonl`` file."""
    from lawbench.metrics.lawshift import score_judgment

    totals: dict[str, float] = {}
    rows = _samples(path)
    for number, row in enumerate(rows, start=1):
        doc = row["doc"]
        missing = [k for k in ("charge", "prison_time", "side", "shift_type") if k not in doc]
        if missing:
            raise DataError(f"{path} line {number}: not a LawShift sample (doc lacks {', '.join(missing)})")
        try:
            record = score_judgment(_first_response(row), charge=doc["charge"], prison_time=doc["prison_time"],
                                    side=doc["side"], shift_type=doc["shift_type"])
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise DataError(f"{path} line {number}: not a LawShift sample ({first_line(err, limit=200)})") from None
        for metric, value in record.value.items():
            totals[metric] = totals.get(metric, 0.0) + value
    means = {metric: value / len(rows) for metric, value in totals.items()}
    return {**means, "score": means["verdict_acc"], "abstention_rate": 1.0 - means["parse_rate"], "n": len(rows)}


def rescore(task: str | None, predictions: str, data_dir: str | None = None) -> dict:
    """Dispatch on the task (see the module docstring); ``data_dir``: resources a scorer reads (2-1)."""
    path = Path(predictions)
    if not path.is_file():
        raise LawbenchError(f"predictions file not found: {path}")
    if task is None:
        task = _lawshift_task_of(path)
    if (task or "").startswith("lexeval") or (task is None and path.name.startswith("samples_lexeval_")):
        from lawbench.metrics.lexeval import score_file as score_lexeval_file

        return _finite(score_lexeval_file(task, path))
    if task and task.startswith("lawshift_"):
        result = score_lawshift_samples(path)
        return {"task": task, **result}
    if task is None and path.suffix == ".jsonl" and _looks_like_text_pairs(path):
        from lawbench.text_scoring import score_text_file

        return score_text_file(path)
    from lawbench.metrics.lawbench_oc import score_file

    result = score_file(task, path, data_dir)
    result.pop("predictions", None)
    return _finite(result)


def _finite(result: dict) -> dict:
    """NaN (a mean over no item) as ``None``: JSON has no NaN."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.items()}


def _lawshift_task_of(path: Path) -> str | None:
    """``lawshift_<scenario>_<side>`` from a ``samples_lawshift_<scenario>_<side>_<time>.jsonl`` name.

    >>> _lawshift_task_of(Path("runs/x/samples_lawshift_term_up_poisoned_2026-11-21T10-00-00.jsonl"))
    'lawshift_term_up_poisoned'
    >>> _lawshift_task_of(Path("3-4.json")) is None
    True
    """
    import re

    found = re.match(r"samples_(lawshift_\w+?_(?:original|poisoned))_", path.name)
    return found.group(1) if found else None


def _looks_like_text_pairs(path: Path) -> bool:
    for line in read_text_strict(path).splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                return False
            return isinstance(first, dict) and "prediction" in first and "reference" in first
    return False
