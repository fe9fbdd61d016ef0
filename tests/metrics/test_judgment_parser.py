"""The answer parser, on hand-written edge cases and on real model outputs from ../shared/data."""

from __future__ import annotations

import json
import re

import pytest

from lawbench.metrics.judgment import XT, normalize_charge, parse_judgment, parse_term


@pytest.mark.parametrize(
    ("response", "verdict", "charge", "term"),
    [
        ("<answer>容留他人吸毒 | 7</answer>", "guilty", "容留他人吸毒", 7),
        ("<think>先分析……</think>\n<answer> 盗窃罪 ｜ 有期徒刑一年六个月 </answer>", "guilty", "盗窃", 18),
        ("<answer>故意杀人 | 死刑</answer>", "guilty", "故意杀人", XT),
        ("<answer>故意杀人 | 无期徒刑</answer>", "guilty", "故意杀人", XT),
        ("<answer>抢劫 | XT</answer>", "guilty", "抢劫", XT),
        ("<answer>不违规</answer>", "not_guilty", None, None),
        ("<answer> NV </answer>", "not_guilty", None, None),
        ("<answer>无罪</answer>", "not_guilty", None, None),
        ("<answer> V | 7 </answer>", "guilty", None, 7),
        ("<answer> V | 无期徒刑 </answer>", "guilty", None, XT),
        ("<answer>诈骗 | 3年6个月</answer>", "guilty", "诈骗", 42),
        ("<answer>诈骗 | 两年</answer>", "guilty", "诈骗", 24),
        ("<answer>诈骗 | 一年半</answer>", "guilty", "诈骗", 18),
        ("<answer>危险驾驶 | 拘役三个月</answer>", "guilty", "危险驾驶", 3),
        ("<answer>盗窃 | １８</answer>", "guilty", "盗窃", 18),  # full-width digits
        ("<answer>罪名：盗窃 | 刑期：3年</answer>", "guilty", "盗窃", 36),
        # closing tag cut by the "</answer>" stop sequence
        ("<think>x</think><answer>容留他人吸毒 | 7", "guilty", "容留他人吸毒", 7),
        # only the closing think tag (chat templates that open <think> in the prompt)
        ("推理……</think>\n\n<answer>盗窃 | 6</answer>", "guilty", "盗窃", 6),
        # no tags at all
        ("容留他人吸毒 | 7", "guilty", "容留他人吸毒", 7),
        ("被告人犯盗窃罪，判处有期徒刑一年六个月。", "guilty", "盗窃", 18),
        ("经审理，被告人的行为不构成犯罪。", "not_guilty", None, None),
        ("被告人不构成盗窃罪。", "not_guilty", None, None),
    ],
)
def test_parses_answer_forms(response, verdict, charge, term):
    judgment = parse_judgment(response)
    assert (judgment.verdict, judgment.charge, judgment.term) == (verdict, charge, term)


@pytest.mark.parametrize(
    "response",
    ["", None, "我不知道。", "<think>还在推理，没有结束", "<think>a</think>\n\n<answer>", "<answer>   </answer>"],
)
def test_unparseable_outputs(response):
    judgment = parse_judgment(response)
    assert not judgment.parsed and not judgment.complete


def test_unclosed_reasoning_hides_answers_inside_it():
    # An answer written inside reasoning that never closed is a draft, not the final answer.
    assert not parse_judgment("<think>也许 <answer>盗窃 | 6</answer> 但还要再想").parsed


def test_truncated_guilty_answer_is_parsed_but_incomplete():
    judgment = parse_judgment("<think>…</think><answer> V |")
    assert judgment.parsed and judgment.verdict == "guilty" and not judgment.complete


def test_last_answer_tag_wins():
    assert parse_judgment("<answer>盗窃 | 6</answer> 更正：<answer>诈骗 | 8</answer>").charge == "诈骗"


def test_normalize_charge_and_terms():
    assert normalize_charge("【容留他人吸毒罪】") == "容留他人吸毒"
    assert normalize_charge("犯 盗窃 罪") == "盗窃"
    assert parse_term("十八个月") == 18
    assert parse_term("有期徒刑三年零六个月") == 42
    assert parse_term("免予刑事处罚") == 0
    assert parse_term("") is None
    assert parse_term("若干") is None


def test_canonical_form_round_trips():
    for text in ("<answer>盗窃 | 18</answer>", "<answer>不违规</answer>", "<answer>抢劫 | XT</answer>"):
        judgment = parse_judgment(text)
        assert parse_judgment(f"<answer>{judgment.canonical()}</answer>") == judgment


# --------------------------------------------------------------------------- real model outputs
def _nov3(shared_data):
    path = shared_data / "lawshift/logs/detailed_results_Qwen3-0.6B_20251103_125817.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_agrees_with_recorded_predictions_on_nov3_log(shared_data):
    """Every response stored with a complete <answer>…</answer>: parsed charge and term must equal the
    evaluator's recorded pred_charge / pred_prison on at least 99% of them."""
    checked = agreed = 0
    for scenario in _nov3(shared_data):
        for side in ("original", "poisoned"):
            for record in scenario[side]["predictions"]:
                if not re.search(r"<answer>.*?</answer>", record["response"], re.S):
                    continue
                checked += 1
                judgment = parse_judgment(record["response"])
                agreed += (judgment.charge == normalize_charge(record["pred_charge"])
                           and judgment.term == record["pred_prison"])
    assert checked > 300  # 327 records in this log hold a complete answer
    assert agreed / checked >= 0.99, f"{agreed}/{checked}"


def test_parse_rate_on_nov15_full_responses(shared_data):
    """V / NV answer format, full responses. Measured: 557/612 complete (91.0%); the rest are
    reasoning cut at the token limit (no </think>) or an answer cut after 'V |'."""
    path = shared_data / "lawshift/logs/Qwen3-0.6B_20251115_203907_prompts_responses.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    outputs = [r["full_response"] for s in data for side in ("original", "poisoned") for r in s[side]]
    judgments = [parse_judgment(o) for o in outputs]
    complete = sum(j.complete for j in judgments)
    assert len(outputs) == 612
    assert complete / len(outputs) >= 0.90
    # What the parser misses must really lack an answer: no closing think tag, or an empty/cut answer.
    for output, judgment in zip(outputs, judgments):
        if not judgment.complete:
            tail = output.split("</think>")[-1] if "</think>" in output else ""
            assert not re.search(r"<answer>\s*(NV|V\s*\|\s*\d+)\s*</answer>", tail), tail
    # Where the reference evaluator understood an answer, the parser agrees with it.
    for scenario in data:
        for side in ("original", "poisoned"):
            for record in scenario[side]:
                if record["pred_verdict"] in ("V", "NV"):
                    judgment = parse_judgment(record["full_response"])
                    assert judgment.verdict == ("guilty" if record["pred_verdict"] == "V" else "not_guilty")
                    if record["pred_prison"] is not None:
                        assert str(judgment.term) == record["pred_prison"]
