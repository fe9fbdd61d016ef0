"""The Q&A rewards are resolved by name where GRPO / PPO resolve theirs, and apply to Q&A rows only."""

from __future__ import annotations

import pytest

from lawbench.errors import LawbenchError
from lawbench.recipes.rl import check_rewards_apply, reward_functions


def test_similarity_and_rouge_by_name_on_qa_rows():
    similarity, rouge = reward_functions(["similarity", "rouge"])
    rows = {"reference": ["应当依法赔偿损失", None], "task": [None, "choice"], "answer": [None, "B"]}
    assert similarity(["应当依法赔偿损失", "B"], **rows) == [1.0, None]
    assert rouge(["应当依法赔偿损失", "B"], **rows) == [pytest.approx(1.0), None]
    check_rewards_apply(["similarity"], [{"prompt": "问", "response": "答"}])  # a prompt/response row: applies
    with pytest.raises(LawbenchError, match="no reward in --reward_funcs rouge applies to row 0"):
        check_rewards_apply(["rouge"], [{"prompt": "问", "task": "choice", "answer": "C"}])
