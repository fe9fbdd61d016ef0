"""lm-eval hooks of the LexEval tasks: load a task, score each output with LexEval's scorer.

LexEval's metrics are means of per-item values, so ``process_results`` returns each item's values
(:func:`lawbench.metrics.lexeval.score_items`) and lm-eval averages them: the official numbers use
lm-eval's ``mean``; a strict value is ``None`` where the gold answer names no option, and
:func:`mean_defined` leaves those items out.
"""

from __future__ import annotations

import math

from lawbench.metrics.lexeval import TASKS, score_items

# lm-eval metric name -> per-item value key of lawbench.metrics.lexeval
METRIC_KEYS = {
    "choice": {"score": "accuracy", "f1": "f1", "abstention_rate": "abstained"},
    "generation": {"score": "rouge_l", "abstention_rate": "abstained"},
}


def load_lexeval(task_id: str, data_dir: str | None = None, **_):
    """``custom_dataset`` hook: ``{"test": Dataset}`` of one LexEval task (``data_dir`` from the metadata)."""
    import datasets

    from lawbench.tasks.lexeval.data import load_task_docs

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(load_task_docs(task_id, data_dir))})


def doc_to_text(doc: dict) -> str:
    return doc["prompt"]


def doc_to_target(doc: dict) -> str:
    return doc["answer"] or ""


def process_results(doc: dict, results: list[str]) -> dict[str, float | None]:
    (score,) = score_items(doc["task_id"], [(results[0], doc["answer"])])
    values = {}
    for metric, key in METRIC_KEYS[TASKS[doc["task_id"]].kind].items():
        values[metric] = score.value[key]
        values[f"{metric}_strict"] = score.value.get(f"{key}_strict")
    return values


def mean_defined(items: list) -> float:
    """Mean of the values that are not ``None`` (NaN when none is)."""
    defined = [value for value in items if value is not None]
    return sum(defined) / len(defined) if defined else math.nan
