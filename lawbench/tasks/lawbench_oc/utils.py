"""lm-eval hooks of the LawBench-compatible tasks: load a task, score each output once, sum the rows.

``process_results`` scores a record once into its row (:func:`lawbench.metrics.lawbench_oc.scoring.item_value`)
and hands lm-eval ``{"task", "row"}`` under every metric name; the aggregations compute the task's
numbers from the rows exactly as :func:`lawbench.metrics.lawbench_oc.score_task` does on the whole
list (the same numbers ``lawbench score`` gives on the run's samples file), and bootstrap resamples
from the same rows (:class:`lawbench.metrics.resample.ItemAggregation`) without reading any output again.
2-1 (ChERRANT, F0.5 over the whole list's edit counts) still keeps each record and scores the list.
"""

from __future__ import annotations

from functools import lru_cache

from lawbench.metrics.cherrant.resources import tables_dir
from lawbench.metrics.lawbench_oc import TASKS, normalize_task_id, score_task
from lawbench.metrics.lawbench_oc.items import METRICS
from lawbench.metrics.lawbench_oc.scoring import item_value, per_record, task_aggregation
from lawbench.metrics.resample import ItemAggregation, replicates_of
from lawbench.tasks.lawbench_oc.data import build_prompt, load_task_docs

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


def process_results(doc: dict, results: list[str]) -> dict:
    """The record's row under each metric; 2-1 (scored as a whole list) keeps the record itself."""
    if per_record(doc["task_id"]):
        return dict.fromkeys(METRICS, item_value(doc["task_id"], doc.get("idx", 0), results[0], doc["answer"]))
    return dict.fromkeys(METRICS, (doc["task_id"], results[0], doc["answer"], doc_to_text(doc)))


@lru_cache(maxsize=4)
def _scored(items: tuple) -> dict:
    # 2-1: the four metrics share one scoring pass over the same records.
    records = [{"origin_prompt": prompt, "prediction": output, "refr": ref} for _, output, ref, prompt in items]
    task_id = normalize_task_id(items[0][0])
    return score_task(task_id, records, data_dir=_DATA_DIRS.get(task_id))


def _aggregation(metric: str) -> ItemAggregation:
    rows = task_aggregation(metric)

    def point(items: list) -> float:
        if isinstance(items[0], dict):
            return rows(items)
        return _scored(tuple(tuple(item) for item in items))[metric]

    def replicates(items: list, counts):
        if isinstance(items[0], dict):
            return rows.replicates(items, counts)
        return replicates_of(point, items, counts)  # 2-1: the whole-list scorer on each resample

    return ItemAggregation(f"lawbench_oc_{metric}", point, replicates)


aggregate_score = _aggregation("score")
aggregate_score_strict = _aggregation("score_strict")
aggregate_abstention_rate = _aggregation("abstention_rate")
aggregate_abstention_rate_strict = _aggregation("abstention_rate_strict")
