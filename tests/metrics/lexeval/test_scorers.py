"""LexEval's scorer quirks, one by one, on hand-written outputs (official reading and strict fix)."""

from __future__ import annotations

import pytest

from lawbench.metrics.lexeval import (
    official_letters,
    official_rouge_l,
    score_choice,
    score_rouge,
    strict_gold,
    strict_letters,
    summarize,
)


@pytest.mark.parametrize("output, letters", [
    ("ABCD", "ABCD"),
    ("A、B和D", "ABD"),  # 、 and 和 are deleted before letters are collected
    ("答案：C。解析：A项错误", "C"),  # cut at 解析
    ("分析：本题选A", ""),  # an answer that starts with 分析 is empty
    ("A选项错误，答案C", "AC"),  # every capital A–E counts
    ("Based on DNA tests: B", "BDA"),  # letters inside English words count: B, D, A, B
    ("AAB", ""),  # a run repeating a letter is dropped
    ("ABCDEA", "ABCDE"),  # chunks of five: "ABCDE" + "A", first occurrences kept
    ("Ｃ", ""),  # full-width letters are ignored
    ("答案是 A; B", "AB"),
])
def test_official_letter_extraction(output, letters):
    assert official_letters(output) == letters


@pytest.mark.parametrize("output, letters", [
    ("A选项错误，答案C", "C"),
    ("Based on DNA tests, the answer is ｂ or Ｃ", "C"),
    ("B、A", "AB"),
    ("我不知道", ""),
])
def test_strict_letters(output, letters):
    assert strict_letters(output) == letters


def test_accuracy_is_order_sensitive_and_f1_counts_non_letters():
    score = score_choice("BA", "AB")
    assert score.value["accuracy"] == 0.0 and score.value["accuracy_strict"] == 1.0
    # "选项ABCD": 选 and 项 count towards recall in LexEval's F1 (4 of 6 characters)
    quirky = score_choice("ABCD", "选项ABCD")
    assert quirky.value["accuracy"] == 0.0 and quirky.value["f1"] == pytest.approx(0.8)
    assert quirky.value["accuracy_strict"] == 1.0 and quirky.value["f1_strict"] == 1.0


def test_gold_without_letters_is_left_out_of_strict_means():
    assert strict_gold("无") is None and strict_gold(None) is None
    none_answer = score_choice("A", None)
    assert none_answer.value == {"accuracy": 0.0, "f1": 0.0, "abstained": 0.0}
    result = summarize("3_5", [none_answer, score_choice("", "B")])
    assert result["score"] == 0.0 and result["n"] == 2 and result["n_strict"] == 1
    assert result["abstention_rate"] == 0.5 and result["abstention_rate_strict"] == 1.0


def test_rouge_counts_distinct_tokens_and_glues_english_words():
    # rouge 1.0.1 (exclusive=True): "中国 中国" has one distinct token, like the reference: F = 1
    official, zeroed = official_rouge_l("中国中国", "中国")
    assert official == pytest.approx(1.0, abs=1e-7) and zeroed is None
    assert score_rouge("中国中国", "中国").value["rouge_l_strict"] == pytest.approx(2 / 3)
    # whitespace is removed before segmentation: "the court" and "thecourt" are the same text
    assert official_rouge_l("the court", "thecourt")[0] == pytest.approx(1.0, abs=1e-7)
    assert score_rouge("the court", "thecourt").value["rouge_l_strict"] == 0.0


def test_rouge_empty_texts_score_zero():
    assert official_rouge_l("。。", "被告人犯盗窃罪") == (0.0, "empty")
    score = score_rouge("", "被告人犯盗窃罪")
    assert score.value["abstained"] == 1.0 and score.value["rouge_l_strict"] == 0.0
    assert "rouge_l_strict" not in score_rouge("判决", "。").value  # no reference words: no strict item


def test_rouge_zero_where_the_recursive_backtrace_overflows():
    """LexEval's evaluate.py (run as a script, CPython 3.11, rouge 1.0.1) scored ``法律`` + ``中国`` * k
    against ``法律`` as 0.6667 for k <= 988 and 0.0 from k = 989 on (a back-trace of k + 2 frames)."""
    passing, _ = official_rouge_l("法律" + "中国" * 988, "法律")
    failing, zeroed = official_rouge_l("法律" + "中国" * 989, "法律")
    assert passing == pytest.approx(0.6666666622222223, abs=1e-12)
    assert (failing, zeroed) == (0.0, "recursion")
    assert score_rouge("法律" + "中国" * 989, "法律").value["rouge_l_strict"] > 0  # strict does not zero it
