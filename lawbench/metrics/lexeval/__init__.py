"""LexEval's scoring, reproduced exactly (Accuracy, F1, Rouge_L), with strict variants.

* :func:`score_choice` / :func:`score_rouge` — one item, a :class:`~lawbench.metrics.Score`;
* :func:`score_items`, :func:`summarize`, :func:`score_file` — a task or an output file;
* :data:`TASKS` — the task table (levels, names, metric kind, prompt cue).

See ``lawbench/tasks/lexeval/README.md`` for the quirks reproduced and what the strict variants fix.
"""

from lawbench.metrics.lexeval.choice import official_letters, score_choice, strict_gold, strict_letters
from lawbench.metrics.lexeval.files import infer_task, read_outputs, score_file, score_items, summarize
from lawbench.metrics.lexeval.rouge import normalize_zh_answer, official_rouge_l, score_rouge, strict_rouge_l
from lawbench.metrics.lexeval.tasks import AVAILABLE, LEVELS, TASKS, normalize_task_id

__all__ = [
    "AVAILABLE",
    "LEVELS",
    "TASKS",
    "infer_task",
    "normalize_task_id",
    "normalize_zh_answer",
    "official_letters",
    "official_rouge_l",
    "read_outputs",
    "score_choice",
    "score_file",
    "score_items",
    "score_rouge",
    "strict_gold",
    "strict_letters",
    "strict_rouge_l",
    "summarize",
]
