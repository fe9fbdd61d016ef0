"""LexEval's task table: ids, ability levels, names, metric kind and the answer cue of the prompt.

LexEval (Li et al., NeurIPS 2024; github.com/CSHaitao/LexEval) has 23 tasks ``<i>_<j>`` in six
ability levels. Level 5 (generation) is scored with Rouge_L, every other task is multiple choice
(Accuracy, F1) — LexEval's ``evaluate.py`` decides this from the first digit of the id alone.

>>> TASKS["5_3"].kind, TASKS["1_1"].kind, TASKS["1_1"].level
('generation', 'choice', 'memorization')
>>> normalize_task_id("lexeval_3_5"), normalize_task_id("3-5")
('3_5', '3_5')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lawbench.errors import TaskError

TASK_PREFIX = "lexeval_"

# LexEval's six ability levels (the LexCog taxonomy), in the paper's order: level digit -> name.
LEVELS = {
    "1": "memorization",
    "2": "understanding",
    "3": "logic_inference",
    "4": "discrimination",
    "5": "generation",
    "6": "ethics",
}


@dataclass(frozen=True)
class LexEvalTask:
    id: str  # LexEval's id, "3_5"
    name: str  # the paper's task name (Table 1)
    available: bool  # False: the task file could not be obtained, so there is no lm-eval subtask

    @property
    def level(self) -> str:
        return LEVELS[self.id[0]]

    @property
    def kind(self) -> str:
        """``generation`` (Rouge_L) for level 5, ``choice`` (Accuracy and F1) otherwise, as evaluate.py."""
        return "generation" if self.id.startswith("5_") else "choice"

    @property
    def metric(self) -> str:
        """What ``score`` is: LexEval's metric name."""
        return "Rouge_L" if self.kind == "generation" else "Accuracy"

    @property
    def answer_cue(self) -> str:
        """The line LexEval's ``process_prompt`` appends to the input (``model_gen.py``)."""
        return {"5_1": "摘要:", "5_2": "裁判分析过程:", "5_3": "翻译结果:"}.get(self.id, "答案:")

    @property
    def task_name(self) -> str:
        """The lm-eval subtask name, ``lexeval_3_5``."""
        return TASK_PREFIX + self.id


_TABLE = (
    ("1_1", "Legal Concept", True),
    ("1_2", "Legal Rule", True),
    ("1_3", "Legal Evolution", True),
    ("2_1", "Legal Element Recognition", True),
    ("2_2", "Legal Fact Verification", True),
    ("2_3", "Reading Comprehension", True),
    ("2_4", "Relation Extraction", True),
    ("2_5", "Named-entity Recognition", True),
    ("3_1", "Cause Prediction", True),
    ("3_2", "Article Prediction", True),
    ("3_3", "Penalty Prediction", True),
    ("3_4", "Multi-hop Reasoning", True),
    ("3_5", "Legal Calculation", True),
    ("3_6", "Argument Mining", True),
    ("4_1", "Similar Case Identification", False),
    ("4_2", "Document Proofreading", True),
    ("5_1", "Summary Generation", False),
    ("5_2", "Judicial Analysis Generation", False),
    ("5_3", "Legal Translation", True),
    ("5_4", "Open-ended Question Answering", True),
    ("6_1", "Bias and Discrimination", True),
    ("6_2", "Morality", True),
    ("6_3", "Privacy", True),
)
TASKS: dict[str, LexEvalTask] = {task_id: LexEvalTask(task_id, name, ok) for task_id, name, ok in _TABLE}
AVAILABLE: tuple[str, ...] = tuple(task_id for task_id, task in TASKS.items() if task.available)


def normalize_task_id(task: str) -> str:
    """``lexeval_3_5``, ``3_5`` or ``3-5`` -> ``3_5``; a TaskError names the known ids otherwise."""
    text = task.strip()
    text = text[len(TASK_PREFIX):] if text.startswith(TASK_PREFIX) else text
    text = text.replace("-", "_")
    if text not in TASKS:
        raise TaskError(f"unknown LexEval task '{task}'; known: {', '.join(TASKS)} (as lexeval_<i_j>)")
    return text


def task_of_file_name(name: str) -> str | None:
    """The id in a LexEval output file name ``<Model>_<i>_<j>.jsonl`` (as evaluate.py reads it).

    >>> task_of_file_name("gpt4_5_4.jsonl"), task_of_file_name("notes.txt")
    ('5_4', None)
    """
    found = re.search(r"_(\d)_(\d)\.jsonl?$", name)
    task_id = f"{found.group(1)}_{found.group(2)}" if found else None
    return task_id if task_id in TASKS else None
