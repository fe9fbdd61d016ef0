"""``--reward_funcs judge``: rubric scores as rewards from a fake judge; rows without a reference skipped."""

from __future__ import annotations

import pytest

from lawbench.errors import LawbenchError
from lawbench.metrics.rewards import REWARD_FUNCS, weighted_sum
from tests.support.judge_server import DISC_REPLY, judge_server


def test_judge_reward_scores_answers_against_references(monkeypatch):
    def reply(messages):
        return DISC_REPLY if "三年以下" in messages[1]["content"].split("[待评回答]")[1] else "不知道"

    with judge_server(reply) as server:
        monkeypatch.setenv("LAWBENCH_JUDGE_BASE_URL", server.url)
        monkeypatch.setenv("LAWBENCH_JUDGE_MODEL", "judge")
        prompts = [[{"role": "user", "content": "盗窃罪怎么判？"}]] * 4
        completions = ["处三年以下有期徒刑", [{"role": "assistant", "content": "不清楚"}], "", "三年以下"]
        rewards = REWARD_FUNCS["judge"](completions, prompts=prompts,
                                         reference=["三年以下有期徒刑"] * 3 + [None])
        assert rewards == [0.75, None, 0.0, None]  # scored; unparsed after repair; empty; no reference
        assert len(server.calls) == 3  # the first answer, the second and its repair turn; no call for the rest
        combined = weighted_sum(["judge", "format"], [1.0, 0.0])(["处三年以下有期徒刑"], prompts=prompts[:1],
                                                                 reference=["三年以下有期徒刑"])
        assert combined == [0.75]


def test_judge_reward_needs_a_judge(monkeypatch):
    monkeypatch.delenv("LAWBENCH_JUDGE_BASE_URL", raising=False)
    with pytest.raises(LawbenchError, match="needs LAWBENCH_JUDGE_BASE_URL and LAWBENCH_JUDGE_MODEL"):
        REWARD_FUNCS["judge"](["答"], reference=["参考"])
