"""RL reward functions: their examples, TRL's completion formats, gold columns, and real model outputs."""

from __future__ import annotations

import doctest
import json
import re

import pytest

from lawbench.metrics import rewards
from lawbench.metrics.lawshift import term_score
from lawbench.metrics.rewards import (
    charge_reward,
    choice_reward,
    combine_columns,
    format_reward,
    term_reward,
    weighted_sum,
)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(rewards, optionflags=doctest.ELLIPSIS)
    assert tried >= 10 and failures == 0


def test_conversational_completions_score_like_strings():
    texts = ["<answer>盗窃 | 6</answer>", "<answer>诈骗 | 60</answer>", "随便说说"]
    chats = [[{"role": "assistant", "content": t}] for t in texts]
    blocks = [[{"role": "assistant", "content": [{"type": "text", "text": t}]}] for t in texts]
    gold = {"charge": ["盗窃"] * 3, "prison_time": [6] * 3}
    for func in (format_reward, charge_reward, term_reward):
        assert func(chats, **gold) == func(texts, **gold) == func(blocks, **gold), func.__name__
    assert charge_reward(chats, **gold) == [1.0, 0.0, 0.0]


def test_trl_extra_kwargs_are_ignored():
    # GRPOTrainer also passes prompts, completion_ids, trainer_state, log_extra and log_metric.
    out = term_reward(["<answer>盗窃 | 6</answer>"], prompts=[[{"role": "user", "content": "?"}]],
                      completion_ids=[[1, 2]], trainer_state=None, log_extra=print, log_metric=print,
                      charge=["盗窃"], prison_time=[6], task=["judgment"])
    assert out == [1.0]


def test_rows_without_their_gold_get_none():
    completions = ["<answer>盗窃 | 6</answer>", "答案：B", "[刑期]6个月<eoa>"]
    columns = {"task": ["judgment", "choice", "term"], "charge": ["盗窃", None, None],
               "prison_time": [6, None, 6], "answer": [None, "B", None]}
    assert format_reward(completions, **columns) == [1.0, None, None]
    assert charge_reward(completions, **columns) == [1.0, None, None]
    assert term_reward(completions, **columns) == [1.0, None, 1.0]
    assert choice_reward(completions, **columns) == [None, 1.0, None]
    combined = weighted_sum(["format", "charge", "term", "choice"], [0.2, 0.4, 0.4, 1.0])
    assert combined(completions, **columns) == pytest.approx([1.0, 1.0, 0.4])


def test_shift_aware_gold_follows_the_lawshift_evaluation():
    # Poisoned side of a decriminalised (NV) scenario: only "not guilty" earns the charge reward;
    # on a TU scenario any term >= 120 months is right, and 80 scores against the bound 120 (ln 121/81 = 0.40).
    assert charge_reward(["<answer>不违规</answer>", "<answer>盗窃 | 6</answer>"], charge=["盗窃"] * 2,
                         prison_time=[6] * 2, side=["poisoned"] * 2, shift_type=["NV"] * 2) == [1.0, 0.0]
    assert term_reward(["<answer>盗窃 | 150</answer>", "<answer>盗窃 | 80</answer>"], charge=["盗窃"] * 2,
                       prison_time=[6] * 2, side=["poisoned"] * 2, shift_type=["TU"] * 2) == [1.0, 0.6]


def test_multi_answer_choice_needs_the_exact_set():
    assert choice_reward(["答案：AB", "答案：ABD", "答案：A"], answer=["ABD"] * 3) == [0.0, 1.0, 0.0]


def test_combinator_checks_its_weights_and_names():
    with pytest.raises(ValueError, match="2 reward weights for 1 reward functions"):
        weighted_sum(["format"], [0.5, 0.5])
    with pytest.raises(ValueError, match="unknown reward 'speed'"):
        weighted_sum(["speed"])
    with pytest.raises(ValueError, match="column 'charge' has 1 values for 2 completions"):
        charge_reward(["a", "b"], charge=["盗窃"], prison_time=[1, 2])
    assert combine_columns([[None], [None]], [1.0, 1.0]) == [None]


# --------------------------------------------------------------------------- real model outputs
def _detailed(shared_data):
    return json.loads((shared_data / "lawshift" / "logs" / "detailed_results_Qwen3-0.6B_20251103_125817.json")
                      .read_text(encoding="utf-8"))


def test_charge_and_term_rewards_agree_with_the_recorded_evaluation(shared_data):
    """Nov-3 Qwen3-0.6B log: where the (truncated) response still holds a closed answer, the charge reward
    is the evaluator's charge_correct and the term reward is CAIL's score of its recorded prediction."""
    checked = 0
    for scenario in _detailed(shared_data):
        for side in ("original", "poisoned"):
            for row in scenario[side]["predictions"]:
                if "</answer>" not in row["response"]:
                    continue
                gold = {"charge": [row["true_charge"]], "prison_time": [row["true_prison"]]}
                assert charge_reward([row["response"]], **gold) == [
                    float(row["charge_correct"])], row["response"][-200:]
                assert term_reward([row["response"]], **gold) == [term_score(row["pred_prison"], row["true_prison"])]
                checked += 1
    assert checked >= 100, checked


def test_format_reward_on_full_responses(shared_data):
    """Nov-15 log (full responses, ``V | n`` answers): 1.0 exactly where a closed tag holds a whole answer
    (checked here with an independent pattern), 0.0 where no answer tag was written."""
    runs = json.loads((shared_data / "lawshift" / "logs" / "Qwen3-0.6B_20251115_203907_prompts_responses.json")
                      .read_text(encoding="utf-8"))
    whole = re.compile(r"<answer>\s*(?:V\s*\|\s*(?:\d+|XT)|NV)\s*</answer>\s*$")
    responses = [item["full_response"] for run in runs for side in ("original", "poisoned") for item in run[side]]
    scores = format_reward(responses)
    for response, score in zip(responses, scores):
        answer_part = response.split("</think>")[-1] if "</think>" in response else ""
        if whole.search(answer_part.strip()):
            assert score == 1.0, response[-120:]
        elif "<answer>" not in answer_part:
            assert score == 0.0, response[-120:]
    assert scores.count(1.0) >= 500 and 0.0 in scores, (scores.count(1.0), len(scores))
