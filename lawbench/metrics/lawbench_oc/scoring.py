"""``score_task``: score LawBench predictions of one task exactly as LawBench's evaluation does.

A record is ``{"origin_prompt", "prediction", "refr"}`` (LawBench's prediction format; only 2-1 reads
the prompt: the sentence to correct is cut from it). Task ids are LawBench's (``"3-4"``) or lawbench's task names
(``"lawbench_oc_3_4"``).

>>> result = score_task("lawbench_oc_1_2", [
...     {"origin_prompt": "…", "prediction": "[正确答案]D<eoa>", "refr": "正确答案：D。"},
...     {"origin_prompt": "…", "prediction": "我无法回答", "refr": "正确答案：A。"},
... ])
>>> result["score"], result["abstention_rate"], result["n"]
(0.5, 0.5, 2)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from lawbench.errors import DataError, TaskError
from lawbench.metrics.lawbench_oc.amount import amount_item, gold_amount
from lawbench.metrics.lawbench_oc.articles import article_item, gold_articles
from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore
from lawbench.metrics.lawbench_oc.choice import CHOICE_TASKS, choice_item
from lawbench.metrics.lawbench_oc.extraction import extraction_item, gold_entities
from lawbench.metrics.lawbench_oc.items import METRICS as ITEM_METRICS
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows, replicate_rows
from lawbench.metrics.lawbench_oc.labels import LABEL_TASKS, label_item
from lawbench.metrics.lawbench_oc.proofreading import score_proofreading_task
from lawbench.metrics.lawbench_oc.rouge import rouge_item
from lawbench.metrics.lawbench_oc.terms import gold_months, normalised, term_item
from lawbench.metrics.resample import ItemAggregation

TASK_PREFIX = "lawbench_oc_"
ItemScorer = Callable[[int, str, str], ItemRow]  # (record index, prediction, reference) -> the record's row
RefCheck = Callable[[int, str], object]  # raises RefFormatError where LawBench's code would reject the reference


@dataclass(frozen=True)
class TaskInfo:
    id: str  # LawBench's id, "3-4"
    name: str  # OpenCompass's dataset name
    metric: str  # what ``score`` measures (LawBench's README)
    item: ItemScorer | None  # scores one record; None: not implemented (see UNSUPPORTED)
    check_ref: RefCheck | None = None  # validates a reference before any generation
    finish: Callable | None = None  # mean -> score where the score is not the mean itself (3-4, 3-5)
    scorer: Callable | None = None  # whole-list scorer of a task not scored per record (2-1)
    reads_prompts: bool = False  # the scorer also takes the prompts and the data dir (2-1)

    @property
    def task_name(self) -> str:
        """The lm-eval subtask name, ``lawbench_oc_3_4``."""
        return TASK_PREFIX + self.id.replace("-", "_")


def _non_empty(index: int, ref: str) -> None:
    if not ref.strip():
        raise RefFormatError(index, "reference is empty: ROUGE-L needs a reference text")


_REF_CHECKS: dict[str, RefCheck] = {
    **{task: spec.parse_ref for task, spec in CHOICE_TASKS.items()},
    **{task: spec.parse_ref for task, spec in LABEL_TASKS.items()},
    **dict.fromkeys(("1-1", "2-7", "3-2", "3-8"), _non_empty),
    "2-6": gold_entities,
    "3-1": gold_articles,
    "3-4": gold_months,
    "3-5": gold_months,
    "3-7": gold_amount,
}


def _info(task_id: str, name: str, metric: str, item: ItemScorer | None, finish: Callable | None = None,
          scorer: Callable | None = None) -> TaskInfo:
    return TaskInfo(task_id, name, metric, item, _REF_CHECKS.get(task_id), finish, scorer, reads_prompts=bool(scorer))


TASKS: dict[str, TaskInfo] = {info.id: info for info in (
    _info("1-1", "article_recitation", "ROUGE-L", partial(rouge_item, "1-1")),
    _info("1-2", "knowledge_question_answering", "accuracy", partial(choice_item, "1-2")),
    # 2-1: ChERRANT's F0.5 over the whole list's edit counts (not yet split into per-record rows)
    _info("2-1", "document_proofreading", "F0.5 (ChERRANT)", None, scorer=score_proofreading_task),
    _info("2-2", "dispute_focus_identification", "accuracy", partial(choice_item, "2-2")),
    _info("2-3", "marital_disputes_identification", "F1", partial(label_item, "2-3")),
    _info("2-4", "issue_topic_identification", "accuracy", partial(choice_item, "2-4")),
    _info("2-5", "reading_comprehension", "rc-F1", partial(extraction_item, "2-5")),
    _info("2-6", "named_entity_recognition", "soft-F1", partial(extraction_item, "2-6")),
    _info("2-7", "opinion_summarization", "ROUGE-L", partial(rouge_item, "2-7")),
    _info("2-8", "argument_mining", "accuracy", partial(choice_item, "2-8")),
    _info("2-9", "event_detection", "F1", partial(label_item, "2-9")),
    _info("2-10", "trigger_word_extraction", "soft-F1", partial(extraction_item, "2-10")),
    _info("3-1", "fact_based_article_prediction", "F1", article_item),
    _info("3-2", "scene_based_article_prediction", "ROUGE-L", partial(rouge_item, "3-2")),
    _info("3-3", "charge_prediction", "F1", partial(label_item, "3-3")),
    _info("3-4", "prison_term_prediction_wo_article", "normalized log distance", term_item, normalised),
    _info("3-5", "prison_term_prediction_w_article", "normalized log distance", term_item, normalised),
    _info("3-6", "case_analysis", "accuracy", partial(choice_item, "3-6")),
    _info("3-7", "criminal_damages_calculation", "accuracy", amount_item),
    _info("3-8", "consultation", "ROUGE-L", partial(rouge_item, "3-8")),
)}
SUPPORTED = tuple(task_id for task_id, info in TASKS.items() if info.item is not None or info.scorer is not None)
UNSUPPORTED: dict[str, str] = {}  # task id → why it cannot be scored (every LawBench task can now)


def normalize_task_id(task: str) -> str:
    """``"3-4"``, ``"3_4"`` or ``"lawbench_oc_3_4"`` → ``"3-4"`` (unknown ids are a TaskError).

    >>> normalize_task_id("lawbench_oc_2_10")
    '2-10'
    """
    text = str(task).strip()
    text = text[len(TASK_PREFIX):] if text.startswith(TASK_PREFIX) else text
    candidate = re.sub(r"^(\d+)[_-](\d+)$", r"\1-\2", text)
    if candidate not in TASKS:
        known = ", ".join(TASKS)
        raise TaskError(f"unknown LawBench task '{task}'; use an id ({known}) or lawbench_oc_<id> with _ for -")
    return candidate


def check_references(task: str, refs: Sequence[str], where: Callable[[int], str]) -> None:
    """Reject references LawBench's evaluation would reject (one-line DataError naming the record)."""
    info = TASKS[normalize_task_id(task)]
    if info.check_ref is None:
        return
    for index, ref in enumerate(refs):
        try:
            info.check_ref(index, ref)
        except RefFormatError as err:
            raise DataError(f"{where(index)}: {err} (task {info.id})") from None


def record_fields(record: object, where: str) -> tuple[str, str]:
    """``(prediction, refr)`` of a record; a missing or non-text field is a DataError at ``where``."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected an object with 'prediction' and 'refr', got {type(record).__name__}")
    for key in ("prediction", "refr"):
        if key not in record:
            raise DataError(f"{where}: missing field '{key}'")
        if not isinstance(record[key], str):
            raise DataError(f"{where}: field '{key}' must be text, got {type(record[key]).__name__}")
    return record["prediction"], record["refr"]


def _scorable(task: str) -> TaskInfo:
    task_id = normalize_task_id(task)
    info = TASKS[task_id]
    if info.item is None and info.scorer is None:
        raise TaskError(f"task {task_id} ({info.name}) cannot be scored: {UNSUPPORTED[task_id]}")
    return info


def per_record(task: str) -> bool:
    """Whether a task is scored record by record (every task but 2-1, whose ChERRANT counts are whole-list)."""
    return TASKS[normalize_task_id(task)].item is not None


def score_item(task: str, index: int, prediction: str, reference: str) -> ItemRow:
    """One record's :class:`~lawbench.metrics.lawbench_oc.items.ItemRow` (``index`` names it in errors).

    >>> score_item("3-4", 0, "[刑期]4个月<eoa>", "刑期:4个月")
    ItemRow(score=0.0, scored=1, abstained=0, counted=1, score_strict=0.0, scored_strict=1, abstained_strict=0, \
counted_strict=1)
    """
    return _scorable(task).item(index, prediction, reference)


def rows_score(task: str, rows: Sequence[ItemRow]) -> TaskScore:
    """The task's numbers from its records' rows (equal to scoring the records as a whole)."""
    return aggregate_rows(rows, _scorable(task).finish)


def rows_replicates(task: str, rows: Sequence[Sequence[float]], counts) -> dict:
    """The task's four numbers in each bootstrap resample (``counts``: resamples x records)."""
    return replicate_rows(rows, counts, _scorable(task).finish)


def item_value(task: str, index: int, prediction: str, reference: str) -> dict:
    """What lm-eval keeps per record under each metric: ``{"task": id, "row": [the ItemRow's numbers]}``."""
    info = _scorable(task)
    return {"task": info.id, "row": list(info.item(index, prediction, reference))}


def task_aggregation(metric: str) -> ItemAggregation:
    """lm-eval aggregation of :func:`item_value` values into ``metric`` (``score``, ``score_strict``,
    ``abstention_rate`` or ``abstention_rate_strict``) that bootstraps from the rows.

    >>> values = [item_value("1-2", 0, "[正确答案]B<eoa>", "正确答案：B。"),
    ...           item_value("1-2", 1, "?", "正确答案：A。")]
    >>> task_aggregation("score")(values), task_aggregation("abstention_rate")(values)
    (0.5, 0.5)
    """
    if metric not in ITEM_METRICS:
        raise ValueError(f"unknown LawBench metric {metric!r}; expected one of {', '.join(ITEM_METRICS)}")

    def point(values: Sequence[dict]) -> float:
        return getattr(rows_score(values[0]["task"], [ItemRow(*value["row"]) for value in values]), metric)

    def replicates(values: Sequence[dict], counts):
        return rows_replicates(values[0]["task"], [value["row"] for value in values], counts)[metric]

    return ItemAggregation(f"lawbench_oc_{metric}", point, replicates)


def score_records(task: str, records: Sequence[dict], source: str = "records",
                  where: Callable[[int], str] | None = None, data_dir: str | None = None) -> dict:
    """:func:`score_task` naming ``source`` (a file) and record ``i`` as ``where(i)`` in its errors;
    ``data_dir`` holds the resources a scorer reads (2-1: ``cherrant/``; default ``$LAWBENCH_DATA_DIR``)."""
    where = where or (lambda index: f"{source} record {index}")
    info = _scorable(task)
    if not records:
        raise DataError(f"{source}: no records to score for task {info.id}")
    fields = [record_fields(record, where(index)) for index, record in enumerate(records)]
    try:
        if info.item is None:  # a whole-list scorer (2-1)
            preds, refs = [pred for pred, _ in fields], [ref for _, ref in fields]
            prompts = [record.get("origin_prompt", "") for record in records]
            result = info.scorer(preds, refs, prompts, data_dir)
        else:
            result = rows_score(info.id, [info.item(index, pred, ref) for index, (pred, ref) in enumerate(fields)])
    except RefFormatError as err:
        raise DataError(f"{where(err.index)}: {err} (task {info.id})") from None
    return {
        "task": info.id,
        "name": info.name,
        "metric": info.metric,
        "score": result.score,
        "abstention_rate": result.abstention_rate,
        "score_strict": result.score_strict,
        "abstention_rate_strict": result.abstention_rate_strict,
        "n": len(records),
        "n_scored": result.n_scored,
        **result.details,
    }


def score_task(task_id: str, records: Sequence[dict], data_dir: str | None = None) -> dict:
    """Score one task's predictions: ``score`` and ``abstention_rate`` as LawBench reports them
    (fractions, not ×100), lawbench's corrected ``score_strict`` / ``abstention_rate_strict``, the
    record count ``n`` and ``n_scored`` (records that enter the score's mean).

    >>> result = score_task("3-4", [{"origin_prompt": "", "prediction": "[刑期]一年六个月<eoa>",
    ...                              "refr": "刑期:18个月"}])
    >>> round(result["score"], 4), result["score_strict"]  # LawBench reads 6 months (README Q11)
    (0.8142, 1.0)
    """
    return score_records(task_id, records, data_dir=data_dir)
