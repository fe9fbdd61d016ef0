"""PPO's rollouts: sample one answer per prompt (``generate`` or vLLM), score it, and turn the scores into
per-token advantages and returns (steps 1-4 of :mod:`lawbench.recipes.ppo`).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from lawbench.errors import LawbenchError
from lawbench.recipes.ppo_math import gae, kl_penalty, masked_whiten, token_rewards
from lawbench.recipes.ppo_model import forward_answer, reference_logprobs

if TYPE_CHECKING:
    from lawbench.recipes.ppo import PPOConfig


# --------------------------------------------------------------------------- token lists and batches
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
    """Every token that ends an answer: the generation config's (one or a list) and the tokenizer's."""
    configured = getattr(model.generation_config, "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def pad_left(sequences: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Prompts as one left-padded batch (they end where the answers begin) and their attention mask.

    >>> [t.tolist() for t in pad_left([[5, 6], [7]], 0, "cpu")]
    [[[5, 6], [0, 7]], [[1, 1], [0, 1]]]
    """
    width = max(len(s) for s in sequences)
    ids = torch.tensor([[pad] * (width - len(s)) + s for s in sequences], device=device)
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in sequences], device=device)
    return ids, mask


def pad_right(sequences: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Answers as one right-padded batch and their mask (at least one column, even if all are empty).

    >>> [t.tolist() for t in pad_right([[5, 6], []], 0, "cpu")]
    [[[5, 6], [0, 0]], [[1, 1], [0, 0]]]
    """
    width = max(1, max(len(s) for s in sequences))
    ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=device)
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=device)
    return ids, mask


# --------------------------------------------------------------------------- sampling
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
        "mode": config.vllm_mode, "server_base_url": config.vllm_server_base_url,
        "server_host": config.vllm_server_host, "server_port": config.vllm_server_port,
        "server_timeout": config.vllm_server_timeout, "tensor_parallel_size": config.vllm_tensor_parallel_size,
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
        from lawbench.metrics.rewards import combine_columns, reward_columns
        from lawbench.recipes.rl import columns_of, reward_model_texts

        prompts = [row["prompt"] for row in rows]
        columns = []
        if self.model is not None:
            encoded = self.tokenizer(reward_model_texts(self.tokenizer, prompts, texts), return_tensors="pt",
                                     padding=True, padding_side="right", add_special_tokens=False)
            encoded = encoded.to(self.model.device)
            columns.append(self.model(**encoded).logits[:, 0].float().tolist())
        gold = {k: v for k, v in columns_of(rows).items() if k != "prompt"}
        # conversational, as TRL passes them
        completions = [[{"role": "assistant", "content": text}] for text in texts]
        # one parse per completion shared by the judgment rewards (format, charge, term)
        columns += reward_columns(self.funcs, completions, prompts=prompts, completion_ids=completion_ids, **gold)
        total = [0.0 if s is None else float(s) for s in combine_columns(columns, self.weights)]
        stats = {}
        for name, column in zip(self.names, columns):  # NaN where no row of this batch gets this reward
            present = [float(v) for v in column if v is not None]
            stats[f"rewards/{name}"] = sum(present) / len(present) if present else math.nan
        return total, stats


# --------------------------------------------------------------------------- one rollout batch
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
