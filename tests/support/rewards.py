"""Toy reward functions the RL tests hand to the recipes by dotted path (``--reward_funcs
tests.support.rewards.digit_share``), the way users pass their own."""

from __future__ import annotations

from lawbench.metrics.rewards import completion_text

RECORDED: list[dict] = []  # what record_kwargs received, call by call


def digit_share(completions, **kwargs) -> list[float]:
    """Toy reward: the share of the answer's characters that are digits (a random tiny model starts near 0.09)."""
    texts = [completion_text(c) for c in completions]
    return [sum(ch.isdigit() for ch in t) / max(len(t), 1) for t in texts]


def record_kwargs(completions, **kwargs) -> list[float]:
    """Records what a reward function receives, rewarding nothing."""
    RECORDED.append({"completions": completions, **kwargs})
    return [0.0] * len(completions)
