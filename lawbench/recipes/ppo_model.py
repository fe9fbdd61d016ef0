"""PPO's models: the policy with its value head, the frozen reference, the optimizer and saving.

Why a value head on the policy rather than a separate critic: see :mod:`lawbench.recipes.ppo`. Both
forwards here project only the answer positions onto the vocabulary (:func:`keep_kwargs`).
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from lawbench.recipes.ppo_math import answer_logits, position_ids, token_logprobs
from lawbench.recipes.runner import RecipeContext, load_model

if TYPE_CHECKING:
    from lawbench.recipes.ppo import PPOConfig

VALUE_HEAD_FILE = "value_head.safetensors"


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
        out = self.policy(input_ids=input_ids, attention_mask=attention_mask,
                          position_ids=position_ids(attention_mask), output_hidden_states=True, use_cache=False,
                          **keep_kwargs(self.policy, logits_to_keep))
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
    """AdamW over the trainable policy weights and the value head (which may have its own learning rate)."""
    policy_params = [p for p in model.policy.parameters() if p.requires_grad]
    value_lr = config.value_learning_rate or config.learning_rate
    groups = [{"params": policy_params, "lr": config.learning_rate},
              {"params": list(model.value_head.parameters()), "lr": value_lr}]
    return torch.optim.AdamW(groups, betas=(config.adam_beta1, config.adam_beta2), eps=config.adam_epsilon,
                             weight_decay=config.weight_decay)


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
