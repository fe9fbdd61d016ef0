"""LawBench's scoring quirks (kept in ``score``) and lawbench's corrections (``score_strict``).

Every record here is hand-written; the expected numbers follow from LawBench's procedure as
documented in ``lawbench/tasks/lawbench_oc/README.md``.
"""

from __future__ import annotations

import math
import random

import pytest

from lawbench.errors import DataError, TaskError
from lawbench.metrics.lawbench_oc import TASKS, normalize_task_id, score_task

LN216 = math.log(216)


def score(task: str, pairs: list[tuple[str, str]]) -> dict:
    """Score ``(prediction, reference)`` pairs."""
    return score_task(task, [{"origin_prompt": "", "prediction": p, "refr": r} for p, r in pairs])


def term_score(pred_months: int, gold_months: int) -> float:
    return (LN216 - abs(math.log(gold_months + 1) - math.log(pred_months + 1))) / LN216


# --------------------------------------------------------------------------- task ids
def test_task_ids_in_both_spellings():
    assert normalize_task_id("3-4") == normalize_task_id("lawbench_oc_3_4") == normalize_task_id("3_4") == "3-4"
    assert normalize_task_id("lawbench_oc_2_10") == "2-10"
    assert TASKS["3-4"].task_name == "lawbench_oc_3_4"
    with pytest.raises(TaskError, match="unknown LawBench task '4-1'"):
        normalize_task_id("4-1")


def test_document_proofreading_without_cherrant_tables_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWBENCH_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match=f"{tmp_path}/cherrant/cilin.txt: file not found"):
        score_task("2-1", [{"origin_prompt": "纠正句子。句子：\n上诉证据合法。", "prediction": "上述证据合法。",
                            "refr": "上述证据合法。"}])


def test_no_records_is_an_error():
    with pytest.raises(DataError, match="no records"):
        score_task("3-4", [])


def test_result_fields():
    result = score("lawbench_oc_1_2", [("[正确答案]D<eoa>", "正确答案：D。")])
    assert result == {"task": "1-2", "name": "knowledge_question_answering", "metric": "accuracy", "score": 1.0,
                      "abstention_rate": 0.0, "score_strict": 1.0, "abstention_rate_strict": 0.0, "n": 1,
                      "n_scored": 1}


# --------------------------------------------------------------------------- choice tasks
def test_any_other_letter_anywhere_makes_a_choice_wrong():
    result = score("1-2", [("解析：A项错误。[正确答案]B<eoa>", "正确答案：B。")])
    assert result["score"] == 0.0 and result["abstention_rate"] == 0.0
    assert result["score_strict"] == 1.0  # the tag span holds only B


def test_strict_choice_skips_an_echoed_instruction_and_reads_a_stated_answer():
    echoed = ("从A,B,C,D中选出一个正确的答案，并写在[正确答案]和<eoa>之间。[正确答案]C<eoa>", "正确答案:C。")
    stated = ("我们需要从A、B、C、D四个选项中选出一个。因此正确答案为D。", "正确答案:D。")
    result = score("3-6", [echoed, stated])
    assert result["score"] == 0.0  # both name several letters
    assert result["score_strict"] == 1.0


def test_no_option_is_an_abstention():
    result = score("2-8", [("我无法判断", "[正确答案]B<eoa>"), ("[正确答案]B<eoa>", "[正确答案]B<eoa>")])
    assert (result["score"], result["abstention_rate"]) == (0.5, 0.5)


def test_reference_colons_differ_between_1_2_and_3_6():
    # LawBench asserts a full-width colon in 1-2 references and an ASCII one in 3-6.
    with pytest.raises(DataError, match="record 0: reference '正确答案:B。' does not start with '正确答案：'"):
        score("1-2", [("B", "正确答案:B。")])
    with pytest.raises(DataError, match="does not start with '正确答案:'"):
        score("3-6", [("B", "正确答案：B。")])


def test_dispute_focus_compensation_is_skipped_but_still_divides_abstentions():
    result = score("2-2", [("不知道", "争议焦点类别：赔偿。"), ("不知道", "争议焦点类别：利息。")])
    assert result["n_scored"] == 1 and result["score"] == 0.0
    assert result["abstention_rate"] == 0.5  # 1 abstention / 2 records, the skipped one included
    assert result["abstention_rate_strict"] == 1.0  # 1 / 1 scored record


def test_topic_named_while_reasoning_makes_it_wrong():
    result = score("2-4", [("[类别]婚姻家庭<eoa>，也可能涉及合同纠纷", "婚姻家庭")])
    assert (result["score"], result["score_strict"]) == (0.0, 1.0)
    with pytest.raises(DataError, match="not one of the 20 consultation topics"):
        score("2-4", [("婚姻家庭", "家事")])


# --------------------------------------------------------------------------- label sets
def test_nested_charge_names_halve_precision():
    result = score("3-3", [("[罪名]合同诈骗<eoa>", "罪名:合同诈骗")])
    assert result["score"] == pytest.approx(2 / 3)  # found {合同诈骗, 诈骗}
    assert result["score_strict"] == 1.0
    both = score("3-3", [("[罪名]盗窃;诈骗<eoa>", "罪名:盗窃;诈骗")])
    assert both["score"] == both["score_strict"] == 1.0


def test_a_charge_named_twice_on_its_own_still_counts_in_strict():
    result = score("3-3", [("[罪名]合同诈骗;诈骗<eoa>", "罪名:合同诈骗;诈骗")])
    assert result["score"] == result["score_strict"] == 1.0


def test_marital_labels_mentioned_outside_the_tag_count():
    result = score("2-3", [("[类别]婚后有子女<eoa>，不涉及不动产分割", "类别:婚后有子女。")])
    assert result["score"] == pytest.approx(2 / 3)
    assert result["score_strict"] == 1.0


def test_event_separators_do_not_matter():
    result = score("2-9", [("支付/给付；卖出", "支付/给付;卖出"), ("没有事件", "卖出")])
    assert (result["score"], result["abstention_rate"]) == (0.5, 0.5)


# --------------------------------------------------------------------------- articles
def test_paragraph_deletion_swallows_the_article_number():
    result = score("3-1", [("[法条]刑法第264条第1款<eoa>", "法条:刑法第264条")])
    assert (result["score"], result["abstention_rate"]) == (0.0, 1.0)
    assert (result["score_strict"], result["abstention_rate_strict"]) == (1.0, 0.0)


def test_only_the_first_number_of_a_chunk_and_any_number_count():
    comma = score("3-1", [("刑法第264条，第67条", "法条:刑法第264、67条")])
    assert comma["score"] == pytest.approx(2 / 3) and comma["score_strict"] == 1.0
    amount = score("3-1", [("刑法第264条、盗窃金额3000元", "法条:刑法第264条")])
    assert amount["score"] == pytest.approx(2 / 3) and amount["score_strict"] == 1.0
    chinese = score("3-1", [("刑法第二百六十四条", "法条:刑法第264条")])
    assert chinese["score"] == chinese["score_strict"] == 1.0


def test_article_references_are_checked():
    with pytest.raises(DataError, match="record 0: reference .* is not an article number"):
        score("3-1", [("264", "法条:刑法第264、刑法第67条")])
    with pytest.raises(DataError, match="is not an article number 1-490"):
        score("3-1", [("264", "法条:刑法第491条")])


# --------------------------------------------------------------------------- prison terms
def test_months_win_over_years():
    result = score("3-4", [("[刑期]一年六个月<eoa>", "刑期:18个月")])
    assert result["score"] == pytest.approx(term_score(6, 18), abs=1e-12)
    assert result["score_strict"] == 1.0


def test_death_and_life_references_are_skipped_but_divide_abstentions():
    result = score("3-5", [("无期徒刑", "刑期:无期"), ("不知道", "刑期:6个月")])
    assert result["n_scored"] == 1
    assert result["score"] == pytest.approx(0.0, abs=1e-12)  # one abstention at the maximum distance
    assert result["abstention_rate"] == 0.5
    assert result["abstention_rate_strict"] == 1.0


def test_a_date_reads_as_months_and_years_fall_back():
    result = score("3-4", [("2016年3月作案，判处有期徒刑一年", "刑期:12个月")])
    assert result["score"] == pytest.approx(term_score(3, 12), abs=1e-12)
    assert result["score_strict"] == 1.0


def test_the_score_is_not_clipped_at_zero():
    result = score("3-4", [("5000个月", "刑期:1个月")])
    assert result["score"] == pytest.approx(term_score(5000, 1), abs=1e-12) and result["score"] < -0.4


def test_half_a_year_and_probation_and_the_concluding_term():
    half = score("3-4", [("判处拘役半年", "刑期:6个月")])
    assert (half["score"], half["abstention_rate"]) == (pytest.approx(0.0, abs=1e-12), 1.0)
    assert half["score_strict"] == 1.0
    probation = score("3-4", [("判处有期徒刑一年，缓刑二年", "刑期:12个月")])
    assert probation["score"] == probation["score_strict"] == 1.0
    concluding = score("3-4", [("依法处三年以下有期徒刑，预测刑期为一年", "刑期:12个月")])
    assert concluding["score"] == pytest.approx(term_score(36, 12), abs=1e-12)
    assert concluding["score_strict"] == 1.0


def test_term_references_are_checked():
    with pytest.raises(DataError, match="record 1: reference '刑期:一年' is not|whole number"):
        score("3-4", [("6个月", "刑期:6个月"), ("6个月", "刑期:一年")])


# --------------------------------------------------------------------------- amounts
def test_amount_separators_wan_and_chinese_numerals():
    result = score("3-7", [("[金额]8,500元<eoa>", "上文涉及到的犯罪金额:8500.0元。"),
                           ("[金额]1.5万元<eoa>", "上文涉及到的犯罪金额:15000.0元。"),
                           ("共计八千五百元", "上文涉及到的犯罪金额:8500.0元。")])
    assert result["score"] == 0.0 and result["abstention_rate"] == pytest.approx(1 / 3)
    assert result["score_strict"] == 1.0 and result["abstention_rate_strict"] == 0.0


def test_any_number_in_the_output_can_hit_the_amount():
    result = score("3-7", [("2016年盗窃8500元、3000元", "上文涉及到的犯罪金额:3000.0元。")])
    assert result["score"] == 1.0
    with pytest.raises(DataError, match="amounts must be written in 元"):
        score("3-7", [("1", "上文涉及到的犯罪金额:0.85万元。")])


# --------------------------------------------------------------------------- ROUGE-L
def test_consultation_keeps_the_answer_prefix_of_its_reference():
    result = score("3-8", [("回答:无法确定", "回答:醉驾会影响")])
    assert result["score"] > 0.2 and result["score_strict"] == 0.0
    assert result["abstention_rate"] == 0.0


def test_recitation_drops_the_answer_prefix_and_empty_outputs_never_match():
    same = score("1-1", [("为了规范农民专业合作社的组织和行为，制定本法。",
                          "答案:为了规范农民专业合作社的组织和行为，制定本法。")])
    assert same["score"] == pytest.approx(1.0, abs=1e-7)
    # LawBench scores an empty output as "无内容" without segmenting it: it cannot match even "无内容".
    assert score("2-7", [("", "无内容")])["score"] == 0.0
    with pytest.raises(DataError, match="record 0: reference is empty"):
        score("3-2", [("答", "  ")])


def test_fast_lcs_equals_rouge_chinese():
    from rouge_chinese import Rouge
    from rouge_chinese.rouge_score import _len_lcs

    from lawbench.metrics.lawbench_oc.rouge import lcs_length, rouge_l_pair

    rng = random.Random(7)
    vocab = list("甲乙丙丁戊己。！？ ") + ["盗窃", "罪", "\n", "……"]
    rouge = Rouge()
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 40))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 40))]
        assert lcs_length(a, b) == _len_lcs(a, b)
        hyp = "".join(rng.choice(vocab) for _ in range(rng.randint(1, 50)))
        ref = "".join(rng.choice(vocab) for _ in range(rng.randint(1, 50)))
        try:
            expected = rouge.get_scores([hyp], [ref])[0]["rouge-l"]["f"]
        except ValueError:
            with pytest.raises(ValueError):
                rouge_l_pair(hyp, ref)
            continue
        assert rouge_l_pair(hyp, ref) == expected


# --------------------------------------------------------------------------- extraction
def test_reading_comprehension_char_f1():
    result = score("2-5", [("摩托车", "回答:二轮摩托车"), ("", "回答:教练车")])
    assert result["score"] == pytest.approx(0.75 / 2)
    assert result["abstention_rate"] == 0.0  # LawBench reports none for 2-5


def test_entities_on_one_line_run_together():
    ref = "受害人:严某某;被盗物品:查获手机"
    result = score("2-6", [("受害人:严某某;被盗物品:查获手机", ref)])
    victim = 2 * (3 / 11) / (3 / 11 + 1)  # "严某某" against "严某某被盗物品查获手机"
    expected = (victim + 1) / 2
    assert result["score"] == pytest.approx(2 * expected * expected / (2 * expected + 1e-10))
    assert result["score_strict"] == pytest.approx(1.0, abs=1e-9)


def test_entity_abstentions_are_hidden_by_the_typo():
    result = score("2-6", [("无法提取", "受害人:严某某"), ("受害人:张三某\n", "受害人:张三某")])
    assert result["abstention_rate"] == 0.0
    assert result["abstention_rate_strict"] == 0.5


def test_entity_rules_end_of_text_last_occurrence_and_empty_references():
    end_of_text = score("2-6", [("地点:甲", "地点:甲")])  # a value within 2 characters of the end is ignored
    assert end_of_text["score"] == 0.0 and end_of_text["abstention_rate_strict"] == 1.0
    last = score("2-6", [("受害人:甲某\n受害人:乙某\n", "受害人:乙某")])
    assert last["score"] == pytest.approx(1.0, abs=1e-9)
    empty = score("2-6", [("没有实体", ""), ("受害人:张三某\n", "")])
    assert empty["score"] == 0.5 and empty["abstention_rate_strict"] == 0.0


def test_triggers_are_compared_by_position():
    swapped = score("2-10", [("退给;查扣", "查扣;退给")])
    assert swapped["score"] == 0.0 and swapped["score_strict"] == pytest.approx(1.0, abs=1e-9)
    full_width = score("2-10", [("查扣；退给", "查扣;退给")])
    first = 2 * 0.5 * 1 / 1.5  # "查扣" against "查扣退给"
    precision, recall = first / 1, first / 2
    assert full_width["score"] == pytest.approx(2 * precision * recall / (precision + recall + 1e-10))
    assert full_width["score_strict"] == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------- docstring examples
@pytest.mark.parametrize("module", ["amount", "articles", "base", "choice", "extraction", "files", "labels", "rouge",
                                    "scoring", "terms"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    found = doctest.testmod(importlib.import_module(f"lawbench.metrics.lawbench_oc.{module}"))
    assert found.attempted > 0 and found.failed == 0
