"""``--reward_funcs judge``: the LLM judge's rubric score as an RL reward (GRPO, PPO), in [0, 1].

The judge is configured by environment variables (TRL hands a reward function only the batch, not the
command line): ``LAWBENCH_JUDGE_BASE_URL`` and ``LAWBENCH_JUDGE_MODEL`` (required),
``LAWBENCH_JUDGE_RUBRIC`` (``disc`` by default, ``legal10`` or a rubric file), ``LAWBENCH_JUDGE_CONCURRENCY``
(default 8) and the key in ``LAWBENCH_JUDGE_API_KEY`` (else ``OPENAI_API_KEY``). Rows need a gold answer,
read as the ``similarity`` and ``rouge`` rewards read it (:func:`lawbench.metrics.rewards.gold_answers`:
``reference``, else ``response`` / ``output`` / a free-text ``answer``); rows without one get ``None``
(the reward does not apply). An empty completion scores 0 without a call;
a judgment that does not parse after the repair turn gives ``None`` for that row.

    LAWBENCH_JUDGE_BASE_URL=http://127.0.0.1:8001/v1 LAWBENCH_JUDGE_MODEL=judge \\
        lawbench recipe grpo --model out/sft --dataset qa.jsonl --reward_funcs judge format ...

Example (no judge needed: no row has a reference):
    >>> judge_reward(["回答"], prompts=[[{"role": "user", "content": "问题"}]])
    [None]
"""

from __future__ import annotations

import os

from lawbench.errors import LawbenchError

_CLIENTS: dict[tuple, object] = {}


def _question(prompt) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return str(users[-1]) if users else ""
    return ""


def _answer(completion) -> str:
    from lawbench.metrics.rewards import completion_text

    return completion_text(completion)


def _judge():
    """The client and rubric for the environment's judge (one per process and setting)."""
    from lawbench.judge.client import JudgeClient, JudgeOptions
    from lawbench.judge.rubric import load_rubric

    url, model = os.environ.get("LAWBENCH_JUDGE_BASE_URL"), os.environ.get("LAWBENCH_JUDGE_MODEL")
    if not url or not model:
        raise LawbenchError("--reward_funcs judge needs LAWBENCH_JUDGE_BASE_URL and LAWBENCH_JUDGE_MODEL in the "
                            "environment (the judge's OpenAI-compatible endpoint and model name)")
    rubric_name = os.environ.get("LAWBENCH_JUDGE_RUBRIC") or "disc"
    try:
        concurrency = int(os.environ.get("LAWBENCH_JUDGE_CONCURRENCY") or 8)
    except ValueError:
        raise LawbenchError("LAWBENCH_JUDGE_CONCURRENCY must be a whole number") from None
    key = (url, model, rubric_name, concurrency)
    if key not in _CLIENTS:
        options = JudgeOptions(judge_base_url=url, judge_model=model, judge_rubric=rubric_name,
                               judge_concurrency=concurrency)
        _CLIENTS[key] = (JudgeClient(options), load_rubric(rubric_name))  # no cache: sampled answers rarely repeat
    return _CLIENTS[key]


def judge_reward(completions: list, prompts: list | None = None, **kwargs) -> list[float | None]:
    """The rubric's overall score scaled to [0, 1] per completion (``None``: no reference, or unparsed)."""
    from lawbench.judge.pointwise import judge_conversations
    from lawbench.metrics.rewards import gold_answers

    references = gold_answers(len(completions), **kwargs)  # the gold answer columns `similarity` and `rouge` read
    rewards: list[float | None] = [None] * len(completions)
    asks = []
    for i, completion in enumerate(completions):
        ref = references[i]
        if ref is None:
            continue
        answer = _answer(completion)
        if not answer.strip():
            rewards[i] = 0.0  # nothing said: the lowest score, no call needed
            continue
        asks.append((i, _question(prompts[i] if prompts else ""), ref, answer))
    if asks:
        client, rubric = _judge()
        conversations = [rubric.messages(q, ref, a) for _, q, ref, a in asks]
        judgments, _, _ = judge_conversations(client, rubric, conversations, desc="judge reward")
        for (i, *_rest), judgment in zip(asks, judgments, strict=True):
            rewards[i] = judgment.scaled if judgment is not None else None
    return rewards


judge_reward.__name__ = "judge"
