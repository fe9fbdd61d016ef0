"""PPO's arithmetic as pure tensor functions: no model, no I/O, no configuration object.

Shapes: answers are right-padded, so per-token tensors are ``(batch, answer_width)`` with a ``mask`` that is 1
on answer tokens and 0 on padding; every reduction here ignores the padding. The functions are used by
:mod:`lawbench.recipes.ppo` (update), :mod:`lawbench.recipes.ppo_rollout` (rewards, advantages) and
:mod:`lawbench.recipes.ppo_model` (log-probabilities), and are checked by hand in ``tests/recipes/test_ppo_math.py``.
"""

from __future__ import annotations

import torch

__all__ = [
    "answer_logits", "gae", "kl_penalty", "masked_mean", "masked_whiten", "policy_loss", "position_ids",
    "token_logprobs", "token_rewards", "value_loss",
]


# --------------------------------------------------------------------------- masked statistics
def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` where ``mask`` is 1.

    >>> masked_mean(torch.tensor([1.0, 2.0, 9.0]), torch.tensor([1, 1, 0])).item()
    1.5
    """
    return (x * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(x - mean) / std`` over the masked entries (unbiased variance); masked-out entries become 0.

    >>> masked_whiten(torch.tensor([1.0, 3.0, 100.0]), torch.tensor([1, 1, 0])).tolist()
    [-0.7071067..., 0.7071067..., 0.0]
    """
    mean = masked_mean(x, mask)
    count = mask.sum()
    variance = (((x - mean) ** 2) * mask).sum() / (count - 1).clamp(min=1)
    return (x - mean) * torch.rsqrt(variance + 1e-8) * mask


# --------------------------------------------------------------------------- rewards and advantages
def kl_penalty(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: str = "k1") -> torch.Tensor:
    """Per-token KL estimate between the sampling policy and the reference, at the sampled tokens.

    ``k1 = log π - log π_ref`` (unbiased, can be negative); ``k3 = (r - 1) - log r`` with
    ``r = π_ref / π`` (unbiased, never negative).

    >>> kl_penalty(torch.tensor([-1.0]), torch.tensor([-2.0])).item()
    1.0
    >>> round(kl_penalty(torch.tensor([-1.0]), torch.tensor([-2.0]), "k3").item(), 4)  # e^-1 - 1 + 1
    0.3679
    """
    log_ratio = logprobs - ref_logprobs
    if estimator == "k1":
        return log_ratio
    return torch.expm1(-log_ratio) + log_ratio


def token_rewards(scores: torch.Tensor, kl: torch.Tensor, mask: torch.Tensor, kl_coef: float) -> torch.Tensor:
    """``-kl_coef * kl`` on every answer token, plus each answer's score on its last token.

    >>> token_rewards(torch.tensor([1.0]), torch.tensor([[0.5, 0.5, 0.0]]), torch.tensor([[1, 1, 0]]), 0.5).tolist()
    [[-0.25, 0.75, 0.0]]
    """
    rewards = torch.where(mask.bool(), -kl_coef * kl, torch.zeros_like(kl))
    last = (mask.sum(dim=1) - 1).clamp(min=0).long()
    return rewards.scatter_add(1, last.unsqueeze(1), scores.unsqueeze(1).to(rewards.dtype))


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float):
    """Generalised advantage estimation over right-padded answers; returns ``(advantages, returns)``.

    ``δ_t = r_t + γ V_{t+1} - V_t`` (``V`` is 0 past the last token) and ``A_t = δ_t + γ λ A_{t+1}``;
    returns are ``A + V``.

    >>> advantages, returns = gae(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.25]]), torch.ones(1, 2), 1.0, 1.0)
    >>> advantages.tolist(), returns.tolist()
    ([[0.5, 0.75]], [[1.0, 1.0]])
    """
    values = values * mask
    rewards = rewards * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
    return advantages, advantages + values


# --------------------------------------------------------------------------- losses
def policy_loss(logprobs, old_logprobs, advantages, mask, cliprange: float):
    """Clipped surrogate ``max(-A r, -A clip(r, 1±ε))`` averaged over answer tokens.

    Returns ``(loss, clip_fraction, approx_kl)``; ``approx_kl = ½ mean((log r)²)``.

    >>> loss, clipped, _ = policy_loss(torch.log(torch.tensor([[1.5, 0.9]])), torch.zeros(1, 2),
    ...                                torch.tensor([[1.0, 1.0]]), torch.ones(1, 2), 0.2)
    >>> round(loss.item(), 4), clipped.item()  # (-1.2 - 0.9) / 2: the first ratio is clipped to 1.2
    (-1.05, 0.5)
    """
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    clip_fraction = masked_mean((clipped > unclipped).float(), mask)
    return loss, clip_fraction, 0.5 * masked_mean(log_ratio**2, mask)


def value_loss(values, old_values, returns, mask, cliprange_value: float):
    """``½ max((V - R)², (V_clip - R)²)`` with ``V_clip`` kept within ±ε of the rollout's values.

    Returns ``(loss, clip_fraction)``.

    >>> loss, clipped = value_loss(torch.tensor([[1.0]]), torch.tensor([[0.0]]), torch.tensor([[1.0]]),
    ...                            torch.ones(1, 1), 0.2)
    >>> round(loss.item(), 4), clipped.item()  # V_clip = 0.2: ½ (0.2 - 1)² = 0.32
    (0.32, 1.0)
    """
    clipped_values = old_values + torch.clamp(values - old_values, -cliprange_value, cliprange_value)
    unclipped_loss = (values - returns) ** 2
    clipped_loss = (clipped_values - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(unclipped_loss, clipped_loss), mask)
    return loss, masked_mean((clipped_loss > unclipped_loss).float(), mask)


# --------------------------------------------------------------------------- from logits to answer tokens
def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float):
    """Log-probabilities of ``tokens`` and the entropy of each position's distribution, at ``temperature``.

    Two equally likely tokens: each has log-probability ``log ½`` and the entropy is ``log 2``.

    >>> logprobs, entropy = token_logprobs(torch.zeros(1, 1, 2), torch.tensor([[1]]), 1.0)
    >>> round(logprobs.item(), 4), round(entropy.item(), 4)
    (-0.6931, 0.6931)
    """
    logits = logits.float() / temperature
    log_norm = torch.logsumexp(logits, dim=-1)
    logprobs = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - log_norm
    entropy = log_norm - (torch.softmax(logits, dim=-1) * logits).sum(-1)
    return logprobs, entropy


def answer_logits(logits: torch.Tensor, sequence_width: int, prompt_width: int) -> torch.Tensor:
    """The logits that predict the answer tokens (position ``P - 1 + t`` predicts answer token ``t``).

    ``logits`` holds either every position or only the last ``sequence_width - prompt_width + 1``.

    >>> full = torch.arange(6.0).view(1, 6, 1)  # 4 prompt + 2 answer tokens, every position
    >>> answer_logits(full, 6, 4).flatten().tolist(), answer_logits(full[:, -3:], 6, 4).flatten().tolist()
    ([3.0, 4.0], [3.0, 4.0])
    """
    return logits[:, logits.shape[1] - (sequence_width - prompt_width + 1): -1]


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding, as ``generate`` counts them.

    >>> position_ids(torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])).tolist()
    [[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]]
    """
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
