"""``lawbench recipe ppo``: PPO on transformers + accelerate (TRL 1.16 no longer ships a PPOTrainer).

    lawbench recipe ppo --model out/sft --dataset ../shared/data/lawshift/action_explicit_extend/original.json \\
        --output-dir out/ppo --reward_funcs format charge term --reward_weights 0.2 0.4 0.4 \\
        --per_device_train_batch_size 4 --gradient_accumulation_steps 2 --num_mini_batches 2 \\
        --max_completion_length 128 --max_steps 200 --use_peft --then-eval

One PPO iteration is one ``global_step`` (``--max_steps`` counts iterations, ``--logging_steps`` logs
them, ``--warmup_steps`` and the LR schedule run over them):

1. **Rollout.** Each process takes ``B = per_device_train_batch_size × gradient_accumulation_steps ×
   num_mini_batches`` prompts and samples one answer each (``generate``; vLLM with ``--use_vllm``).
2. **Score.** lawbench's reward functions (:mod:`lawbench.metrics.rewards`, weighted by
   ``--reward_weights``) and/or a sequence-classification reward model (``--reward_model``) give one
   score per answer; ``--missing_eos_penalty`` is taken off answers that never finished.
3. **Per-token rewards.** ``r_t = -kl_coef * kl_t`` with ``kl_t = log π_old - log π_ref`` against a frozen
   reference; the score is added on the answer's last token.
4. **GAE** (``gamma``, ``lam``) turns rewards and value estimates into advantages and returns; the
   advantages are whitened over the batch's answer tokens.
5. **Update.** ``num_ppo_epochs`` passes over the batch, each in ``num_mini_batches`` shuffled
   mini-batches (one optimizer step each, accumulated over ``gradient_accumulation_steps`` micro-batches
   of ``per_device_train_batch_size``): clipped policy loss + ``vf_coef`` × clipped value loss.

Why a value head on the policy rather than a separate critic: a critic is a second full model with its
own activations, gradients and optimizer state (about twice the memory), and lawbench's rewards come
mostly from scorers, so there is no trained reward model to start a critic from. A linear head on the
policy's last hidden state gives the values from the same forward pass; with LoRA it trains beside
the adapter. The price is that value gradients also shape the shared trunk, kept small by ``vf_coef``.

The reference is a frozen copy of the starting policy; with LoRA (``--use_peft``) it is the same model
with the adapter switched off, so no second copy is loaded. (An adapter given as ``--model`` keeps
training, and then the reference is its base.)

Every logging step appends ``reward``, ``reward_std``, ``rewards/<source>``, ``kl``, ``entropy``,
``clip_fraction``, ``value_clip_fraction``, ``policy_loss``, ``value_loss``, ``approx_kl``,
``completion_length``, ``completion_eos_rate`` and ``learning_rate`` to ``OUT/trainer_state.json``'s
``log_history`` (TensorBoard with ``--report_to tensorboard``). ``OUT`` gets the policy (or adapter),
the tokenizer and ``value_head.safetensors``. Multi-GPU: ``accelerate launch`` (DDP); DeepSpeed and
FSDP are not supported.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from transformers import TrainingArguments

from lawbench.errors import LawbenchError
from lawbench.recipes.rl import validate_reward_settings
from lawbench.recipes.runner import RecipeContext, load_model, write_stage_file

log = logging.getLogger(__name__)
VALUE_HEAD_FILE = "value_head.safetensors"

__all__ = ["PPOConfig", "gae", "kl_penalty", "masked_whiten", "policy_loss", "token_rewards", "train", "value_loss"]


# --------------------------------------------------------------------------- configuration
@dataclass
class PPOConfig(TrainingArguments):
    """``TrainingArguments`` plus PPO's settings; every field is a ``lawbench recipe ppo`` flag."""

    # TrainingArguments fields with PPO defaults
    learning_rate: float = field(default=1e-6, metadata={"help": "Peak learning rate (policy and value head)."})
    per_device_train_batch_size: int = field(
        default=4, metadata={"help": "Micro-batch: sequences per forward/backward pass (rollout batch = this x "
                                     "gradient_accumulation_steps x num_mini_batches)."})
    logging_steps: float = field(default=10, metadata={"help": "Log every N PPO iterations."})
    bf16: bool | None = field(default=None, metadata={"help": "bf16 mixed precision (default: on unless --fp16)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom model code from the hub."})

    # rollouts
    max_completion_length: int = field(default=256, metadata={"help": "Longest sampled answer, in tokens."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature (the log-probs use it too)."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling threshold (1.0: off)."})
    top_k: int = field(default=0, metadata={"help": "Top-k sampling (0: off)."})
    # batch shape
    num_mini_batches: int = field(default=1, metadata={"help": "Optimizer steps per pass over a rollout batch."})
    num_ppo_epochs: int = field(default=4, metadata={"help": "Passes over each rollout batch."})
    # objective
    kl_coef: float = field(default=0.05, metadata={"help": "Weight of the per-token KL penalty to the reference."})
    kl_estimator: str = field(default="k1", metadata={"help": "KL estimate in the reward: k1 (log-ratio) or k3 (non-negative)."})
    cliprange: float = field(default=0.2, metadata={"help": "Policy ratio clip range."})
    cliprange_value: float = field(default=0.2, metadata={"help": "Value clip range around the rollout's values."})
    vf_coef: float = field(default=0.1, metadata={"help": "Weight of the value loss."})
    gamma: float = field(default=1.0, metadata={"help": "Discount factor."})
    lam: float = field(default=0.95, metadata={"help": "GAE lambda."})
    whiten_advantages: bool = field(default=True, metadata={"help": "Whiten advantages over each rollout batch."})
    missing_eos_penalty: float | None = field(
        default=None, metadata={"help": "Subtracted from the score of answers cut at max_completion_length."})
    value_learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of the value head (default: --learning_rate)."})
    # rewards
    reward_funcs: list[str] | None = field(
        default=None,
        metadata={"help": "Reward functions: format, charge, term, choice, or module.function import paths "
                          "(default: format charge term; none when --reward_model is given)."},
    )
    reward_weights: list[float] | None = field(
        default=None, metadata={"help": "One weight per reward source (reward model first); default all 1."})
    reward_model: str | None = field(
        default=None, metadata={"help": "Sequence-classification reward model (folder, LoRA adapter or hub id)."})
    # vLLM rollouts (CUDA)
    use_vllm: bool = field(default=False, metadata={"help": "Sample rollouts with vLLM (pip install 'lawbench[vllm]')."})
    vllm_mode: str = field(default="colocate", metadata={"help": "colocate (in this process) or server (trl vllm-serve)."})
    vllm_server_base_url: str | None = field(default=None, metadata={"help": "Server mode: base URL of the server."})
    vllm_server_host: str = field(default="0.0.0.0", metadata={"help": "Server mode: host (without a base URL)."})
    vllm_server_port: int = field(default=8000, metadata={"help": "Server mode: port (without a base URL)."})
    vllm_server_timeout: float = field(default=240.0, metadata={"help": "Server mode: seconds to wait for the server."})
    vllm_gpu_memory_utilization: float = field(default=0.3, metadata={"help": "Colocate mode: GPU memory share for vLLM."})
    vllm_tensor_parallel_size: int = field(default=1, metadata={"help": "Colocate mode: tensor-parallel size."})

    def __post_init__(self):
        self.bf16 = not self.fp16 if self.bf16 is None else self.bf16
        super().__post_init__()
        validate_reward_settings(self)
        checks = [
            (self.max_completion_length >= 1, "max_completion_length must be >= 1"),
            (self.temperature > 0, "temperature must be > 0 (PPO samples its rollouts)"),
            (self.num_mini_batches >= 1 and self.num_ppo_epochs >= 1, "num_mini_batches and num_ppo_epochs must be >= 1"),
            (self.kl_estimator in ("k1", "k3"), f"kl_estimator must be k1 or k3, got {self.kl_estimator!r}"),
            (self.cliprange > 0 and self.cliprange_value > 0, "cliprange and cliprange_value must be > 0"),
            (0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must lie in [0, 1]"),
            (self.vllm_mode in ("colocate", "server"), f"vllm_mode must be colocate or server, got {self.vllm_mode!r}"),
            (not self.deepspeed and not self.fsdp, "ppo runs on one device or DDP (accelerate launch); DeepSpeed/FSDP are not supported"),
            (not self.resume_from_checkpoint, "ppo cannot resume from a checkpoint; start a new run from a saved one with --model"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def rollout_batch_size(self) -> int:
        """Prompts per process per PPO iteration."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps * self.num_mini_batches


# --------------------------------------------------------------------------- PPO math (pure functions)
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


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float):
    """Log-probabilities of ``tokens`` and the entropy of each position's distribution, at ``temperature``."""
    logits = logits.float() / temperature
    log_norm = torch.logsumexp(logits, dim=-1)
    logprobs = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - log_norm
    entropy = log_norm - (torch.softmax(logits, dim=-1) * logits).sum(-1)
    return logprobs, entropy


# --------------------------------------------------------------------------- model
class PolicyWithValueHead(nn.Module):
    """The policy LM (or its PEFT wrapper) and a linear value head on its last hidden state."""

    def __init__(self, policy: nn.Module):
        super().__init__()
        self.policy = policy
        self.value_head = nn.Linear(policy.config.get_text_config().hidden_size, 1)
        nn.init.zeros_(self.value_head.weight)  # values start at 0: a neutral baseline
        nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int = 0):
        """Logits of the last ``logits_to_keep`` positions (all with 0) and the values of every position."""
        out = self.policy(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids(attention_mask),
                          output_hidden_states=True, use_cache=False, **keep_kwargs(self.policy, logits_to_keep))
        values = self.value_head(out.hidden_states[-1].float()).squeeze(-1)
        return out.logits, values


def keep_kwargs(model: nn.Module, logits_to_keep: int) -> dict:
    """``logits_to_keep`` for a model whose forward takes it (transformers' causal LMs do).

    PPO only needs the logits of the answer tokens; projecting every prompt position onto the vocabulary
    costs (batch x sequence x vocab) floats, most of a step's memory and time with long prompts
    (16 x 720 x 150k floats = 7 GB for a Qwen-sized vocabulary).
    """

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if logits_to_keep and "logits_to_keep" in inspect.signature(base.forward).parameters:
        return {"logits_to_keep": logits_to_keep}
    return {}


def answer_logits(logits: torch.Tensor, sequence_width: int, prompt_width: int) -> torch.Tensor:
    """The logits that predict the answer tokens (position ``P - 1 + t`` predicts answer token ``t``).

    ``logits`` holds either every position or only the last ``sequence_width - prompt_width + 1``.

    >>> full = torch.arange(6.0).view(1, 6, 1)  # 4 prompt + 2 answer tokens, every position
    >>> answer_logits(full, 6, 4).flatten().tolist(), answer_logits(full[:, -3:], 6, 4).flatten().tolist()
    ([3.0, 4.0], [3.0, 4.0])
    """
    return logits[:, logits.shape[1] - (sequence_width - prompt_width + 1): -1]


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding, as ``generate`` counts them."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


# --------------------------------------------------------------------------- rollouts
def trim_after_eos(ids: list[int], eos_ids: set[int]) -> list[int]:
    """An answer up to and including its first end token.

    >>> trim_after_eos([5, 6, 2, 0, 0], {2})
    [5, 6, 2]
    """
    for index, token in enumerate(ids):
        if token in eos_ids:
            return ids[: index + 1]
    return ids


def eos_token_ids(model, tokenizer) -> set[int]:
    configured = getattr(model.generation_config, "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def sample_hf(policy, tokenizer, prompt_ids: list[list[int]], config: PPOConfig) -> list[list[int]]:
    """One sampled answer per prompt with ``generate`` (left-padded batch)."""
    input_ids, attention_mask = pad_left(prompt_ids, tokenizer.pad_token_id, policy.device)
    was_training = policy.training
    policy.eval()
    try:
        output = policy.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=True,
                                 temperature=config.temperature, top_p=config.top_p, top_k=config.top_k,
                                 max_new_tokens=config.max_completion_length, pad_token_id=tokenizer.pad_token_id,
                                 eos_token_id=sorted(eos_token_ids(policy, tokenizer)))
    finally:
        policy.train(was_training)
    return output[:, input_ids.shape[1]:].tolist()


def vllm_arguments(config: PPOConfig) -> dict:
    """Keyword arguments for TRL's ``VLLMGeneration`` (weight sync, colocate and server modes)."""
    return {
        "mode": config.vllm_mode, "server_base_url": config.vllm_server_base_url, "server_host": config.vllm_server_host,
        "server_port": config.vllm_server_port, "server_timeout": config.vllm_server_timeout,
        "tensor_parallel_size": config.vllm_tensor_parallel_size,
        "gpu_memory_utilization": config.vllm_gpu_memory_utilization, "trust_remote_code": config.trust_remote_code,
        "temperature": config.temperature, "top_p": config.top_p, "top_k": config.top_k,
        "max_completion_length": config.max_completion_length,
    }


def start_vllm(policy, accelerator, tokenizer, config: PPOConfig):
    """TRL's vLLM generation helper for the policy (import-guarded: vLLM needs CUDA)."""
    if importlib.util.find_spec("vllm") is None:
        raise LawbenchError("--use_vllm needs vLLM and a CUDA GPU: pip install 'lawbench[vllm]'")
    from trl.generation.vllm_generation import VLLMGeneration

    return VLLMGeneration(model=policy, accelerator=accelerator, processing_class=tokenizer, **vllm_arguments(config))


def pad_left(sequences: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Prompts as one left-padded batch (they end where the answers begin) and their attention mask."""
    width = max(len(s) for s in sequences)
    ids = torch.tensor([[pad] * (width - len(s)) + s for s in sequences], device=device)
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in sequences], device=device)
    return ids, mask


def pad_right(sequences: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Answers as one right-padded batch and their mask (at least one column, even if all are empty)."""
    width = max(1, max(len(s) for s in sequences))
    ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=device)
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=device)
    return ids, mask


# --------------------------------------------------------------------------- rewards
class Scorer:
    """One score per answer: weighted lawbench reward functions and/or a reward model."""

    def __init__(self, config: PPOConfig, rows: list[dict], device):
        from lawbench.recipes.rl import check_rewards_apply, load_reward_model, reward_functions

        self.names = list(config.reward_funcs or [])
        check_rewards_apply(self.names, rows)
        self.funcs = reward_functions(self.names)
        self.model = self.tokenizer = None
        if config.reward_model:
            self.model, self.tokenizer = load_reward_model(config.reward_model, config.trust_remote_code)
            self.model.to(device)
            self.names.insert(0, "reward_model")
        self.weights = list(config.reward_weights or [1.0] * len(self.names))

    @torch.no_grad()
    def __call__(self, rows: list[dict], texts: list[str], completion_ids: list[list[int]]):
        from lawbench.metrics.rewards import combine_columns
        from lawbench.recipes.rl import columns_of, reward_model_texts

        prompts = [row["prompt"] for row in rows]
        columns = []
        if self.model is not None:
            encoded = self.tokenizer(reward_model_texts(self.tokenizer, prompts, texts), return_tensors="pt",
                                     padding=True, padding_side="right", add_special_tokens=False).to(self.model.device)
            columns.append(self.model(**encoded).logits[:, 0].float().tolist())
        gold = {k: v for k, v in columns_of(rows).items() if k != "prompt"}
        completions = [[{"role": "assistant", "content": text}] for text in texts]  # conversational, as TRL passes them
        for func in self.funcs:
            columns.append(list(func(completions=completions, prompts=prompts, completion_ids=completion_ids, **gold)))
        total = [0.0 if s is None else float(s) for s in combine_columns(columns, self.weights)]
        stats = {}
        for name, column in zip(self.names, columns):  # NaN where no row of this batch gets this reward
            present = [float(v) for v in column if v is not None]
            stats[f"rewards/{name}"] = sum(present) / len(present) if present else math.nan
        return total, stats


# --------------------------------------------------------------------------- one iteration
@dataclass
class Rollout:
    """A rollout batch: prompt + answer tokens and everything PPO needs per answer token."""

    input_ids: torch.Tensor  # (B, P + T): left-padded prompts, right-padded answers
    attention_mask: torch.Tensor
    prompt_width: int  # P
    answer_ids: torch.Tensor  # (B, T)
    answer_mask: torch.Tensor  # (B, T)
    logprobs: torch.Tensor  # log π_old of the answer tokens
    values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


def forward_answer(model, rollout_ids, attention_mask, answer_ids, prompt_width: int, temperature: float):
    """Log-probs, entropies and values at the answer tokens (position ``P - 1 + t`` predicts answer token ``t``)."""
    width = rollout_ids.shape[1]
    logits, values = model(rollout_ids, attention_mask, logits_to_keep=width - prompt_width + 1)
    logprobs, entropy = token_logprobs(answer_logits(logits, width, prompt_width), answer_ids, temperature)
    return logprobs, entropy, values[:, prompt_width - 1: width - 1]


@torch.no_grad()
def reference_logprobs(model, reference, input_ids, attention_mask, answer_ids, prompt_width, temperature):
    """Log-probs under the frozen reference (the policy with its adapter off when there is no copy)."""
    if reference is None:
        with model.policy.disable_adapter():
            return forward_answer(model, input_ids, attention_mask, answer_ids, prompt_width, temperature)[0]
    width = input_ids.shape[1]
    logits = reference(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids(attention_mask),
                       use_cache=False, **keep_kwargs(reference, width - prompt_width + 1)).logits
    return token_logprobs(answer_logits(logits, width, prompt_width), answer_ids, temperature)[0]


@torch.no_grad()
def make_rollout(model, reference, tokenizer, rows, config: PPOConfig, scorer: Scorer, vllm, device):
    """Sample answers, score them, and compute old log-probs, values, advantages and returns."""
    from lawbench.recipes.conversation import tokenize_prompt

    policy = model.policy
    prompt_ids = [tokenizer(tokenize_prompt(tokenizer, row["prompt"]), add_special_tokens=False)["input_ids"]
                  for row in rows]
    if vllm is not None:
        answers = [list(ids) for ids in vllm.generate(prompt_ids, None, num_generations=1)[1]]
    else:
        answers = sample_hf(policy, tokenizer, prompt_ids, config)
    eos = eos_token_ids(policy, tokenizer)
    answers = [trim_after_eos(ids, eos) for ids in answers]
    prompts, prompt_mask = pad_left(prompt_ids, tokenizer.pad_token_id, device)
    width = prompts.shape[1]
    answer_ids, answer_mask = pad_right(answers, tokenizer.pad_token_id, device)
    input_ids, attention_mask = torch.cat([prompts, answer_ids], 1), torch.cat([prompt_mask, answer_mask], 1)

    logprobs, values, ref_logprobs = [], [], []
    for start in range(0, len(rows), config.per_device_train_batch_size):
        part = slice(start, start + config.per_device_train_batch_size)
        args = (input_ids[part], attention_mask[part], answer_ids[part], width, config.temperature)
        lp, _, v = forward_answer(model, *args)
        logprobs.append(lp)
        values.append(v)
        ref_logprobs.append(reference_logprobs(model, reference, *args))
    logprobs, values, ref_logprobs = torch.cat(logprobs), torch.cat(values), torch.cat(ref_logprobs)

    texts = tokenizer.batch_decode(answers, skip_special_tokens=True)
    scores, stats = scorer(rows, texts, answers)
    finished = torch.tensor([bool(a) and a[-1] in eos for a in answers], device=device)
    scores = torch.tensor(scores, device=device, dtype=torch.float32)
    if config.missing_eos_penalty is not None:
        scores = scores - config.missing_eos_penalty * (~finished).float()
    mask = answer_mask.float()
    kl = kl_penalty(logprobs, ref_logprobs, config.kl_estimator) * mask
    advantages, returns = gae(token_rewards(scores, kl, mask, config.kl_coef), values, mask, config.gamma, config.lam)
    if config.whiten_advantages:
        advantages = masked_whiten(advantages, mask)
    stats.update(reward=scores.mean().item(), reward_std=scores.std().item() if len(scores) > 1 else 0.0,
                 kl=kl.sum(1).mean().item(), completion_length=mask.sum(1).mean().item(),
                 completion_eos_rate=finished.float().mean().item())
    rollout = Rollout(input_ids, attention_mask, width, answer_ids, mask, logprobs, values * mask, advantages, returns)
    return rollout, stats


def ppo_update(model, optimizer, accelerator, rollout: Rollout, config: PPOConfig) -> dict[str, float]:
    """``num_ppo_epochs`` passes of clipped policy + value losses over shuffled mini-batches."""
    size = rollout.input_ids.shape[0]
    mini = size // config.num_mini_batches
    micro = config.per_device_train_batch_size
    sums: dict[str, list[float]] = defaultdict(list)
    model.train()
    for _ in range(config.num_ppo_epochs):
        order = torch.randperm(size, device=rollout.input_ids.device)
        for mini_start in range(0, size, mini):
            for micro_start in range(mini_start, mini_start + mini, micro):
                index = order[micro_start : micro_start + micro]
                with accelerator.accumulate(model):
                    logprobs, entropy, values = forward_answer(model, rollout.input_ids[index], rollout.attention_mask[index],
                                                               rollout.answer_ids[index], rollout.prompt_width,
                                                               config.temperature)
                    mask = rollout.answer_mask[index]
                    pg, clip_fraction, approx_kl = policy_loss(logprobs, rollout.logprobs[index],
                                                               rollout.advantages[index], mask, config.cliprange)
                    vf, value_clip = value_loss(values, rollout.values[index], rollout.returns[index], mask,
                                                config.cliprange_value)
                    accelerator.backward(pg + config.vf_coef * vf)
                    if accelerator.sync_gradients and config.max_grad_norm:
                        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                for key, value in (("policy_loss", pg), ("value_loss", vf), ("clip_fraction", clip_fraction),
                                   ("value_clip_fraction", value_clip), ("approx_kl", approx_kl),
                                   ("entropy", masked_mean(entropy.detach(), mask))):
                    sums[key].append(value.item())
    return {key: sum(values) / len(values) for key, values in sums.items()}


# --------------------------------------------------------------------------- training loop
def build_model(ctx: RecipeContext):
    """Policy (+ LoRA) with its value head, and the frozen reference (``None`` with LoRA)."""
    from peft import PeftModel, get_peft_model

    policy, tokenizer, peft_config = load_model(ctx)
    if peft_config is not None:
        policy = get_peft_model(policy, peft_config)
    for module in policy.modules():  # dropout (LoRA's too) would make the first epoch's ratios differ from 1
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    if hasattr(policy.config, "attention_dropout"):
        policy.config.attention_dropout = 0.0
    reference = None if isinstance(policy, PeftModel) else copy.deepcopy(policy).eval().requires_grad_(False)
    if ctx.training.gradient_checkpointing:
        policy.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if isinstance(policy, PeftModel):
            policy.enable_input_require_grads()
    return PolicyWithValueHead(policy), reference, tokenizer


def optimizer_for(model: PolicyWithValueHead, config: PPOConfig) -> torch.optim.Optimizer:
    policy_params = [p for p in model.policy.parameters() if p.requires_grad]
    groups = [{"params": policy_params, "lr": config.learning_rate},
              {"params": list(model.value_head.parameters()), "lr": config.value_learning_rate or config.learning_rate}]
    return torch.optim.AdamW(groups, betas=(config.adam_beta1, config.adam_beta2), eps=config.adam_epsilon,
                             weight_decay=config.weight_decay)


def prompt_batches(loader):
    """Rollout batches forever, reshuffled each pass (``set_epoch`` for the distributed sampler)."""
    epoch = 0
    while True:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        yield from loader
        epoch += 1


def save_policy(accelerator, model, tokenizer, out: Path) -> None:
    """The policy (or its adapter), the tokenizer and the value head, loadable by ``lawbench eval``."""
    from safetensors.torch import save_file

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.policy.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        save_file({k: v.detach().cpu().contiguous() for k, v in unwrapped.value_head.state_dict().items()},
                  str(out / VALUE_HEAD_FILE))


def train(ctx: RecipeContext) -> None:
    from accelerate import Accelerator
    from accelerate.utils import GradientAccumulationPlugin, set_seed
    from torch.utils.data import DataLoader
    from transformers import TrainerControl, TrainerState, get_scheduler
    from transformers.integrations import get_reporting_integration_callbacks
    from transformers.trainer_callback import CallbackHandler, DefaultFlowCallback, ProgressCallback

    from lawbench.recipes.rl import load_prompt_rows, rewards_described

    config: PPOConfig = ctx.training
    accelerator = Accelerator(
        mixed_precision="bf16" if config.bf16 else "fp16" if config.fp16 else "no",
        # sync by count only: the prompt loader's end must not force a step in the middle of a mini-batch
        gradient_accumulation_plugin=GradientAccumulationPlugin(num_steps=config.gradient_accumulation_steps,
                                                                sync_with_dataloader=False))
    set_seed(config.seed)
    model, reference, tokenizer = build_model(ctx)
    rows, described = load_prompt_rows(ctx.recipe)
    batch = config.rollout_batch_size
    if len(rows) < batch * accelerator.num_processes:
        raise LawbenchError(f"ppo needs at least {batch * accelerator.num_processes} prompts for one rollout batch "
                            f"(per_device_train_batch_size x gradient_accumulation_steps x num_mini_batches x processes), "
                            f"got {len(rows)}")
    scorer = Scorer(config, rows, accelerator.device)
    loader = DataLoader(rows, batch_size=batch, shuffle=True, collate_fn=list, drop_last=True)
    optimizer = optimizer_for(model, config)
    steps_per_epoch = len(rows) // (batch * accelerator.num_processes)
    max_steps = config.max_steps if config.max_steps > 0 else math.ceil(config.num_train_epochs * steps_per_epoch)
    scheduler = get_scheduler(config.lr_scheduler_type, optimizer, num_warmup_steps=config.get_warmup_steps(max_steps),
                              num_training_steps=max_steps, scheduler_specific_kwargs=config.lr_scheduler_kwargs or {})
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)  # the scheduler steps once per iteration
    if reference is not None:
        reference.to(accelerator.device)
    vllm = start_vllm(accelerator.unwrap_model(model).policy, accelerator, tokenizer, config) if config.use_vllm else None

    state = TrainerState(max_steps=max_steps, logging_steps=config.logging_steps, save_steps=config.save_steps,
                         num_train_epochs=math.ceil(max_steps / steps_per_epoch), train_batch_size=batch,
                         is_local_process_zero=accelerator.is_local_main_process,
                         is_world_process_zero=accelerator.is_main_process)
    if 0 < config.logging_steps < 1:  # a ratio of the whole run, as in transformers
        state.logging_steps = max(1, math.ceil(max_steps * config.logging_steps))
    callbacks = CallbackHandler([DefaultFlowCallback, *get_reporting_integration_callbacks(config.report_to), ProgressCallback],
                                accelerator.unwrap_model(model).policy, tokenizer, optimizer, scheduler)
    control = callbacks.on_train_begin(config, state, TrainerControl())
    out = Path(config.output_dir)
    pending: dict[str, list[float]] = defaultdict(list)
    started = time.time()
    for rows_batch in prompt_batches(loader):
        if vllm is not None:  # the engine samples with the current policy (a continued adapter from the start)
            vllm.sync_weights()
        unwrapped = accelerator.unwrap_model(model)
        rollout, stats = make_rollout(unwrapped, reference, tokenizer, rows_batch, config, scorer, vllm, accelerator.device)
        stats.update(ppo_update(model, optimizer, accelerator, rollout, config))
        stats["learning_rate"] = scheduler.get_last_lr()[0]
        scheduler.step()
        for key, value in stats.items():
            pending[key].append(value)
        state.global_step += 1
        state.epoch = state.global_step / steps_per_epoch
        control = callbacks.on_step_end(config, state, control)
        if control.should_log:
            logs = {k: reduce_mean(accelerator, v) for k, v in sorted(pending.items())}
            logs = {k: v for k, v in logs.items() if not math.isnan(v)}  # JSON has no NaN
            logs["epoch"] = round(state.epoch, 4)
            state.log_history.append({**logs, "step": state.global_step})
            control = callbacks.on_log(config, state, control, logs=logs)
            pending.clear()
            control.should_log = False
        if control.should_save:
            save_policy(accelerator, model, tokenizer, out / f"checkpoint-{state.global_step}")
            if accelerator.is_main_process:
                state.save_to_json(str(out / f"checkpoint-{state.global_step}" / "trainer_state.json"))
            control = callbacks.on_save(config, state, control)
        if control.should_training_stop or state.global_step >= max_steps:
            break
    state.log_history.append({"train_runtime": round(time.time() - started, 2), "step": state.global_step,
                              "epoch": round(state.epoch, 4)})
    callbacks.on_train_end(config, state, control)
    save_policy(accelerator, model, tokenizer, out)
    if accelerator.is_main_process:
        state.save_to_json(str(out / "trainer_state.json"))
        write_stage_file(ctx, described, {"rewards": rewards_described(config.reward_funcs or [], config.reward_weights,
                                                                       config.reward_model)})
    accelerator.wait_for_everyone()


def reduce_mean(accelerator, values: list[float]) -> float:
    """The mean of a statistic over the steps since the last log and over processes, ignoring NaN (NaN if all are)."""
    local = torch.tensor(values, device=accelerator.device, dtype=torch.float32).nanmean().reshape(1)
    return accelerator.gather(local).nanmean().item() if accelerator.num_processes > 1 else local.item()
