"""LawBench-compatible scoring (OpenCompass LawBench, ``open-compass/LawBench``).

Scores reproduce LawBench's published evaluation code exactly, quirks included (``score``,
``abstention_rate``); lawbench's corrected variants sit beside them (``score_strict``,
``abstention_rate_strict``). Every quirk is described in ``lawbench/tasks/lawbench_oc/README.md``.

Public API:

* :func:`score_task` — score a list of ``{"origin_prompt", "prediction", "refr"}`` records.
* :func:`load_predictions` / :func:`score_file` — read a LawBench prediction file or a
  ``samples_<task>_<time>.jsonl`` of ``lawbench eval`` and score it.
* :data:`TASKS` (id → :class:`TaskInfo`), :data:`SUPPORTED`, :func:`normalize_task_id`.
"""

from lawbench.metrics.lawbench_oc.files import load_predictions, score_file
from lawbench.metrics.lawbench_oc.scoring import (
    SUPPORTED,
    TASKS,
    UNSUPPORTED,
    TaskInfo,
    normalize_task_id,
    score_records,
    score_task,
)

__all__ = [
    "SUPPORTED",
    "TASKS",
    "UNSUPPORTED",
    "TaskInfo",
    "load_predictions",
    "normalize_task_id",
    "score_file",
    "score_records",
    "score_task",
]
