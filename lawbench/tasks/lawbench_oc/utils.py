"""lm-eval hooks of the LawBench-compatible tasks: load a task, keep each output, score the corpus.

LawBench scores a task as a whole (some metrics skip records or are not per-record means), so
``process_results`` only returns the record ``(task id, output, reference, prompt)`` under every
metric name and the aggregation functions score the whole list with
:func:`lawbench.metrics.lawbench_oc.score_task` — the same numbers ``lawbench score`` gives on the
run's samples file.
"""

from __future__ import annotations

from functools import lru_cache

from lawbench.metrics.lawbench_oc import score_task
from lawbench.tasks.lawbench_oc.data import build_prompt, load_task_docs

METRICS = ("score", "score_strict", "abstention_rate", "abstention_rate_strict")


def load_lawbench_oc(task_id: str, data_dir: str | None = None, **_):
    """``custom_dataset`` hook: ``{"test": Dataset}`` of one LawBench task (``data_dir`` from the metadata)."""
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(load_task_docs(task_id, data_dir))})


def doc_to_text(doc: dict) -> str:
    return build_prompt(doc["instruction"], doc["question"])


def process_results(doc: dict, results: list[str]) -> dict[str, tuple]:
    """The record to score later, under each metric (lm-eval hands each metric its list)."""
    item = (doc["task_id"], results[0], doc["answer"], doc_to_text(doc))
    return dict.fromkeys(METRICS, item)


@lru_cache(maxsize=4)
def _scored(items: tuple) -> dict:
    # The four metrics share one scoring pass over the same items.
    records = [{"origin_prompt": prompt, "prediction": output, "refr": ref} for _, output, ref, prompt in items]
    return score_task(items[0][0], records)


def _aggregate(metric: str, items: list) -> float:
    return _scored(tuple(tuple(item) for item in items))[metric]


def aggregate_score(items: list) -> float:
    return _aggregate("score", items)


def aggregate_score_strict(items: list) -> float:
    return _aggregate("score_strict", items)


def aggregate_abstention_rate(items: list) -> float:
    return _aggregate("abstention_rate", items)


def aggregate_abstention_rate_strict(items: list) -> float:
    return _aggregate("abstention_rate_strict", items)
