"""Shift-aware LawShift scoring: expected outcomes, verdict rules, CAIL term score."""

from __future__ import annotations

import math

import pytest

from lawbench.metrics.judgment import XT, parse_judgment
from lawbench.metrics.lawshift import (
    expected_outcome,
    judgment_correct,
    score_case,
    term_log_distance,
    term_score,
    verdict_correct,
)


def answer(text: str):
    return parse_judgment(f"<answer>{text}</answer>")


def test_expected_outcome_by_side_and_type():
    assert expected_outcome("盗窃罪", 7, "original", "NV").term == 7
    assert expected_outcome("盗窃", 7, "original", "NV").charge == "盗窃"
    assert not expected_outcome("盗窃", 7, "poisoned", "NV").guilty
    assert expected_outcome("盗窃", 7, "poisoned", "V").term == 7
    assert expected_outcome("故意杀人", 100, "poisoned", "XT").term == XT
    assert expected_outcome("故意杀人", 10001, "original", "NX").term == XT  # stored death
    assert expected_outcome("故意杀人", 10000, "original", "NX").term == XT  # stored life
    for kind, bounds in (("TU", (120, None)), ("TD", (0, 36)), ("NX", (36, None))):
        outcome = expected_outcome("盗窃", 50, "poisoned", kind)
        assert outcome.term is None and outcome.term_range == bounds


@pytest.mark.parametrize(
    ("text", "side", "kind", "correct"),
    [
        ("盗窃 | 7", "original", "V", True),
        ("不违规", "original", "NV", False),
        ("盗窃 | 7", "original", "NV", True),
        ("盗窃 | 60", "original", "TU", True),
        ("盗窃 | 121", "original", "TU", False),
        ("盗窃 | 36", "original", "XT", True),
        ("盗窃 | XT", "original", "NX", True),
        ("盗窃 | 7", "poisoned", "V", True),
        ("不违规", "poisoned", "NV", True),
        ("盗窃 | 7", "poisoned", "NV", False),
        ("盗窃 | 120", "poisoned", "TU", True),
        ("盗窃 | 119", "poisoned", "TU", False),
        ("盗窃 | 36", "poisoned", "TD", True),
        ("盗窃 | 37", "poisoned", "TD", False),
        ("不违规", "poisoned", "TD", False),
        ("盗窃 | XT", "poisoned", "XT", True),
        ("盗窃 | 200", "poisoned", "XT", False),
        ("盗窃 | 36", "poisoned", "NX", True),
        ("盗窃 | XT", "poisoned", "NX", False),
    ],
)
def test_verdict_rules_follow_the_reference_evaluator(text, side, kind, correct):
    assert verdict_correct(answer(text), side, kind) is correct


def cail_reference(pred: int, gold: int) -> float:
    """CAIL2018's imprisonment score, written out independently of the implementation."""
    v = abs(math.log(pred + 1) - math.log(gold + 1))
    return 1.0 if v <= 0.2 else 0.8 if v <= 0.4 else 0.6 if v <= 0.6 else 0.4 if v <= 0.8 else 0.2 if v <= 1.0 else 0.0


@pytest.mark.parametrize("gold", [0, 1, 6, 7, 18, 36, 120, 180])
def test_term_score_matches_cail2018(gold):
    for pred in range(0, 240):
        assert term_score(pred, gold) == cail_reference(pred, gold)
    assert term_score(XT, gold) == 0.0 and term_score(None, gold) == 0.0
    assert term_score(XT, XT) == 1.0 and term_score(gold, XT) == 0.0


def test_term_log_distance_is_lawbench_3_5():
    assert term_log_distance(7, 7) == 0.0
    assert term_log_distance(None, 7) == pytest.approx(math.log(216))
    assert term_log_distance(15, 7) == pytest.approx(math.log(16) - math.log(8))


def test_score_case_original_side():
    scores = score_case("<answer>容留他人吸毒罪 | 9</answer>", charge="容留他人吸毒", prison_time=7,
                        side="original", shift_type="V")
    assert scores == {"charge_acc": 1.0, "term_acc": 0.0, "term_score": 0.8, "verdict_acc": 1.0,
                      "parse_rate": 1.0}


def test_not_guilty_expected_only_counts_not_guilty_answers():
    right = score_case("<answer>不违规</answer>", charge="盗窃", prison_time=7, side="poisoned", shift_type="NV")
    stale = score_case("<answer>盗窃 | 7</answer>", charge="盗窃", prison_time=7, side="poisoned", shift_type="NV")
    assert right == {"charge_acc": 1.0, "term_acc": 1.0, "term_score": 1.0, "verdict_acc": 1.0, "parse_rate": 1.0}
    assert stale["charge_acc"] == stale["term_acc"] == stale["verdict_acc"] == 0.0


def test_guilty_expected_with_not_guilty_answer_scores_zero():
    scores = score_case("<answer>不违规</answer>", charge="盗窃", prison_time=7, side="original", shift_type="V")
    assert scores["charge_acc"] == scores["term_acc"] == scores["term_score"] == scores["verdict_acc"] == 0.0


def test_range_outcomes_score_terms_against_the_range():
    inside = score_case("<answer>盗窃 | 150</answer>", charge="盗窃", prison_time=50, side="poisoned", shift_type="TU")
    assert inside == {"charge_acc": 1.0, "term_acc": 1.0, "term_score": 1.0, "verdict_acc": 1.0, "parse_rate": 1.0}
    stale = score_case("<answer>盗窃 | 50</answer>", charge="盗窃", prison_time=50, side="poisoned", shift_type="TU")
    assert stale["term_acc"] == 0.0 and stale["term_score"] == cail_reference(50, 120)
    below = score_case("<answer>盗窃 | 48</answer>", charge="盗窃", prison_time=30, side="poisoned", shift_type="TD")
    assert below["term_acc"] == 0.0 and below["term_score"] == cail_reference(48, 36)
    xt = score_case("<answer>盗窃 | XT</answer>", charge="盗窃", prison_time=10000, side="poisoned", shift_type="NX")
    assert xt["term_acc"] == xt["term_score"] == xt["verdict_acc"] == 0.0


def test_xt_labels():
    life = score_case("<answer>故意杀人 | 无期徒刑</answer>", charge="故意杀人", prison_time=10000,
                      side="original", shift_type="NX")
    assert life["term_acc"] == 1.0 and life["term_score"] == 1.0 and life["verdict_acc"] == 1.0
    wrong = score_case("<answer>故意杀人 | 180</answer>", charge="故意杀人", prison_time=10001,
                       side="original", shift_type="NX")
    assert wrong["term_acc"] == 0.0 and wrong["term_score"] == 0.0


def test_judgment_correct_for_rejection_sampling():
    gold = expected_outcome("盗窃", 7, "original", "V")
    assert judgment_correct(answer("盗窃罪 | 7"), gold)
    assert not judgment_correct(answer("盗窃 | 8"), gold)
    assert not judgment_correct(answer("V | 7"), gold)  # no charge named
    assert judgment_correct(answer("不违规"), expected_outcome("盗窃", 7, "poisoned", "NV"))
    assert judgment_correct(answer("盗窃 | 150"), expected_outcome("盗窃", 50, "poisoned", "TU"))
    assert not judgment_correct(answer("盗窃 | 50"), expected_outcome("盗窃", 50, "poisoned", "TU"))


def test_rejects_unknown_side_or_type():
    with pytest.raises(ValueError):
        verdict_correct(answer("盗窃 | 7"), "before", "V")
    with pytest.raises(ValueError):
        expected_outcome("盗窃", 7, "original", "XX")
