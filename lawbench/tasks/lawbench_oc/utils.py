"""lm-eval hooks of the LawBench-compatible tasks: load a task, keep each output, score the corpus.

LawBench scores a task as a whole (some metrics skip records or are not per-record means), so
``process_results`` only returns the record ``(task id, output, reference, prompt)`` under every
metric name and the aggregation functions score the whole list with
:func:`lawbench.metrics.lawbench_oc.score_task` — the same numbers ``lawbench score`` gives on the
run's samples file.
"""

from __future__ import annotations

from functools import lru_cache

from lawbench.metrics.cherrant.resources import tables_dir
from lawbench.metrics.lawbench_oc import TASKS, normalize_task_id, score_task
from lawbench.tasks.lawbench_oc.data import build_prompt, load_task_docs

METRICS = ("score", "score_strict", "abstention_rate", "abstention_rate_strict")
# The data dir each task was loaded from, for scorers that read resources (2-1: ChERRANT's tables).
# Kept here, not in the docs: docs are written to the samples files, and a local path must not be.
_DATA_DIRS: dict[str, str | None] = {}


def load_lawbench_oc(task_id: str, data_dir: str | None = None, **_):
    """``custom_dataset`` hook: ``{"test": Dataset}`` of one LawBench task (``data_dir`` from the metadata)."""
    import datasets

    docs = load_task_docs(task_id, data_dir)
    if TASKS[normalize_task_id(task_id)].reads_prompts:
        tables_dir(data_dir)  # a missing ChERRANT table fails here, before any generation
    _DATA_DIRS[normalize_task_id(task_id)] = data_dir
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


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
    task_id = normalize_task_id(items[0][0])
    return score_task(task_id, records, data_dir=_DATA_DIRS.get(task_id))


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
