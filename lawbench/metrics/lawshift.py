"""Score a judgment against a LawShift case, before and after a statute change.

LawShift stores the *original* labels in both ``original.json`` and ``poisoned.json``; what a correct
answer looks like after the change follows from the scenario's shift type:

====  =============================  ==========================================  ==========================
type  the changed statute...         expected outcome on the poisoned side        verdict_acc (poisoned)
====  =============================  ==========================================  ==========================
V     still makes the act a crime    same charge, same term                        predicts a crime
NV    no longer makes it a crime     not guilty                                    predicts not guilty
TU    moves the term range up        same charge, a term of >= 120 months          numeric term >= 120
TD    moves the term range down      same charge, a term of <= 36 months           numeric term <= 36
XT    now carries death / life       same charge, ``XT``                           predicts ``XT``
NX    no longer carries death/life   same charge, a numeric term >= 36 months      numeric term >= 36
====  =============================  ==========================================  ==========================

On the original side the stored labels are the expected outcome, and ``verdict_acc`` follows the
LawShift reference evaluator (LawShiftLLM ``eval/evaluate.py``): V/NV → predicts a crime; TU/TD/XT →
a numeric term in [36, 120]; NX → predicts ``XT``.

Metrics per case (all in [0, 1]; lm-eval averages them):

* ``charge_acc``: normalised exact charge match; a not-guilty expected outcome counts only a
  not-guilty answer.
* ``term_acc``: exact months; ``XT`` matches stored 10000 (life) / 10001 (death). Where a change
  defines only a range (poisoned TU, TD, NX) a numeric term inside the range counts.
* ``term_score``: CAIL2018's log-distance score, ``v = |ln(pred+1) - ln(gold+1)|`` → 1.0 / 0.8 /
  0.6 / 0.4 / 0.2 / 0 for v ≤ 0.2 / 0.4 / 0.6 / 0.8 / 1.0 / above; ``XT`` scores 1 only against ``XT``.
  Against a range: 1.0 inside, else the score against the nearest bound.
* ``verdict_acc``: the shift-aware check in the table above.
* ``parse_rate``: 1 when the parser understood a whole answer (not guilty, or guilty with a term).

:func:`score_judgment` returns them in a :class:`~lawbench.metrics.Score` record with the parsed
:class:`~lawbench.metrics.Judgment` (``answer``), its canonical form and an explanation;
:func:`score_case` is the metrics alone.

Example:
    >>> score = score_judgment("<think>…</think><answer>盗窃罪 | 24</answer>", charge="盗窃", prison_time=6,
    ...                        side="original", shift_type="V")
    >>> score.value["charge_acc"], score.value["term_score"], score.canonical
    (1.0, 0.0, '盗窃 | 24')
    >>> score.explanation
    'answer 盗窃 | 24, expected 盗窃 | 6: charge right, term wrong, verdict right'
    >>> score_case("<answer>容留他人吸毒 | 7</answer>", charge="容留他人吸毒", prison_time=7,
    ...            side="original", shift_type="V")
    {'charge_acc': 1.0, 'term_acc': 1.0, 'term_score': 1.0, 'verdict_acc': 1.0, 'parse_rate': 1.0}
    >>> score_case("<answer>不违规</answer>", charge="容留他人吸毒", prison_time=7,
    ...            side="poisoned", shift_type="NV")["verdict_acc"]
    1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lawbench.metrics.judgment import DEATH_MONTHS, LIFE_MONTHS, XT, Judgment, Term, normalize_charge, parse_judgment
from lawbench.metrics.score import Score

ShiftType = Literal["V", "NV", "TU", "TD", "XT", "NX"]
Side = Literal["original", "poisoned"]

SHIFT_TYPES: dict[str, str] = {
    "V": "the act is still a crime after the change",
    "NV": "the act is no longer a crime",
    "TU": "the sentencing range moved up (term >= 120 months)",
    "TD": "the sentencing range moved down (term <= 36 months)",
    "XT": "the crime now carries death or life imprisonment",
    "NX": "the crime no longer carries death or life imprisonment (numeric term >= 36 months)",
}
SIDES: tuple[str, ...] = ("original", "poisoned")

# CAIL2018 imprisonment score: upper bounds of |ln(p+1) - ln(g+1)| and the score they earn.
_CAIL_BANDS = ((0.2, 1.0), (0.4, 0.8), (0.6, 0.6), (0.8, 0.4), (1.0, 0.2))


@dataclass(frozen=True)
class Outcome:
    """The judgment a correct answer gives: an exact ``term``, or only a ``term_range`` of months."""

    guilty: bool
    charge: str | None = None
    term: Term = None
    term_range: tuple[int, int | None] | None = None  # inclusive (low, high); high None = unbounded

    def term_in_range(self, term: Term) -> bool:
        if self.term_range is None or not isinstance(term, int):
            return False
        low, high = self.term_range
        return term >= low and (high is None or term <= high)


# The sentencing ranges a shift defines on the poisoned side (months, inclusive), as the reference
# evaluator checks them.
SHIFT_RANGES: dict[str, tuple[int, int | None]] = {"TU": (120, None), "TD": (0, 36), "NX": (36, None)}


def term_from_months(prison_time: int) -> Term:
    """LawShift's stored months → months, or ``"XT"`` for 10000 (life) / 10001 (death)."""
    return XT if prison_time in (LIFE_MONTHS, DEATH_MONTHS) else int(prison_time)


def expected_outcome(charge: str, prison_time: int, side: Side, shift_type: ShiftType) -> Outcome:
    """What a correct answer is for a case on ``side`` of a ``shift_type`` scenario."""
    _check(side, shift_type)
    charge_name = normalize_charge(charge)
    stored_term = term_from_months(prison_time)
    if side == "original" or shift_type == "V":
        return Outcome(True, charge_name, stored_term)
    if shift_type == "NV":
        return Outcome(False)
    if shift_type == "XT":
        return Outcome(True, charge_name, XT)
    return Outcome(True, charge_name, None, SHIFT_RANGES[shift_type])  # TU / TD / NX: only a range


def charge_correct(pred: Judgment, gold: Outcome) -> bool:
    if not gold.guilty:
        return pred.not_guilty
    return pred.verdict == "guilty" and pred.charge is not None and normalize_charge(pred.charge) == gold.charge


def term_correct(pred: Judgment, gold: Outcome) -> bool:
    """Exact term match, or a numeric term inside the expected range."""
    if not gold.guilty:
        return pred.not_guilty
    if pred.verdict != "guilty":
        return False
    if gold.term_range is not None:
        return gold.term_in_range(pred.term)
    return pred.term == gold.term


def outcome_term_score(pred: Judgment, gold: Outcome) -> float:
    """:func:`term_score` against an exact term, or against the nearest bound of a range."""
    if not gold.guilty:
        return float(pred.not_guilty)
    if pred.verdict != "guilty":
        return 0.0
    if gold.term_range is None:
        return term_score(pred.term, gold.term)
    if gold.term_in_range(pred.term):
        return 1.0
    if not isinstance(pred.term, int):
        return 0.0
    low, high = gold.term_range
    return term_score(pred.term, low if pred.term < low else high)


def term_score(pred_term: Term, gold_term: Term) -> float:
    """CAIL2018 log-distance score of a predicted term (months or ``"XT"``) against the gold one.

    >>> term_score(7, 7), term_score(9, 7), term_score(24, 7), term_score("XT", "XT"), term_score(None, 7)
    (1.0, 0.8, 0.0, 1.0, 0.0)
    """
    if pred_term is None or gold_term is None:
        return 0.0
    if XT in (pred_term, gold_term):
        return 1.0 if pred_term == gold_term else 0.0
    distance = abs(math.log(int(pred_term) + 1) - math.log(int(gold_term) + 1))
    for bound, score in _CAIL_BANDS:
        if distance <= bound:
            return score
    return 0.0


def term_log_distance(pred_term: Term, gold_term: int) -> float:
    """LawBench 3-5's raw distance ``|ln(pred+1) - ln(gold+1)|`` (``ln 216`` when no term is given)."""
    if pred_term is None or pred_term == XT:
        return math.log(216)
    return abs(math.log(int(gold_term) + 1) - math.log(int(pred_term) + 1))


def _numeric(term: Term) -> int | None:
    return term if isinstance(term, int) else None


def verdict_correct(pred: Judgment, side: Side, shift_type: ShiftType) -> bool:
    """Shift-aware correctness of the verdict (see the module table)."""
    _check(side, shift_type)
    guilty = pred.verdict == "guilty"
    months = _numeric(pred.term) if guilty else None
    if side == "original":
        if shift_type in ("V", "NV"):
            return guilty
        if shift_type in ("TU", "TD", "XT"):
            return months is not None and 36 <= months <= 120
        return guilty and pred.term == XT  # NX: the original statute carried death / life
    if shift_type == "V":
        return guilty
    if shift_type == "NV":
        return pred.not_guilty
    if shift_type == "TU":
        return months is not None and months >= 120
    if shift_type == "TD":
        return months is not None and months <= 36
    if shift_type == "XT":
        return guilty and pred.term == XT
    return months is not None and months >= 36  # NX


def judgment_correct(pred: Judgment, gold: Outcome) -> bool:
    """Charge and term both right (a not-guilty outcome only with a not-guilty answer).

    This is the acceptance test of rejection sampling.
    """
    return charge_correct(pred, gold) and term_correct(pred, gold)


def score_judgment(
    response: str | Judgment, *, charge: str, prison_time: int, side: Side, shift_type: ShiftType
) -> Score:
    """All LawShift metrics for one model output, in a record with the judgment parsed from it.

    ``response`` is parsed once (a :class:`Judgment` is scored as it is). ``metadata`` holds the
    ``expected`` :class:`Outcome`, ``side`` and ``shift_type``.
    """
    pred = response if isinstance(response, Judgment) else parse_judgment(response)
    gold = expected_outcome(charge, prison_time, side, shift_type)
    value = {
        "charge_acc": float(charge_correct(pred, gold)),
        "term_acc": float(term_correct(pred, gold)),
        "term_score": outcome_term_score(pred, gold),
        "verdict_acc": float(verdict_correct(pred, side, shift_type)),
        "parse_rate": float(pred.complete),
    }
    canonical = pred.canonical()
    verdicts = ", ".join(f"{name} {'right' if value[key] == 1.0 else 'wrong'}"
                         for name, key in (("charge", "charge_acc"), ("term", "term_acc"), ("verdict", "verdict_acc")))
    explanation = f"answer {canonical or '(unparsed)'}, expected {describe_outcome(gold)}: {verdicts}"
    metadata = {"expected": gold, "side": side, "shift_type": shift_type}
    return Score(value, answer=pred, canonical=canonical, explanation=explanation, metadata=metadata)


def score_case(
    response: str | Judgment, *, charge: str, prison_time: int, side: Side, shift_type: ShiftType
) -> dict[str, float]:
    """All LawShift metrics for one model output (see the module docstring): :func:`score_judgment`'s values."""
    return score_judgment(response, charge=charge, prison_time=prison_time, side=side, shift_type=shift_type).value


def describe_outcome(outcome: Outcome) -> str:
    """An expected outcome in the answer format, a range written as ``low-high`` / ``>=low`` months.

    >>> describe_outcome(Outcome(True, "盗窃", None, (0, 36))), describe_outcome(Outcome(False))
    ('盗窃 | 0-36', '不违规')
    """
    if not outcome.guilty:
        return "不违规"
    if outcome.term_range is not None:
        low, high = outcome.term_range
        term = f">={low}" if high is None else f"{low}-{high}"
    else:
        term = "" if outcome.term is None else str(outcome.term)
    return f"{outcome.charge or 'V'} | {term}".rstrip(" |")


def _check(side: str, shift_type: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    if shift_type not in SHIFT_TYPES:
        raise ValueError(f"shift type must be one of {sorted(SHIFT_TYPES)}, got {shift_type!r}")
