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
from lawbench.metrics.lawbench_oc.amount import gold_amount, score_amount_task
from lawbench.metrics.lawbench_oc.articles import gold_articles, score_article_task
from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore
from lawbench.metrics.lawbench_oc.choice import CHOICE_TASKS, score_choice_task
from lawbench.metrics.lawbench_oc.extraction import gold_entities, score_extraction_task
from lawbench.metrics.lawbench_oc.labels import LABEL_TASKS, score_label_task
from lawbench.metrics.lawbench_oc.proofreading import score_proofreading_task
from lawbench.metrics.lawbench_oc.rouge import score_rouge_task
from lawbench.metrics.lawbench_oc.terms import gold_months, score_term_task

TASK_PREFIX = "lawbench_oc_"
Scorer = Callable[[Sequence[str], Sequence[str]], TaskScore]
RefCheck = Callable[[int, str], object]  # raises RefFormatError where LawBench's code would reject the reference


@dataclass(frozen=True)
class TaskInfo:
    id: str  # LawBench's id, "3-4"
    name: str  # OpenCompass's dataset name
    metric: str  # what ``score`` measures (LawBench's README)
    scorer: Scorer | None  # None: not implemented (see UNSUPPORTED)
    check_ref: RefCheck | None = None  # validates a reference before any generation
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


def _info(task_id: str, name: str, metric: str, scorer: Scorer | None, reads_prompts: bool = False) -> TaskInfo:
    return TaskInfo(task_id, name, metric, scorer, _REF_CHECKS.get(task_id), reads_prompts)


TASKS: dict[str, TaskInfo] = {info.id: info for info in (
    _info("1-1", "article_recitation", "ROUGE-L", partial(score_rouge_task, "1-1")),
    _info("1-2", "knowledge_question_answering", "accuracy", partial(score_choice_task, "1-2")),
    _info("2-1", "document_proofreading", "F0.5 (ChERRANT)", score_proofreading_task, reads_prompts=True),
    _info("2-2", "dispute_focus_identification", "accuracy", partial(score_choice_task, "2-2")),
    _info("2-3", "marital_disputes_identification", "F1", partial(score_label_task, "2-3")),
    _info("2-4", "issue_topic_identification", "accuracy", partial(score_choice_task, "2-4")),
    _info("2-5", "reading_comprehension", "rc-F1", partial(score_extraction_task, "2-5")),
    _info("2-6", "named_entity_recognition", "soft-F1", partial(score_extraction_task, "2-6")),
    _info("2-7", "opinion_summarization", "ROUGE-L", partial(score_rouge_task, "2-7")),
    _info("2-8", "argument_mining", "accuracy", partial(score_choice_task, "2-8")),
    _info("2-9", "event_detection", "F1", partial(score_label_task, "2-9")),
    _info("2-10", "trigger_word_extraction", "soft-F1", partial(score_extraction_task, "2-10")),
    _info("3-1", "fact_based_article_prediction", "F1", score_article_task),
    _info("3-2", "scene_based_article_prediction", "ROUGE-L", partial(score_rouge_task, "3-2")),
    _info("3-3", "charge_prediction", "F1", partial(score_label_task, "3-3")),
    _info("3-4", "prison_term_prediction_wo_article", "normalized log distance", score_term_task),
    _info("3-5", "prison_term_prediction_w_article", "normalized log distance", score_term_task),
    _info("3-6", "case_analysis", "accuracy", partial(score_choice_task, "3-6")),
    _info("3-7", "criminal_damages_calculation", "accuracy", score_amount_task),
    _info("3-8", "consultation", "ROUGE-L", partial(score_rouge_task, "3-8")),
)}
SUPPORTED = tuple(task_id for task_id, info in TASKS.items() if info.scorer is not None)
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


def score_records(task: str, records: Sequence[dict], source: str = "records",
                  where: Callable[[int], str] | None = None, data_dir: str | None = None) -> dict:
    """:func:`score_task` naming ``source`` (a file) and record ``i`` as ``where(i)`` in its errors;
    ``data_dir`` holds the resources a scorer reads (2-1: ``cherrant/``; default ``$LAWBENCH_DATA_DIR``)."""
    where = where or (lambda index: f"{source} record {index}")
    task_id = normalize_task_id(task)
    info = TASKS[task_id]
    if info.scorer is None:
        raise TaskError(f"task {task_id} ({info.name}) cannot be scored: {UNSUPPORTED[task_id]}")
    if not records:
        raise DataError(f"{source}: no records to score for task {task_id}")
    fields = [record_fields(record, where(index)) for index, record in enumerate(records)]
    preds, refs = [pred for pred, _ in fields], [ref for _, ref in fields]
    try:
        if info.reads_prompts:
            prompts = [record.get("origin_prompt", "") for record in records]
            result = info.scorer(preds, refs, prompts, data_dir)
        else:
            result = info.scorer(preds, refs)
    except RefFormatError as err:
        raise DataError(f"{where(err.index)}: {err} (task {task_id})") from None
    return {
        "task": task_id,
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
