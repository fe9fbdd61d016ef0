"""Scoring as pure functions, shared by evaluation, rejection sampling and RL rewards.

Public API:

* :class:`Score` — what a scorer returns: metric values, the extracted answer, its canonical form,
  an explanation and metadata (like inspect_ai's ``Score``).
* :func:`score_judgment` — LawShift metrics for one output (charge, term, term score, verdict, parse)
  in a :class:`Score` whose ``answer`` is the parsed :class:`Judgment`; :func:`score_case` — the
  metrics alone, as a dict.
* :func:`score_choice` — exact match of the chosen option letter(s) in a :class:`Score`.
* :func:`parse_judgment` / :class:`Judgment` — read ``<answer>罪名 | 刑期</answer>`` style outputs.
* :func:`expected_outcome`, :func:`judgment_correct`, :func:`verdict_correct`, :func:`term_score`.
"""

from lawbench.metrics.choice import extract_choice, score_choice
from lawbench.metrics.judgment import XT, Judgment, normalize_charge, parse_judgment, parse_term
from lawbench.metrics.lawshift import (
    SHIFT_TYPES,
    Outcome,
    expected_outcome,
    judgment_correct,
    score_case,
    score_judgment,
    term_log_distance,
    term_score,
    verdict_correct,
)
from lawbench.metrics.score import Score

__all__ = [
    "XT",
    "Judgment",
    "Outcome",
    "SHIFT_TYPES",
    "Score",
    "expected_outcome",
    "extract_choice",
    "judgment_correct",
    "normalize_charge",
    "parse_judgment",
    "parse_term",
    "score_case",
    "score_choice",
    "score_judgment",
    "term_log_distance",
    "term_score",
    "verdict_correct",
]
