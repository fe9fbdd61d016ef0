"""Scoring as pure functions, shared by evaluation, rejection sampling and RL rewards.

Public API:

* :func:`parse_judgment` / :class:`Judgment` — read ``<answer>罪名 | 刑期</answer>`` style outputs.
* :func:`score_case` — LawShift metrics for one output (charge, term, term score, verdict, parse).
* :func:`expected_outcome`, :func:`judgment_correct`, :func:`verdict_correct`, :func:`term_score`.
"""

from lawbench.metrics.judgment import XT, Judgment, normalize_charge, parse_judgment, parse_term
from lawbench.metrics.lawshift import (
    SHIFT_TYPES,
    Outcome,
    expected_outcome,
    judgment_correct,
    score_case,
    term_log_distance,
    term_score,
    verdict_correct,
)

__all__ = [
    "XT",
    "Judgment",
    "Outcome",
    "SHIFT_TYPES",
    "expected_outcome",
    "judgment_correct",
    "normalize_charge",
    "parse_judgment",
    "parse_term",
    "score_case",
    "term_log_distance",
    "term_score",
    "verdict_correct",
]
